// G.711 µ-law and A-law (ITU-T G.711), the classic segment algorithms, precomputed into tables:
// encoding is one lookup per sample, which matters at a thousand calls.
#include <array>

#include "proffer/media/codec.hpp"

namespace proffer::media {
namespace {

constexpr int kUlawBias = 0x84;
constexpr int kUlawClip = 32635;

std::uint8_t ulaw_encode_slow(int pcm) {
  int sign = (pcm >> 8) & 0x80;
  if (sign) pcm = -pcm;
  if (pcm > kUlawClip) pcm = kUlawClip;
  pcm += kUlawBias;
  int exponent = 7;
  for (int mask = 0x4000; (pcm & mask) == 0 && exponent > 0; mask >>= 1) --exponent;
  int mantissa = (pcm >> (exponent + 3)) & 0x0F;
  return static_cast<std::uint8_t>(~(sign | (exponent << 4) | mantissa));
}

std::int16_t ulaw_decode_slow(std::uint8_t code) {
  int u = ~code & 0xFF;
  int t = ((u & 0x0F) << 3) + kUlawBias;
  t <<= (u & 0x70) >> 4;
  return static_cast<std::int16_t>((u & 0x80) ? (kUlawBias - t) : (t - kUlawBias));
}

std::uint8_t alaw_encode_slow(int pcm) {
  static constexpr int seg_end[8] = {0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF};
  pcm >>= 3;
  int mask = 0xD5;
  if (pcm < 0) {
    mask = 0x55;
    pcm = -pcm - 1;
  }
  int seg = 0;
  while (seg < 8 && pcm > seg_end[seg]) ++seg;
  if (seg >= 8) return static_cast<std::uint8_t>(0x7F ^ mask);
  int aval = seg << 4;
  aval |= seg < 2 ? (pcm >> 1) & 0x0F : (pcm >> seg) & 0x0F;
  return static_cast<std::uint8_t>(aval ^ mask);
}

std::int16_t alaw_decode_slow(std::uint8_t code) {
  int a = code ^ 0x55;
  int t = (a & 0x0F) << 4;
  int seg = (a & 0x70) >> 4;
  if (seg == 0)
    t += 8;
  else if (seg == 1)
    t += 0x108;
  else
    t = (t + 0x108) << (seg - 1);
  return static_cast<std::int16_t>((a & 0x80) ? t : -t);
}

struct Tables {
  std::array<std::uint8_t, 65536> ulaw_enc{}, alaw_enc{};
  std::array<std::int16_t, 256> ulaw_dec{}, alaw_dec{};
  Tables() {
    for (int i = 0; i < 65536; ++i) {
      int s = i - 32768;
      ulaw_enc[std::size_t(i)] = ulaw_encode_slow(s);
      alaw_enc[std::size_t(i)] = alaw_encode_slow(s);
    }
    for (int c = 0; c < 256; ++c) {
      ulaw_dec[std::size_t(c)] = ulaw_decode_slow(std::uint8_t(c));
      alaw_dec[std::size_t(c)] = alaw_decode_slow(std::uint8_t(c));
    }
  }
};

const Tables& tables() {
  static const Tables t;
  return t;
}

}  // namespace

std::uint8_t linear_to_ulaw(std::int16_t s) { return tables().ulaw_enc[std::size_t(s + 32768)]; }
std::int16_t ulaw_to_linear(std::uint8_t c) { return tables().ulaw_dec[c]; }
std::uint8_t linear_to_alaw(std::int16_t s) { return tables().alaw_enc[std::size_t(s + 32768)]; }
std::int16_t alaw_to_linear(std::uint8_t c) { return tables().alaw_dec[c]; }

}  // namespace proffer::media
