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

std::string offer(const std::string& m_line, const std::string& attrs, const std::string& c = "c=IN IP4 10.0.0.5\r\n") {
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
    auto r = parse_remote_sdp(offer("m=audio 7000 RTP/AVP 96 8 0 97",
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
    QCOMPARE(int(answer_offer(inactive.value(), local()).value().local_direction), int(MediaDirection::Inactive));
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
    auto answered = accept_answer(offer("m=audio 7000 RTP/AVP 8 101", "a=rtpmap:101 telephone-event/8000\r\n"), local());
    QVERIFY(answered);
    QCOMPARE(answered.value().codec.name, std::string("PCMA"));
    QCOMPARE(int(answered.value().remote.port), 7000);
  }
};

QTEST_GUILESS_MAIN(SdpOfferAnswer)
#include "test_sdp_offer_answer.moc"
