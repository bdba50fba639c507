#include "sdp.hpp"

#include <sofia-sip/sdp.h>
#include <sofia-sip/su_alloc.h>

#include <algorithm>
#include <cctype>
#include <memory>

namespace proffer::hal::sip {
namespace {

constexpr int kOpusPt = 111;
constexpr int kDtmfPt = 101;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

MediaDirection from_mode(unsigned mode) {
  switch (mode) {
    case sdp_sendonly: return MediaDirection::SendOnly;
    case sdp_recvonly: return MediaDirection::RecvOnly;
    case sdp_inactive: return MediaDirection::Inactive;
    default: return MediaDirection::SendRecv;
  }
}

// What we do when the peer does `d`.
MediaDirection mirror(MediaDirection d) {
  switch (d) {
    case MediaDirection::SendOnly: return MediaDirection::RecvOnly;
    case MediaDirection::RecvOnly: return MediaDirection::SendOnly;
    default: return d;
  }
}

struct Home {
  su_home_t home[1] = {};
  Home() { su_home_init(home); }
  ~Home() { su_home_deinit(home); }
};

// A codec we can run, spelt as the rtpmap spells it: opus only as RFC 7587 has it.
bool supported(const CodecChoice& c, const std::vector<std::string>& preference) {
  bool wanted = std::any_of(preference.begin(), preference.end(),
                            [&](const std::string& p) { return iequals(p, c.name); });
  if (!wanted) return false;
  if (iequals(c.name, "opus")) return c.clock_rate == 48000;
  return (iequals(c.name, "PCMU") || iequals(c.name, "PCMA")) && c.clock_rate == 8000;
}

std::string rtpmap_line(const CodecChoice& c) {
  std::string line = "a=rtpmap:" + std::to_string(c.payload_type) + " " + c.name + "/" +
                     std::to_string(c.clock_rate);
  if (c.channels > 1) line += "/" + std::to_string(c.channels);
  return line + "\r\n";
}

std::string write_sdp(const LocalMediaSpec& local, const std::vector<CodecChoice>& codecs,
                      int dtmf_pt, MediaDirection dir) {
  std::string pts;
  for (const auto& c : codecs) pts += " " + std::to_string(c.payload_type);
  if (dtmf_pt >= 0) pts += " " + std::to_string(dtmf_pt);
  std::string s = "v=0\r\no=proffer " + std::to_string(local.session_id) + " " +
                  std::to_string(local.version) + " IN IP4 " + local.ip + "\r\ns=" +
                  local.session_name + "\r\nc=IN IP4 " + local.ip + "\r\nt=0 0\r\nm=audio " +
                  std::to_string(local.port) + " RTP/AVP" + pts + "\r\n";
  for (const auto& c : codecs) {
    s += rtpmap_line(c);
    if (!c.fmtp.empty()) s += "a=fmtp:" + std::to_string(c.payload_type) + " " + c.fmtp + "\r\n";
  }
  if (dtmf_pt >= 0)
    s += "a=rtpmap:" + std::to_string(dtmf_pt) + " telephone-event/8000\r\na=fmtp:" +
         std::to_string(dtmf_pt) + " 0-16\r\n";
  s += "a=ptime:20\r\na=" + std::string(direction_name(dir)) + "\r\n";
  return s;
}

void read_rtpmaps(const sdp_media_t* m, RemoteMedia& out) {
  for (const sdp_rtpmap_t* rm = m->m_rtpmaps; rm; rm = rm->rm_next) {
    if (!rm->rm_encoding) continue;
    std::string name = rm->rm_encoding;
    if (iequals(name, "telephone-event")) {
      if (out.dtmf_payload_type < 0 || rm->rm_rate == 8000) {
        out.dtmf_payload_type = int(rm->rm_pt);
        out.dtmf_clock_rate = int(rm->rm_rate);
      }
      continue;
    }
    CodecChoice c;
    c.name = iequals(name, "opus") ? "opus" : name;
    for (auto& ch : c.name)
      if (c.name != "opus") ch = char(std::toupper(static_cast<unsigned char>(ch)));
    c.payload_type = int(rm->rm_pt);
    c.clock_rate = int(rm->rm_rate);
    c.channels = rm->rm_params ? std::max(1, std::atoi(rm->rm_params)) : 1;
    c.fmtp = rm->rm_fmtp ? rm->rm_fmtp : "";
    out.codecs.push_back(std::move(c));
  }
}

}  // namespace

std::string_view direction_name(MediaDirection d) {
  switch (d) {
    case MediaDirection::SendOnly: return "sendonly";
    case MediaDirection::RecvOnly: return "recvonly";
    case MediaDirection::Inactive: return "inactive";
    default: return "sendrecv";
  }
}

core::Result<RemoteMedia> parse_remote_sdp(std::string_view text) {
  Home h;
  sdp_parser_t* parser = sdp_parse(h.home, text.data(), static_cast<issize_t>(text.size()),
                                   sdp_f_all_rtpmaps | sdp_f_mode_0000);
  std::unique_ptr<sdp_parser_t, void (*)(sdp_parser_t*)> guard(parser, sdp_parser_free);
  sdp_session_t* session = parser ? sdp_session(parser) : nullptr;
  if (!session)
    return core::Error{"sdp_malformed",
                       std::string("SDP cannot be parsed: ") +
                           (parser && sdp_parsing_error(parser) ? sdp_parsing_error(parser) : "empty")};
  const sdp_media_t* audio = nullptr;
  for (const sdp_media_t* m = session->sdp_media; m; m = m->m_next)
    if (m->m_type == sdp_media_audio && m->m_port != 0 && !m->m_rejected) {
      audio = m;
      break;
    }
  if (!audio) return core::Error{"sdp_no_audio", "the SDP offers no audio stream"};
  if (audio->m_proto != sdp_proto_rtp)
    return core::Error{"sdp_unsupported_transport",
                       std::string("audio over ") + (audio->m_proto_name ? audio->m_proto_name : "?") +
                           " is not supported (RTP/AVP only)"};
  const sdp_connection_t* c = sdp_media_connections(audio);
  if (!c || !c->c_address) return core::Error{"sdp_malformed", "the SDP has no connection address"};
  RemoteMedia out;
  out.ip = c->c_address;
  out.port = static_cast<std::uint16_t>(audio->m_port);
  out.direction = from_mode(audio->m_mode);
  if (out.ip == "0.0.0.0" && out.direction == MediaDirection::SendRecv)
    out.direction = MediaDirection::SendOnly;  // RFC 2543 hold
  if (const sdp_attribute_t* a = sdp_attribute_find(audio->m_attributes, "rtcp"); a && a->a_value)
    out.rtcp_port = static_cast<std::uint16_t>(std::atoi(a->a_value));
  read_rtpmaps(audio, out);
  return out;
}

core::Result<Answer> answer_offer(const RemoteMedia& offer, const LocalMediaSpec& local) {
  auto it = std::find_if(offer.codecs.begin(), offer.codecs.end(),
                         [&](const CodecChoice& c) { return supported(c, local.codec_preference); });
  if (it == offer.codecs.end()) {
    std::string names;
    for (const auto& c : offer.codecs) names += (names.empty() ? "" : ", ") + c.name;
    return core::Error{"sdp_no_common_codec",
                       "no codec in common (offered: " + (names.empty() ? "none" : names) + ")"};
  }
  Answer a;
  a.codec = *it;
  a.dtmf_payload_type = local.dtmf && offer.dtmf_clock_rate == 8000 ? offer.dtmf_payload_type : -1;
  a.remote = offer;
  a.remote_direction = offer.direction;
  a.local_direction = mirror(offer.direction);
  a.sdp = write_sdp(local, {a.codec}, a.dtmf_payload_type, a.local_direction);
  return a;
}

std::string make_offer(const LocalMediaSpec& local, MediaDirection direction) {
  std::vector<CodecChoice> codecs;
  for (const auto& name : local.codec_preference) {
    if (iequals(name, "PCMU")) codecs.push_back({"PCMU", 0, 8000, 1, ""});
    else if (iequals(name, "PCMA")) codecs.push_back({"PCMA", 8, 8000, 1, ""});
    else if (iequals(name, "opus")) codecs.push_back({"opus", kOpusPt, 48000, 2, "useinbandfec=1"});
  }
  return write_sdp(local, codecs, local.dtmf ? kDtmfPt : -1, direction);
}

core::Result<Answer> accept_answer(std::string_view answer_sdp, const LocalMediaSpec& local) {
  auto remote = parse_remote_sdp(answer_sdp);
  if (!remote) return remote.error();
  Answer a;
  a.remote = remote.value();
  auto it = std::find_if(a.remote.codecs.begin(), a.remote.codecs.end(),
                         [&](const CodecChoice& c) { return supported(c, local.codec_preference); });
  if (it == a.remote.codecs.end())
    return core::Error{"sdp_no_common_codec", "the answer picked no codec we offered"};
  a.codec = *it;
  a.dtmf_payload_type = local.dtmf ? a.remote.dtmf_payload_type : -1;
  a.remote_direction = a.remote.direction;
  a.local_direction = mirror(a.remote.direction);
  a.sdp = make_offer(local);
  return a;
}

}  // namespace proffer::hal::sip
