// RTP from sipp's built-in uac_pcap scenario: 8 s of G.711 A-law speech, then an RFC 4733 "1"
// from Debian's capture. The digit must reach call logic as a digit, and the RTP statistics the
// engine reports must show the audio arrived whole.
#include <QDir>
#include <QFile>

#include "sip_fixture.hpp"

using namespace proffer::test;
using namespace proffer::test::sip;

class RtpFromSippPcap : public QObject {
  Q_OBJECT

 private slots:
  void rfc4733_digits_in_a_pcap_arrive_in_call_logic() {
    auto port = free_sip_port();
    EngineProcess engine({.toml = sip_config(port, {}, route("*", "hold10"))});
    QVERIFY2(engine.start(), qPrintable(engine.failure()));
    EventListener events(engine.events_endpoint(), "channel.");
    SippProcess sipp;  // its work folder links pcap/ to /usr/share/sip-tester
    QVERIFY(sipp.start(
        {.args = {"-sn", "uac_pcap", "-m", "1", "-mp", QString::number(free_udp_port_pair()),
                  "127.0.0.1:" + QString::number(port)}}));
    std::string digits;
    std::optional<json::object> media;
    while (auto e = events.next("channel.", 20000)) {
      auto name = str(*e, "event");
      const auto& data = e->at("data").as_object();
      if (name == "channel.dtmf") digits += str(data, "digit");
      if (name == "channel.media" && data.at("final").as_bool()) media = data;
      if (name == "channel.hangup") break;
    }
    QVERIFY2(sipp.wait(30000) == 0, why(sipp, engine));
    QCOMPARE(digits, std::string("1"));
    QVERIFY2(media, "no final channel.media event");
    QCOMPARE(str(*media, "codec"), std::string("PCMA"));
    // The capture's ~4.6 s of 20 ms packets, and our own 50 a second the other way for the ~9 s
    // the call lasts. (The digit comes from a second capture with its own SSRC: the loss count
    // restarts with it, as RFC 3550 has it.)
    QVERIFY2(num(*media, "packets_received") >= 200,
             qPrintable(QString::fromStdString(json::serialize(*media))));
    QVERIFY(num(*media, "packets_sent") >= 400);
    QCOMPARE(num(*media, "lost"), 0);
    PROFFER_VERIFY_ENGINE_STOPS(engine);
  }
};

QTEST_GUILESS_MAIN(RtpFromSippPcap)
#include "test_rtp_from_sipp_pcap.moc"
