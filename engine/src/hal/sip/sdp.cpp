#include "sdp.hpp"

#include <sofia-sip/sdp.h>
#include <sofia-sip/su_alloc.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <memory>

namespace proffer::hal::sip {
namespace {

constexpr int kOpusPt = 111;
constexpr int kDtmfPt = 101;
constexpr const char* kOpusFmtp = "useinbandfec=1";

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

MediaDirection from_mode(unsigned mode) {
  switch (mode) {
    case sdp_sendonly:
      return MediaDirection::SendOnly;
    case sdp_recvonly:
      return MediaDirection::RecvOnly;
    case sdp_inactive:
      return MediaDirection::Inactive;
    default:
      return MediaDirection::SendRecv;
  }
}

// What we do when the peer does `d`.
MediaDirection mirror(MediaDirection d) {
  switch (d) {
    case MediaDirection::SendOnly:
      return MediaDirection::RecvOnly;
    case MediaDirection::RecvOnly:
      return MediaDirection::SendOnly;
    default:
      return d;
  }
}

struct Home {
  su_home_t home[1] = {};
  Home() { su_home_init(home); }
  ~Home() { su_home_deinit(home); }
  Home(const Home&) = delete;
  Home& operator=(const Home&) = delete;
};

// A codec we can run, spelt as the rtpmap spells it; opus only as RFC 7587 declares it
// (48000/2 whatever is actually sent).
bool supported(const CodecChoice& c, const std::vector<std::string>& preference) {
  bool wanted = std::any_of(preference.begin(), preference.end(),
                            [&](const std::string& p) { return iequals(p, c.name); });
  if (!wanted) return false;
  if (iequals(c.name, "opus")) return c.clock_rate == 48000 && c.channels == 2;
  return (iequals(c.name, "PCMU") || iequals(c.name, "PCMA")) && c.clock_rate == 8000;
}

const CodecChoice* first_supported(const std::vector<CodecChoice>& codecs,
                                   const LocalMediaSpec& local) {
  auto it = std::find_if(codecs.begin(), codecs.end(), [&](const CodecChoice& c) {
    return supported(c, local.codec_preference);
  });
  return it == codecs.end() ? nullptr : &*it;
}

// fmtp parameters say what their writer wants to receive, so ours are our own, never an echo.
std::string our_fmtp(const CodecChoice& c) { return iequals(c.name, "opus") ? kOpusFmtp : ""; }

std::string rtpmap_line(const CodecChoice& c) {
  std::string line = "a=rtpmap:" + std::to_string(c.payload_type) + " " + c.name + "/" +
                     std::to_string(c.clock_rate);
  if (c.channels > 1) line += "/" + std::to_string(c.channels);
  return line + "\r\n";
}

std::string session_part(const LocalMediaSpec& local) {
  std::string addr = (local.ip.find(':') == std::string::npos ? "IN IP4 " : "IN IP6 ") + local.ip;
  // s= must not be empty (RFC 4566 section 5.3).
  std::string name = local.session_name.empty() ? "-" : local.session_name;
  return "v=0\r\no=proffer " + std::to_string(local.session_id) + " " +
         std::to_string(local.version) + " " + addr + "\r\ns=" + name + "\r\nc=" + addr +
         "\r\nt=0 0\r\n";
}

std::string audio_part(const LocalMediaSpec& local, const std::vector<CodecChoice>& codecs,
                       int dtmf_pt, MediaDirection dir) {
  std::string pts;
  for (const auto& c : codecs) pts += " " + std::to_string(c.payload_type);
  if (dtmf_pt >= 0) pts += " " + std::to_string(dtmf_pt);
  std::string s = "m=audio " + std::to_string(local.port) + " RTP/AVP" + pts + "\r\n";
  for (const auto& c : codecs) {
    s += rtpmap_line(c);
    if (!c.fmtp.empty()) s += "a=fmtp:" + std::to_string(c.payload_type) + " " + c.fmtp + "\r\n";
  }
  if (dtmf_pt >= 0)
    s += "a=rtpmap:" + std::to_string(dtmf_pt) +
         " telephone-event/8000\r\na=fmtp:" + std::to_string(dtmf_pt) + " 0-16\r\n";
  return s + "a=ptime:20\r\na=" + std::string(direction_name(dir)) + "\r\n";
}

// Our audio stream where the peer's was, every other stream of theirs declined (port 0).
std::string write_sdp(const LocalMediaSpec& local, const std::vector<CodecChoice>& codecs,
                      int dtmf_pt, MediaDirection dir, const RemoteMedia* offer = nullptr) {
  std::string s = session_part(local);
  std::string audio = audio_part(local, codecs, dtmf_pt, dir);
  if (!offer || offer->streams.empty()) return s + audio;
  for (std::size_t i = 0; i < offer->streams.size(); ++i) {
    if (i == offer->audio_stream) {
      s += audio;
      continue;
    }
    const std::string& stream = offer->streams[i];
    auto space = stream.find(' ');
    s += "m=" + stream.substr(0, space) + " 0" + stream.substr(space) + "\r\n";
  }
  return s;
}

void read_rtpmaps(const sdp_media_t* m, RemoteMedia& out) {
  for (const sdp_rtpmap_t* rm = m->m_rtpmaps; rm; rm = rm->rm_next) {
    // A dynamic payload type without its rtpmap comes with no name: nothing we could run.
    if (!rm->rm_encoding || !*rm->rm_encoding) continue;
    std::string name = rm->rm_encoding;
    if (iequals(name, "telephone-event")) {
      if (out.dtmf_payload_type < 0 || rm->rm_rate == 8000) {
        out.dtmf_payload_type = int(rm->rm_pt);
        out.dtmf_clock_rate = int(rm->rm_rate);
      }
      continue;
    }
    CodecChoice c;
    c.name = name;
    if (iequals(name, "opus"))
      c.name = "opus";
    else
      for (auto& ch : c.name) ch = char(std::toupper(static_cast<unsigned char>(ch)));
    c.payload_type = int(rm->rm_pt);
    c.clock_rate = int(rm->rm_rate);
    c.channels = rm->rm_params ? std::max(1, std::atoi(rm->rm_params)) : 1;
    c.fmtp = rm->rm_fmtp ? rm->rm_fmtp : "";
    out.codecs.push_back(std::move(c));
  }
}

// "video RTP/AVP 96 97": an m= line without its port, enough to decline it in an answer.
std::string stream_line(const sdp_media_t* m) {
  std::string s = std::string(m->m_type_name ? m->m_type_name : "audio") + " " +
                  (m->m_proto_name ? m->m_proto_name : "RTP/AVP");
  std::string formats;
  for (const sdp_rtpmap_t* rm = m->m_rtpmaps; rm; rm = rm->rm_next)
    formats += " " + std::to_string(rm->rm_pt);
  if (formats.empty())
    for (const sdp_list_t* l = m->m_format; l; l = l->l_next)
      if (l->l_text) formats += std::string(" ") + l->l_text;
  return s + (formats.empty() ? " 0" : formats);
}

core::Error malformed(sdp_parser_t* parser) {
  const char* why = parser ? sdp_parsing_error(parser) : nullptr;
  return core::Error{"sdp_malformed",
                     std::string("SDP cannot be parsed: ") + (why ? why : "empty")};
}

}  // namespace

std::string_view direction_name(MediaDirection d) {
  switch (d) {
    case MediaDirection::SendOnly:
      return "sendonly";
    case MediaDirection::RecvOnly:
      return "recvonly";
    case MediaDirection::Inactive:
      return "inactive";
    default:
      return "sendrecv";
  }
}

core::Result<RemoteMedia> parse_remote_sdp(std::string_view text) {
  Home h;
  // sdp_f_mode_0000: c=0.0.0.0 reads as sendonly, the hold of RFC 2543 that phones still send.
  std::unique_ptr<sdp_parser_t, void (*)(sdp_parser_t*)> parser(
      sdp_parse(h.home, text.data(), static_cast<issize_t>(text.size()), sdp_f_mode_0000),
      sdp_parser_free);
  const sdp_session_t* session = parser ? sdp_session(parser.get()) : nullptr;
  if (!session) return malformed(parser.get());
  RemoteMedia out;
  const sdp_media_t* audio = nullptr;
  const sdp_media_t* other_transport = nullptr;
  for (const sdp_media_t* m = session->sdp_media; m; m = m->m_next) {
    bool active_audio = m->m_type == sdp_media_audio && m->m_port != 0 && !m->m_rejected;
    // Best-effort SRTP offers an RTP/SAVP stream and then the same as RTP/AVP: take the latter.
    if (active_audio && !audio && m->m_proto == sdp_proto_rtp) {
      audio = m;
      out.audio_stream = out.streams.size();
    } else if (active_audio && !other_transport) {
      other_transport = m;
    }
    out.streams.push_back(stream_line(m));
  }
  if (!audio && other_transport)
    return core::Error{
        "sdp_unsupported_transport",
        "audio over " +
            std::string(other_transport->m_proto_name ? other_transport->m_proto_name : "?") +
            " is not supported (RTP/AVP only)"};
  if (!audio) return core::Error{"sdp_no_audio", "the SDP offers no audio stream"};
  const sdp_connection_t* c = sdp_media_connections(audio);
  if (!c || !c->c_address) return core::Error{"sdp_malformed", "the SDP has no connection address"};
  out.ip = c->c_address;
  out.port = static_cast<std::uint16_t>(audio->m_port);
  out.direction = from_mode(audio->m_mode);
  if (const sdp_attribute_t* a = sdp_attribute_find(audio->m_attributes, "rtcp"); a && a->a_value)
    out.rtcp_port = static_cast<std::uint16_t>(std::atoi(a->a_value));
  read_rtpmaps(audio, out);
  return out;
}

core::Result<Answer> answer_offer(const RemoteMedia& offer, const LocalMediaSpec& local) {
  const CodecChoice* chosen = first_supported(offer.codecs, local);
  if (!chosen) {
    std::string names;
    for (const auto& c : offer.codecs) names += (names.empty() ? "" : ", ") + c.name;
    return core::Error{"sdp_no_common_codec",
                       "no codec in common (offered: " + (names.empty() ? "none" : names) + ")"};
  }
  Answer a;
  a.codec = *chosen;
  a.dtmf_payload_type = local.dtmf && offer.dtmf_clock_rate == 8000 ? offer.dtmf_payload_type : -1;
  a.remote = offer;
  a.remote_direction = offer.direction;
  a.local_direction = mirror(offer.direction);
  CodecChoice ours = a.codec;
  ours.fmtp = our_fmtp(ours);
  a.sdp = write_sdp(local, {ours}, a.dtmf_payload_type, a.local_direction, &offer);
  return a;
}

std::string make_offer(const LocalMediaSpec& local, MediaDirection direction) {
  std::vector<CodecChoice> codecs;
  for (const auto& name : local.codec_preference) {
    if (iequals(name, "PCMU"))
      codecs.push_back({"PCMU", 0, 8000, 1, ""});
    else if (iequals(name, "PCMA"))
      codecs.push_back({"PCMA", 8, 8000, 1, ""});
    else if (iequals(name, "opus"))
      codecs.push_back({"opus", kOpusPt, 48000, 2, kOpusFmtp});
  }
  return write_sdp(local, codecs, local.dtmf ? kDtmfPt : -1, direction);
}

core::Result<Answer> accept_answer(std::string_view answer_sdp, const LocalMediaSpec& local) {
  auto remote = parse_remote_sdp(answer_sdp);
  if (!remote) return remote.error();
  Answer a;
  a.remote = std::move(remote.value());
  const CodecChoice* chosen = first_supported(a.remote.codecs, local);
  if (!chosen) return core::Error{"sdp_no_common_codec", "the answer picked no codec we offered"};
  a.codec = *chosen;
  bool dtmf = local.dtmf && a.remote.dtmf_clock_rate == 8000;
  a.dtmf_payload_type = dtmf ? a.remote.dtmf_payload_type : -1;
  a.remote_direction = a.remote.direction;
  a.local_direction = mirror(a.remote.direction);
  a.sdp = make_offer(local);
  return a;
}

}  // namespace proffer::hal::sip
