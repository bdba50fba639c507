// SDP offer/answer as RFC 3264 has it: the offerer's codec order wins among ours, payload types
// are kept, hold is mirrored, nothing in common is an error the driver turns into 488, and what
// we write parses back to what we meant.
#include <QtTest>

#include "sip/sdp.hpp"

using namespace proffer::hal::sip;

namespace {

const char* kSippOffer =
    "v=0\r\no=user1 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
    "t=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";

std::string offer(const std::string& m_line, const std::string& attrs,
                  const std::string& c = "c=IN IP4 10.0.0.5\r\n") {
  return "v=0\r\no=- 1 1 IN IP4 10.0.0.5\r\ns=-\r\n" + c + "t=0 0\r\n" + m_line + "\r\n" + attrs;
}

LocalMediaSpec local() {
  LocalMediaSpec l;
  l.ip = "127.0.0.1";
  l.port = 20000;
  return l;
}

}  // namespace

class SdpOfferAnswer : public QObject {
  Q_OBJECT

 private slots:
  void sipps_offer_gets_pcmu() {
    auto remote = parse_remote_sdp(kSippOffer);
    QVERIFY(remote);
    QCOMPARE(remote.value().ip, std::string("127.0.0.1"));
    QCOMPARE(int(remote.value().port), 6000);
    auto a = answer_offer(remote.value(), local());
    QVERIFY(a);
    QCOMPARE(a.value().codec.name, std::string("PCMU"));
    QCOMPARE(a.value().dtmf_payload_type, -1);
    QVERIFY(a.value().sdp.find("m=audio 20000 RTP/AVP 0\r\n") != std::string::npos);
    QVERIFY(a.value().sdp.find("a=sendrecv") != std::string::npos);
  }

  void the_offerers_order_decides_and_payload_types_are_kept() {
    auto r =
        parse_remote_sdp(offer("m=audio 7000 RTP/AVP 96 8 0 97",
                               "a=rtpmap:96 opus/48000/2\r\na=rtpmap:97 telephone-event/8000\r\n"));
    QVERIFY(r);
    auto a = answer_offer(r.value(), local());
    QVERIFY(a);
    QCOMPARE(a.value().codec.name, std::string("opus"));
    QCOMPARE(a.value().codec.payload_type, 96);
    QCOMPARE(a.value().dtmf_payload_type, 97);
    auto pcma_first = parse_remote_sdp(offer("m=audio 7000 RTP/AVP 8 0", ""));
    QCOMPARE(answer_offer(pcma_first.value(), local()).value().codec.name, std::string("PCMA"));
    auto no_opus = local();
    no_opus.codec_preference = {"PCMU"};
    QCOMPARE(answer_offer(r.value(), no_opus).value().codec.name, std::string("PCMU"));
  }

  void nothing_in_common_and_garbage_are_errors() {
    auto g729 = parse_remote_sdp(offer("m=audio 7000 RTP/AVP 18", "a=rtpmap:18 G729/8000\r\n"));
    QVERIFY(g729);
    auto a = answer_offer(g729.value(), local());
    QVERIFY(!a);
    QCOMPARE(a.error().code, std::string("sdp_no_common_codec"));
    auto junk = parse_remote_sdp("v=0\r\nthis is not sdp\r\n");
    QVERIFY(!junk);
    QCOMPARE(junk.error().code, std::string("sdp_malformed"));
    auto srtp = parse_remote_sdp(offer("m=audio 7000 RTP/SAVP 0", ""));
    QVERIFY(!srtp);
    QCOMPARE(srtp.error().code, std::string("sdp_unsupported_transport"));
    auto video = parse_remote_sdp(offer("m=video 7000 RTP/AVP 96", "a=rtpmap:96 VP8/90000\r\n"));
    QCOMPARE(video.error().code, std::string("sdp_no_audio"));
  }

