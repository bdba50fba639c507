// baresip as an agent phone: it registers with the engine's registrar (digest, user from the
// config, kept in the store), a sipp caller comes in, call logic dials sip/agent1 and bridges the
// two. Each side sends its own tone — sipp 1000 Hz from a capture, baresip 440 Hz from a WAV — and
// each side must hear the other's: baresip's dump of what it received, and a tap on the RTP the
// engine sends to sipp.
#include <QDir>

#include "sip_fixture.hpp"

using namespace proffer::test;
using namespace proffer::test::sip;

class AgentPhoneBridge : public QObject {
  Q_OBJECT

 private slots:
  void an_inbound_call_is_bridged_to_a_registered_phone_with_audio_both_ways() {
    QTemporaryDir media;
    const QString caller_tone = media.filePath("tone.pcap");  // uac_pcmu_tone.xml plays this
    const QString agent_tone = media.filePath("agent.wav");
    QVERIFY(write_rtp_pcap(caller_tone, 1000, 6, 0));
    QVERIFY(write_tone_wav(agent_tone, 440, 20));

    auto port = free_sip_port();
    std::string users = "[[sip.users]]\nname = \"agent1\"\npassword = \"s3cret\"\n";
    EngineProcess engine({.toml = sip_config(port, {}, route("*", "bridge_agent")) + "\n" + users});
    QVERIFY2(engine.start(), qPrintable(engine.failure()));

    BaresipPhone agent;
    QVERIFY2(agent.start({.user = "agent1",
                          .password = "s3cret",
                          .registrar_port = port,
                          .tone_wav = agent_tone,
                          .run_seconds = 40}),
             qPrintable(agent.log()));
    QVERIFY2(wait_until([&] { return engine.stderr_text().contains("agent1 registered"); }, 10000),
             qPrintable(agent.log() + engine.stderr_text().right(2000)));

    auto media_port = free_udp_port_pair();
    RtpTap tap;
    QVERIFY2(tap.start(media_port), qPrintable(tap.error()));
    SippProcess caller;
    QVERIFY(
        caller.start({.args = {"-sf", scenario_path("uac_pcmu_tone.xml"), "-m", "1", "-mp",
                               QString::number(media_port), "127.0.0.1:" + QString::number(port)},
                      .workdir = media.path()}));
    QVERIFY2(caller.wait(40000) == 0, why(caller, engine));
    tap.stop();
    agent.stop();

    // What the engine sent to sipp came from baresip.
    QVERIFY2(tap.packets() > 100, qPrintable(QString::number(tap.packets())));
    double heard_by_caller = dominant_hz(tap.samples());
    QVERIFY2(std::abs(heard_by_caller - 440) < 25, qPrintable(QString::number(heard_by_caller)));
    // What baresip decoded came from sipp.
    auto dumps = agent.received_wavs();
    QVERIFY2(!dumps.isEmpty(), qPrintable(agent.log()));
    double heard_by_agent = dominant_hz(read_wav_samples(dumps.front()));
    QVERIFY2(std::abs(heard_by_agent - 1000) < 25, qPrintable(QString::number(heard_by_agent)));

    auto cdrs = sip_cdrs(engine);
    QCOMPARE(int(cdrs.size()), 2);  // the caller's leg and the agent's
    PROFFER_VERIFY_ENGINE_STOPS(engine);
  }

  void a_wrong_password_is_refused_and_the_phone_is_not_reachable() {
    auto port = free_sip_port();
    std::string users = "[[sip.users]]\nname = \"agent1\"\npassword = \"s3cret\"\n";
    EngineProcess engine({.toml = sip_config(port) + "\n" + users});
    QVERIFY2(engine.start(), qPrintable(engine.failure()));
    QTemporaryDir media;
    QVERIFY(write_tone_wav(media.filePath("t.wav"), 440, 2));
    BaresipPhone agent;
    QVERIFY(agent.start({.user = "agent1",
                         .password = "wrong",
                         .registrar_port = port,
                         .tone_wav = media.filePath("t.wav"),
                         .run_seconds = 10}));
    QVERIFY(
        wait_until([&] { return engine.stderr_text().contains("failed authentication"); }, 10000));
    auto reply = engine.request("originate", {{"target", "sip/agent1"}, {"logic", "hold1"}});
    QVERIFY(reply);
    QCOMPARE(reply->at("ok").as_bool(), false);
    agent.stop();
    PROFFER_VERIFY_ENGINE_STOPS(engine);
  }
};

QTEST_GUILESS_MAIN(AgentPhoneBridge)
#include "test_agent_phone_bridge.moc"
