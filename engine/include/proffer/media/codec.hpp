#pragma once
// Audio codecs at the edge of the engine: G.711 (own, table driven) and Opus (libopus, run at
// 8 kHz so that it meets the engine's frames without resampling; its RTP clock stays 48 kHz).
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "proffer/media/frame.hpp"

namespace proffer::media {

enum class CodecId { Pcmu, Pcma, Opus };

struct CodecInfo {
  CodecId id;
  const char* name;  // as in SDP rtpmap: "PCMU", "PCMA", "opus"
  int static_pt;     // 0, 8; -1 for dynamic
  int clock_rate;    // RTP clock: 8000, 8000, 48000
  int channels;      // as SDP states it (opus: 2, RFC 7587)
};

const CodecInfo& codec_info(CodecId id);
std::optional<CodecId> codec_by_name(std::string_view name);  // case-insensitive

class AudioCodec {
 public:
  virtual ~AudioCodec() = default;
  virtual void encode(const Frame& in, std::vector<std::uint8_t>& out) = 0;
  // False when the payload cannot be decoded (the frame is then concealed by the caller).
  virtual bool decode(std::span<const std::uint8_t> payload, Frame& out) = 0;
  // A frame for a packet that never came.
  virtual void conceal(Frame& out) = 0;
  // RTP timestamp units per 20 ms frame.
  virtual int timestamp_step() const = 0;
};

std::unique_ptr<AudioCodec> make_codec(CodecId id);

std::uint8_t linear_to_ulaw(std::int16_t sample);
std::int16_t ulaw_to_linear(std::uint8_t code);
std::uint8_t linear_to_alaw(std::int16_t sample);
std::int16_t alaw_to_linear(std::uint8_t code);

}  // namespace proffer::media