  void hold_is_mirrored() {
    auto sendonly = parse_remote_sdp(offer("m=audio 7000 RTP/AVP 0", "a=sendonly\r\n"));
    auto a = answer_offer(sendonly.value(), local());
    QCOMPARE(int(a.value().local_direction), int(MediaDirection::RecvOnly));
    QVERIFY(a.value().sdp.find("a=recvonly") != std::string::npos);
    auto inactive = parse_remote_sdp(offer("m=audio 7000 RTP/AVP 0", "a=inactive\r\n"));
    QCOMPARE(int(answer_offer(inactive.value(), local()).value().local_direction),
             int(MediaDirection::Inactive));
    // RFC 2543 hold: c=0.0.0.0.
    auto old_hold = parse_remote_sdp(offer("m=audio 7000 RTP/AVP 0", "", "c=IN IP4 0.0.0.0\r\n"));
    QCOMPARE(int(old_hold.value().direction), int(MediaDirection::SendOnly));
  }

  void media_level_connection_wins_over_session_level() {
    auto r = parse_remote_sdp(offer("m=audio 7000 RTP/AVP 0", "c=IN IP4 192.0.2.9\r\n"));
    QCOMPARE(r.value().ip, std::string("192.0.2.9"));
  }

  void what_we_write_parses_back() {
    auto our_offer = make_offer(local());
    auto back = parse_remote_sdp(our_offer);
    QVERIFY(back);
    QCOMPARE(int(back.value().codecs.size()), 3);
    QCOMPARE(back.value().codecs[0].name, std::string("PCMU"));
    QCOMPARE(back.value().codecs[2].name, std::string("opus"));
    QCOMPARE(back.value().codecs[2].clock_rate, 48000);
    QCOMPARE(back.value().dtmf_payload_type, 101);
    // The far end answers with PCMA only: accept_answer takes it.
    auto answered = accept_answer(
        offer("m=audio 7000 RTP/AVP 8 101", "a=rtpmap:101 telephone-event/8000\r\n"), local());
    QVERIFY(answered);
    QCOMPARE(answered.value().codec.name, std::string("PCMA"));
    QCOMPARE(int(answered.value().remote.port), 7000);
  }

  void our_answer_parses_back_to_what_was_agreed() {
    auto r = parse_remote_sdp(offer("m=audio 7000 RTP/AVP 96 8 97",
                                    "a=rtpmap:96 opus/48000/2\r\na=fmtp:96 stereo=1\r\n"
                                    "a=rtpmap:97 telephone-event/8000\r\na=sendonly\r\n"));
    auto a = answer_offer(r.value(), local());
    QVERIFY(a);
    auto back = parse_remote_sdp(a.value().sdp);
    QVERIFY2(back, a.value().sdp.c_str());
    QCOMPARE(back.value().ip, std::string("127.0.0.1"));
    QCOMPARE(int(back.value().port), 20000);
    QCOMPARE(int(back.value().codecs.size()), 1);
    QCOMPARE(back.value().codecs[0].name, std::string("opus"));
    QCOMPARE(back.value().codecs[0].payload_type, 96);
    QCOMPARE(back.value().codecs[0].channels, 2);
    // fmtp says what its writer wants to receive: ours, not the peer's stereo=1 echoed.
    QCOMPARE(back.value().codecs[0].fmtp, std::string("useinbandfec=1"));
    QCOMPARE(back.value().dtmf_payload_type, 97);
    QCOMPARE(int(back.value().direction), int(MediaDirection::RecvOnly));
    QVERIFY(a.value().sdp.find("a=ptime:20\r\n") != std::string::npos);
    QVERIFY(a.value().sdp.find("o=proffer ") != std::string::npos);
    for (std::size_t i = 0; (i = a.value().sdp.find('\n', i)) != std::string::npos; ++i)
      QCOMPARE(a.value().sdp[i - 1], '\r');
  }

