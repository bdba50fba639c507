#pragma once
// In-band DTMF with spandsp: detection on what a channel hears, generation into what it sends.
#include <functional>
#include <memory>
#include <string_view>

#include "proffer/media/frame.hpp"

struct dtmf_rx_state_s;
struct dtmf_tx_state_s;

namespace proffer::media {

class DtmfDetector {
 public:
  DtmfDetector();
  ~DtmfDetector();
  DtmfDetector(const DtmfDetector&) = delete;
  DtmfDetector& operator=(const DtmfDetector&) = delete;
  // Calls on_digit once per detected key press (0-9, *, #, A-D).
  void feed(const Frame& frame, const std::function<void(char)>& on_digit);

 private:
  dtmf_rx_state_s* rx_;
  std::function<void(char)> const* sink_ = nullptr;
  static void on_digits(void* user, const char* digits, int len);
};

class DtmfGenerator {
 public:
  DtmfGenerator();
  ~DtmfGenerator();
  DtmfGenerator(const DtmfGenerator&) = delete;
  DtmfGenerator& operator=(const DtmfGenerator&) = delete;
  // Queues digits (invalid characters are skipped; returns how many were queued).
  std::size_t queue(std::string_view digits);
  bool active() const;
  // Replaces the frame with the next 20 ms of tones while digits remain; false when idle.
  bool generate(Frame& frame);

 private:
  dtmf_tx_state_s* tx_;
  int pending_ = 0;
};

}  // namespace proffer::media
