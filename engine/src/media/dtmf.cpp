#include "proffer/media/dtmf.hpp"

#include <spandsp.h>

#include <stdexcept>
#include <string>

namespace proffer::media {
namespace {

// 90 ms of tone and 70 ms of gap: comfortably above the 40 ms minimum of ITU-T Q.24 receivers
// (and far above what spandsp needs), and one digit is exactly eight 20 ms frames.
constexpr int kToneMs = 90;
constexpr int kGapMs = 70;
constexpr int kDigitSamples = (kToneMs + kGapMs) * kSampleRate / 1000;
constexpr std::string_view kDigits = "0123456789*#ABCD";

}  // namespace

DtmfDetector::DtmfDetector() : rx_(dtmf_rx_init(nullptr, &DtmfDetector::on_digits, this)) {
  if (rx_ == nullptr) throw std::runtime_error("spandsp dtmf_rx_init failed");
}

DtmfDetector::~DtmfDetector() { dtmf_rx_free(rx_); }

void DtmfDetector::feed(const Frame& frame, const std::function<void(char)>& on_digit) {
  // spandsp reports digits synchronously from inside dtmf_rx, so the sink only needs to live
  // for the duration of this call.
  sink_ = &on_digit;
  dtmf_rx(rx_, frame.samples.data(), static_cast<int>(kFrameSamples));
  sink_ = nullptr;
}

void DtmfDetector::on_digits(void* user, const char* digits, int len) {
  auto* self = static_cast<DtmfDetector*>(user);
  if (self->sink_ == nullptr || !*self->sink_) return;
  for (int i = 0; i < len; ++i) (*self->sink_)(digits[i]);
}

DtmfGenerator::DtmfGenerator() : tx_(dtmf_tx_init(nullptr)) {
  if (tx_ == nullptr) throw std::runtime_error("spandsp dtmf_tx_init failed");
  dtmf_tx_set_timing(tx_, kToneMs, kGapMs);
}

DtmfGenerator::~DtmfGenerator() { dtmf_tx_free(tx_); }

std::size_t DtmfGenerator::queue(std::string_view digits) {
  std::size_t queued = 0;
  for (char c : digits) {
    if (c >= 'a' && c <= 'd') c = static_cast<char>(c - 'a' + 'A');
    if (kDigits.find(c) == std::string_view::npos) continue;
    // spandsp's queue holds MAX_DTMF_DIGITS; a full queue refuses the digit (non-zero return).
    if (dtmf_tx_put(tx_, &c, 1) != 0) break;
    ++queued;
    pending_ += kDigitSamples;
  }
  return queued;
}

bool DtmfGenerator::active() const { return pending_ > 0; }

bool DtmfGenerator::generate(Frame& frame) {
  if (pending_ <= 0) return false;
  frame.clear();
  const int n = dtmf_tx(tx_, frame.samples.data(), static_cast<int>(kFrameSamples));
  // pending_ mirrors spandsp's queue in samples so active() turns false on the frame that
  // finishes the last gap; a short read means spandsp ran dry, so trust it over the count.
  pending_ = n < static_cast<int>(kFrameSamples) ? 0 : pending_ - n;
  return n > 0;
}

}  // namespace proffer::media