  void opus_is_taken_only_as_rfc7587_declares_it() {
    auto mono = parse_remote_sdp(offer("m=audio 7000 RTP/AVP 96", "a=rtpmap:96 opus/48000\r\n"));
    QCOMPARE(answer_offer(mono.value(), local()).error().code, std::string("sdp_no_common_codec"));
    auto narrow =
        parse_remote_sdp(offer("m=audio 7000 RTP/AVP 96 0", "a=rtpmap:96 opus/8000/2\r\n"));
    QCOMPARE(answer_offer(narrow.value(), local()).value().codec.name, std::string("PCMU"));
  }

  void other_streams_are_declined_in_place() {
    // RFC 3264: the answer has as many m= lines as the offer, the unwanted ones with port 0.
    auto r =
        parse_remote_sdp(offer("m=video 9000 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\n"
                               "m=audio 7000 RTP/AVP 0",
                               ""));
    QVERIFY(r);
    QCOMPARE(int(r.value().port), 7000);
    auto a = answer_offer(r.value(), local());
    QVERIFY(a);
    const std::string& sdp = a.value().sdp;
    auto video = sdp.find("m=video 0 RTP/AVP 96\r\n");
    auto audio = sdp.find("m=audio 20000 RTP/AVP 0\r\n");
    QVERIFY2(video != std::string::npos && audio != std::string::npos, sdp.c_str());
    QVERIFY(video < audio);
    QCOMPARE(parse_remote_sdp(sdp).value().port, std::uint16_t(20000));
  }

  void best_effort_srtp_falls_back_to_the_plain_rtp_stream() {
    auto r = parse_remote_sdp(offer("m=audio 7000 RTP/SAVP 0\r\nm=audio 7002 RTP/AVP 0", ""));
    QVERIFY(r);
    QCOMPARE(int(r.value().port), 7002);
    auto sdp = answer_offer(r.value(), local()).value().sdp;
    QVERIFY(sdp.find("m=audio 0 RTP/SAVP 0\r\n") < sdp.find("m=audio 20000 RTP/AVP 0\r\n"));
    auto webrtc = parse_remote_sdp(offer("m=audio 7000 UDP/TLS/RTP/SAVPF 111", ""));
    QCOMPARE(webrtc.error().code, std::string("sdp_unsupported_transport"));
  }

  void session_level_direction_and_rtcp_port_are_read() {
    auto r = parse_remote_sdp(
        "v=0\r\no=- 1 1 IN IP4 10.0.0.5\r\ns=-\r\nc=IN IP4 10.0.0.5\r\n"
        "t=0 0\r\na=inactive\r\nm=audio 7000 RTP/AVP 8\r\na=rtcp:7005\r\n");
    QVERIFY(r);
    QCOMPARE(int(r.value().direction), int(MediaDirection::Inactive));
    QCOMPARE(int(r.value().rtcp_port), 7005);
    QVERIFY(answer_offer(r.value(), local()).value().sdp.find("a=inactive\r\n") !=
            std::string::npos);
  }

  void an_answer_without_our_codecs_is_refused() {
    auto r = accept_answer(offer("m=audio 7000 RTP/AVP 18", "a=rtpmap:18 G729/8000\r\n"), local());
    QCOMPARE(r.error().code, std::string("sdp_no_common_codec"));
    auto held = accept_answer(offer("m=audio 7000 RTP/AVP 0", "a=recvonly\r\n"), local());
    QCOMPARE(int(held.value().local_direction), int(MediaDirection::SendOnly));
  }

  void ipv6_addresses_are_written_as_such() {
    auto l = local();
    l.ip = "2001:db8::7";
    auto sdp = make_offer(l, MediaDirection::SendOnly);
    QVERIFY(sdp.find("c=IN IP6 2001:db8::7\r\n") != std::string::npos);
    QVERIFY(sdp.find("a=sendonly\r\n") != std::string::npos);
    auto back = parse_remote_sdp(sdp);
    QVERIFY(back);
    QCOMPARE(back.value().ip, l.ip);
    QCOMPARE(int(back.value().direction), int(MediaDirection::SendOnly));
  }
};

QTEST_GUILESS_MAIN(SdpOfferAnswer)
#include "test_sdp_offer_answer.moc"
