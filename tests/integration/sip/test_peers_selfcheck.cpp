// The SIP test peers on their own, with no engine: the scenarios, the RTP tap, the tone files and
// baresip, checked against sipp's built-in uas and against baresip. When an engine test fails,
// this one passing says the far ends are sound. The tap and sipp's pcap play need root.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <QtTest>

#include "sip_peers.hpp"

using namespace proffer::test;

namespace {

QString on_loopback(std::uint16_t port) { return "127.0.0.1:" + QString::number(port); }

// baresip listens a moment after it starts; its SIP port is taken once it does.
bool udp_port_taken(std::uint16_t port) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool taken = bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0;
  close(fd);
  return taken;
}

// A baresip that takes calls without registering anywhere; it says `hz` from a 60 s WAV.
bool start_phone(BaresipPhone& phone, const QTemporaryDir& media, double hz, bool auto_answer) {
  const QString wav = media.filePath(QString::number(hz) + ".wav");
  return write_tone_wav(wav, hz, 60) && phone.start({.user = "phone",
                                                     .registrar_port = 9,
                                                     .tone_wav = wav,
                                                     .run_seconds = 30,
                                                     .auto_answer = auto_answer,
                                                     .register_account = false});
}

}  // namespace

class PeersSelfcheck : public QObject {
  Q_OBJECT

 private slots:
  void a_pure_tone_is_measured_to_the_hertz() {
    QTemporaryDir dir;
    for (double hz : {300.0, 1000.0, 3333.0}) {
      QVERIFY(write_tone_wav(dir.filePath("t.wav"), hz, 1.5));
      int rate = 0;
      auto samples = read_wav_samples(dir.filePath("t.wav"), &rate);
      QCOMPARE(rate, 8000);
      QCOMPARE(int(samples.size()), 12000);
      QVERIFY2(std::abs(dominant_hz(samples) - hz) <= 1, qPrintable(QString::number(hz)));
      QVERIFY(std::abs(rms(samples) - 32767 * 0.316 / std::sqrt(2.0)) < 100);  // -10 dBFS sine
    }
  }

  void a_capture_sipp_plays_reaches_the_tap_as_its_tone() {
    if (geteuid() != 0) QSKIP("the tap and sipp's pcap play need root");
    QTemporaryDir media;
    QVERIFY(write_rtp_pcap(media.filePath("tone.pcap"), 1000, 3, 0));
    const auto uas_port = free_sip_port(), uas_media = free_udp_port_pair();
    SippProcess uas;
    QVERIFY(uas.start({.args = {"-sn", "uas", "-m", "1", "-p", QString::number(uas_port), "-mp",
                                QString::number(uas_media)}}));
    RtpTap tap;
    QVERIFY2(tap.start(uas_media), qPrintable(tap.error()));
    auto caller = run_sipp({.args = {"-sf", scenario_path("uac_pcmu_tone.xml"), "-m", "1", "-mp",
                                     QString::number(free_udp_port_pair()), "-key", "hold_ms",
                                     "4000", on_loopback(uas_port)},
                            .workdir = media.path(),
                            .timeout_ms = 20000});
    QVERIFY2(caller.exit_code == 0, qPrintable(caller.log));
    QVERIFY2(uas.wait(5000) == 0, qPrintable(uas.log_tail()));
    tap.stop();
    QVERIFY2(tap.packets() >= 145, qPrintable(QString::number(tap.packets())));  // 150 sent
    QCOMPARE(tap.payload_types().size(), std::size_t(1));
    QCOMPARE(tap.payload_types().begin()->first, 0);
    QVERIFY(std::abs(dominant_hz(tap.samples()) - 1000) <= 2);
  }

  void two_baresips_hear_each_other() {
    QTemporaryDir media;
    BaresipPhone callee, caller;
    QVERIFY2(start_phone(callee, media, 440, true), qPrintable(callee.log()));
    const QString caller_wav = media.filePath("caller.wav");
    QVERIFY(write_tone_wav(caller_wav, 1000, 60));
    QTRY_VERIFY_WITH_TIMEOUT(udp_port_taken(callee.sip_port()), 5000);
    QVERIFY(caller.start({.user = "caller",
                          .registrar_port = 9,
                          .tone_wav = caller_wav,
                          .run_seconds = 4,  // it hangs up when it quits
                          .register_account = false,
                          .dial = "sip:phone@" + on_loopback(callee.sip_port())}));
    QTest::qWait(5500);
    caller.stop();
    callee.stop();
    for (auto [phone, hz] : {std::pair{&callee, 1000.0}, std::pair{&caller, 440.0}}) {
      auto dumps = phone->received_wavs();
      QVERIFY2(!dumps.isEmpty(), qPrintable(phone->log()));
      auto heard = read_wav_samples(dumps.front());
      QVERIFY2(heard.size() >= 16000, qPrintable(QString::number(heard.size())));
      QVERIFY2(std::abs(dominant_hz(heard) - hz) <= 2, qPrintable(phone->log()));
    }
  }

  void the_caller_scenarios_pass_against_baresip_data() {
    QTest::addColumn<QString>("scenario");
    QTest::addColumn<bool>("auto_answer");
    QTest::newRow("cancel while ringing") << "uac_cancel.xml" << false;
    QTest::newRow("hold and resume") << "uac_hold.xml" << true;
    QTest::newRow("INFO digits") << "uac_info_dtmf.xml" << true;
  }

  void the_caller_scenarios_pass_against_baresip() {
    QFETCH(QString, scenario);
    QFETCH(bool, auto_answer);
    QTemporaryDir media;
    BaresipPhone phone;
    QVERIFY2(start_phone(phone, media, 440, auto_answer), qPrintable(phone.log()));
    QTRY_VERIFY_WITH_TIMEOUT(udp_port_taken(phone.sip_port()), 5000);
    auto sipp = run_sipp({.args = {"-sf", scenario_path(scenario.toUtf8().constData()), "-m", "1",
                                   "-s", "phone", on_loopback(phone.sip_port())},
                          .timeout_ms = 20000});
    QVERIFY2(sipp.exit_code == 0, qPrintable(sipp.log + "\nbaresip:\n" + phone.log()));
  }

  void baresip_is_held_and_hung_up_on_by_uas_answer_hold_bye() {
    const auto port = free_sip_port();
    SippProcess uas;
    QVERIFY(uas.start({.args = {"-sf", scenario_path("uas_answer_hold_bye.xml"), "-m", "1", "-p",
                                QString::number(port)}}));
    QTemporaryDir media;
    const QString wav = media.filePath("caller.wav");
    QVERIFY(write_tone_wav(wav, 1000, 60));
    BaresipPhone caller;
    QVERIFY(caller.start({.user = "caller",
                          .registrar_port = 9,
                          .tone_wav = wav,
                          .run_seconds = 20,
                          .register_account = false,
                          .dial = "sip:service@" + on_loopback(port)}));
    QVERIFY2(uas.wait(15000) == 0, qPrintable(uas.log_tail() + "\nbaresip:\n" + caller.log()));
  }
};

QTEST_GUILESS_MAIN(PeersSelfcheck)
#include "test_peers_selfcheck.moc"
