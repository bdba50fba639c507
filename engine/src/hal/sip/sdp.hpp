#pragma once
// SDP offer/answer (RFC 3264) for one audio stream. Parsing uses sofia-sip's SDP parser; what we
// send is written here, so its content is exactly what the driver negotiated.
#include <cstddef>
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
  std::uint16_t rtcp_port = 0;                          // a=rtcp, 0 when absent
  // Every m= line of the SDP as "<media> <proto> <formats>", in order, and which one is the
  // audio stream above: an answer must have as many m= lines (RFC 3264 section 6), so the
  // others are declined with port 0. Empty: the answer has the audio stream only.
  std::vector<std::string> streams;
  std::size_t audio_stream = 0;
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

// The first audio stream with a port, over RTP/AVP. Errors: "sdp_malformed" (the driver answers
// 400), "sdp_no_audio" and "sdp_unsupported_transport" (488).
core::Result<RemoteMedia> parse_remote_sdp(std::string_view sdp);
// The first codec of the offer's that we support, with the offer's payload type; the direction
// mirrored. Error "sdp_no_common_codec" (488).
core::Result<Answer> answer_offer(const RemoteMedia& offer, const LocalMediaSpec& local);
// PCMU 0, PCMA 8, opus 111 (as far as local.codec_preference has them) and telephone-event 101.
std::string make_offer(const LocalMediaSpec& local,
                       MediaDirection direction = MediaDirection::SendRecv);
// The peer's answer to make_offer(local): the first supported codec in it. Answer::sdp is our
// offer again.
core::Result<Answer> accept_answer(std::string_view answer_sdp, const LocalMediaSpec& local);

}  // namespace proffer::hal::sip
