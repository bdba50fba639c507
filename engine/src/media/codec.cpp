#include "proffer/media/codec.hpp"

#include <opus/opus.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace proffer::media {
namespace {

constexpr CodecInfo kCodecs[] = {
    {CodecId::Pcmu, "PCMU", 0, 8000, 1},
    {CodecId::Pcma, "PCMA", 8, 8000, 1},
    {CodecId::Opus, "opus", -1, 48000, 2},
};

// G.711: one byte per sample; the last good frame faded for a lost packet.
template <std::uint8_t (*Encode)(std::int16_t), std::int16_t (*Decode)(std::uint8_t)>
class G711 final : public AudioCodec {
 public:
  void encode(const Frame& in, std::vector<std::uint8_t>& out) override {
    out.resize(kFrameSamples);
    for (std::size_t i = 0; i < kFrameSamples; ++i) out[i] = Encode(in.samples[i]);
  }
  bool decode(std::span<const std::uint8_t> payload, Frame& out) override {
    std::size_t n = std::min(payload.size(), kFrameSamples);
    for (std::size_t i = 0; i < n; ++i) out.samples[i] = Decode(payload[i]);
    for (std::size_t i = n; i < kFrameSamples; ++i) out.samples[i] = 0;
    last_ = out;
    return n > 0;
  }
  void conceal(Frame& out) override {
    for (auto& s : last_.samples) s = static_cast<std::int16_t>(s / 2);
    out = last_;
  }
  int timestamp_step() const override { return int(kFrameSamples); }

 private:
  Frame last_{};
};

class Opus final : public AudioCodec {
 public:
  Opus() {
    int err = 0;
    enc_ = opus_encoder_create(kSampleRate, 1, OPUS_APPLICATION_VOIP, &err);
    if (err != OPUS_OK)
      throw std::runtime_error("opus encoder: " + std::string(opus_strerror(err)));
    dec_ = opus_decoder_create(kSampleRate, 1, &err);
    if (err != OPUS_OK)
      throw std::runtime_error("opus decoder: " + std::string(opus_strerror(err)));
    opus_encoder_ctl(enc_, OPUS_SET_INBAND_FEC(1));
    opus_encoder_ctl(enc_, OPUS_SET_PACKET_LOSS_PERC(5));
  }
  ~Opus() override {
    opus_encoder_destroy(enc_);
    opus_decoder_destroy(dec_);
  }
  void encode(const Frame& in, std::vector<std::uint8_t>& out) override {
    out.resize(400);
    int n = opus_encode(enc_, in.samples.data(), int(kFrameSamples), out.data(), int(out.size()));
    out.resize(n > 0 ? std::size_t(n) : 0);
  }
  bool decode(std::span<const std::uint8_t> payload, Frame& out) override {
    int n = opus_decode(dec_, payload.data(), opus_int32(payload.size()), out.samples.data(),
                        int(kFrameSamples), 0);
    return n == int(kFrameSamples);
  }
  void conceal(Frame& out) override {
    if (opus_decode(dec_, nullptr, 0, out.samples.data(), int(kFrameSamples), 0) < 0) out.clear();
  }
  int timestamp_step() const override { return 960; }

 private:
  OpusEncoder* enc_ = nullptr;
  OpusDecoder* dec_ = nullptr;
};

}  // namespace

const CodecInfo& codec_info(CodecId id) { return kCodecs[static_cast<int>(id)]; }

std::optional<CodecId> codec_by_name(std::string_view name) {
  for (const auto& c : kCodecs) {
    std::string_view n = c.name;
    if (n.size() == name.size() && std::equal(n.begin(), n.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        }))
      return c.id;
  }
  return std::nullopt;
}

std::unique_ptr<AudioCodec> make_codec(CodecId id) {
  switch (id) {
    case CodecId::Pcmu:
      return std::make_unique<G711<linear_to_ulaw, ulaw_to_linear>>();
    case CodecId::Pcma:
      return std::make_unique<G711<linear_to_alaw, alaw_to_linear>>();
    case CodecId::Opus:
      return std::make_unique<Opus>();
  }
  return nullptr;
}

}  // namespace proffer::media
