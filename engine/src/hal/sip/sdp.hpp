#pragma once
// SDP offer/answer (RFC 3264) for one audio stream. Parsing uses sofia-sip's SDP parser; what we
// send is written here, so its content is exactly what the driver negotiated.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "proffer/core/error.hpp"

namespace proffer::hal::sip {

enum class MediaDirection { SendRecv, SendOnly, RecvOnly, Inactive };
std::string_view direction_name(MediaDirection d);

struct CodecChoice {
  std::string name;  // "PCMU", "PCMA", "opus"
  int payload_type = 0;
  int clock_rate = 8000;
  int channels = 1;
  std::string fmtp;
};

struct RemoteMedia {
  std::string ip;
  std::uint16_t port = 0;
  std::vector<CodecChoice> codecs;  // in the peer's order of preference
  int dtmf_payload_type = -1;
  int dtmf_clock_rate = 8000;
  MediaDirection direction = MediaDirection::SendRecv;  // as the peer states it
  std::uint16_t rtcp_port = 0;                           // a=rtcp, 0 when absent
};

struct LocalMediaSpec {
  std::string ip;
  std::uint16_t port = 0;
  std::vector<std::string> codec_preference{"PCMU", "PCMA", "opus"};
  bool dtmf = true;
  std::string session_name = "proffer";
  std::uint64_t session_id = 1;
  std::uint64_t version = 1;
};

struct Answer {
  std::string sdp;  // ours: the answer we send, or the offer we sent (accept_answer)
  CodecChoice codec;
  int dtmf_payload_type = -1;
  MediaDirection local_direction = MediaDirection::SendRecv;   // what we do
  MediaDirection remote_direction = MediaDirection::SendRecv;  // what the peer said
  RemoteMedia remote;
};

// Errors: "sdp_malformed", "sdp_no_audio", "sdp_unsupported_transport", "sdp_no_common_codec".
core::Result<RemoteMedia> parse_remote_sdp(std::string_view sdp);
core::Result<Answer> answer_offer(const RemoteMedia& offer, const LocalMediaSpec& local);
std::string make_offer(const LocalMediaSpec& local,
                       MediaDirection direction = MediaDirection::SendRecv);
core::Result<Answer> accept_answer(std::string_view answer_sdp, const LocalMediaSpec& local);

}  // namespace proffer::hal::sip
