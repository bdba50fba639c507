// profferd's configuration checking, from the outside: every kind of mistake in a TOML file is
// refused with exit status 2 and a message naming the key path and the line, with and without
// --check-config; a valid file and the embedded defaults pass.
#include <QFileInfo>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include "test_support.hpp"

namespace {

struct Run {
  int status = -1;
  QString out;
  QString err;
};

// Runs profferd with `args` and waits for it to end by itself.
Run run_profferd(const QStringList& args, int timeout_ms = 20000) {
  QProcess p;
  p.start(QString::fromStdString(proffer::test::bin_path("profferd")), args);
  Run r;
  if (!p.waitForStarted(5000)) {
    r.err = "profferd did not start: " + p.errorString();
    return r;
  }
  if (!p.waitForFinished(timeout_ms)) {
    p.kill();
    p.waitForFinished(5000);
    r.err = "profferd did not finish";
    return r;
  }
  r.status = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
  r.out = QString::fromUtf8(p.readAllStandardOutput());
  r.err = QString::fromUtf8(p.readAllStandardError());
  return r;
}

// A small valid configuration: its own state folder, one sim line, one program, one route.
QString valid_config(const QString& state) {
  return QStringLiteral(R"([engine]
state_dir = "%1"
drain_grace_s = 1

[sim]
far_end = "answer"

[[sim.lines]]
name = "pstn1"
kind = "pstn"
number = "+15550100"
channels = 2

[logic]
heartbeat_ms = 1000

[[logic.programs]]
name = "ivr"
command = ["proffer-ivr"]
policy = "pool"
fallback = { action = "hangup", cause = 41 }

[[logic.routes]]
trigger = "inbound"
program = "ivr"
)")
      .arg(state);
}

}  // namespace

class ConfigErrors : public QObject {
  Q_OBJECT

  QTemporaryDir dir_;

  QString write(const QString& name, const QString& text) {
    QString path = dir_.filePath(name);
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate)) return {};
    f.write(text.toUtf8());
    return path;
  }

 private slots:
  void initTestCase() { QVERIFY(dir_.isValid()); }

  void version_is_printed() {
    Run r = run_profferd({"--version"});
    QCOMPARE(r.status, 0);
    QVERIFY2(QRegularExpression(R"(^profferd \d+\.\d+\.\d+)").match(r.out).hasMatch(),
             qPrintable(r.out));
  }

  void valid_file_passes_check() {
    QString path = write("valid.toml", valid_config(dir_.filePath("state-valid")));
    Run r = run_profferd({"--config", path, "--check-config"});
    QVERIFY2(r.status == 0, qPrintable(r.err));
    QVERIFY2(r.out.contains("configuration OK"), qPrintable(r.out));
    // Checking starts nothing: no state folder, no database.
    QVERIFY(!QFileInfo::exists(dir_.filePath("state-valid")));
  }

  void embedded_defaults_pass_check() {
    Run printed = run_profferd({"--print-default-config"});
    QCOMPARE(printed.status, 0);
    QVERIFY(printed.out.contains("[[logic.programs]]"));
    QString path = write("defaults.toml", printed.out);
    Run r = run_profferd({"--config", path, "--check-config"});
    QVERIFY2(r.status == 0, qPrintable(r.err));
  }

  void missing_file_is_refused() {
    Run r = run_profferd({"--config", dir_.filePath("no-such-file.toml"), "--check-config"});
    QCOMPARE(r.status, 2);
    QVERIFY2(r.err.contains("no-such-file.toml"), qPrintable(r.err));
  }

  void mistakes_are_refused_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("key");
    QTest::addColumn<int>("line");
    QTest::addColumn<QString>("says");

    QTest::newRow("unknown key in [engine]") << "[engine]\nstate_dir = \"s\"\nstate_dri = \"t\"\n"
                                             << "engine.state_dri" << 3 << "unknown key";
    QTest::newRow("unknown top-level table") << "\n[engin]\nstate_dir = \"s\"\n"
                                             << "engin" << 2 << "unknown key";
    QTest::newRow("unknown key in [log]") << "[log]\nlevel = \"info\"\ncolour = true\n"
                                          << "log.colour" << 3 << "unknown key";
    QTest::newRow("unknown key in [[sim.lines]]")
        << "[[sim.lines]]\nname = \"a\"\n\n[[sim.lines]]\nname = \"b\"\nchanels = 3\n"
        << "sim.lines[1].chanels" << 6 << "unknown key";
    QTest::newRow("unknown key in [[logic.programs]]")
        << "[[logic.programs]]\nname = \"p\"\ncommand = [\"x\"]\npolcy = \"pool\"\n"
        << "logic.programs[0].polcy" << 4 << "unknown key";
    QTest::newRow("unknown key in a program's fallback")
        << "[[logic.programs]]\nname = \"p\"\ncommand = [\"x\"]\n"
           "fallback = { action = \"hangup\", couse = 41 }\n"
        << "logic.programs[0].fallback.couse" << 4 << "unknown key";
    QTest::newRow("unknown key in [[logic.routes]]")
        << "[[logic.programs]]\nname = \"p\"\ncommand = [\"x\"]\n\n[[logic.routes]]\n"
           "program = \"p\"\nlines = \"*\"\n"
        << "logic.routes[0].lines" << 7 << "unknown key";
    QTest::newRow("wrong type: string for integer") << "[engine]\ndrain_grace_s = \"30\"\n"
                                                    << "engine.drain_grace_s" << 2 << "integer";
    QTest::newRow("wrong type: integer for boolean") << "[sim]\nenabled = 1\n"
                                                     << "sim.enabled" << 2 << "boolean";
    QTest::newRow("wrong type: string for command")
        << "[[logic.programs]]\nname = \"p\"\ncommand = \"proffer-ivr\"\n"
        << "logic.programs[0].command" << 3 << "array of strings";
    QTest::newRow("wrong type: table instead of array of tables")
        << "[logic.programs]\nname = \"p\"\n"
        << "logic.programs" << 1 << "array of tables";
    QTest::newRow("out of range: heartbeat") << "[logic]\nheartbeat_ms = 10\n"
                                             << "logic.heartbeat_ms" << 2 << "out of range";
    QTest::newRow("out of range: line channels") << "[[sim.lines]]\nname = \"a\"\nchannels = 0\n"
                                                 << "sim.lines[0].channels" << 3 << "out of range";
    QTest::newRow("out of range: fallback cause")
        << "[[logic.programs]]\nname = \"p\"\ncommand = [\"x\"]\n\n"
           "[logic.programs.fallback]\ncause = 300\n"
        << "logic.programs[0].fallback.cause" << 6 << "out of range";
    QTest::newRow("bad enum: policy")
        << "[[logic.programs]]\nname = \"p\"\ncommand = [\"x\"]\npolicy = \"sometimes\"\n"
        << "logic.programs[0].policy" << 4 << "'sometimes' is not one of: pool, per_call";
    QTest::newRow("bad enum: log level") << "[log]\nlevel = \"loud\"\n"
                                         << "log.level" << 2 << "is not one of";
    QTest::newRow("bad enum: line kind") << "[[sim.lines]]\nname = \"a\"\nkind = \"isdn\"\n"
                                         << "sim.lines[0].kind" << 3 << "is not one of";
    QTest::newRow("bad enum: far end") << "[sim]\nfar_end = \"maybe\"\n"
                                       << "sim.far_end" << 2 << "is not one of";
    QTest::newRow("bad value: sim audio") << "[sim]\naudio = \"music\"\n"
                                          << "sim.audio" << 2 << "tone:<spec>";
    QTest::newRow("program with command and library")
        << "[[logic.programs]]\nname = \"p\"\ncommand = [\"x\"]\nlibrary = \"l.so\"\n"
        << "logic.programs[0].command" << 3 << "exactly one";
    QTest::newRow("duplicate program") << "[[logic.programs]]\nname = \"p\"\ncommand = [\"x\"]\n\n"
                                          "[[logic.programs]]\nname = \"p\"\ncommand = [\"y\"]\n"
                                       << "logic.programs[1].name" << 5 << "duplicate program";
    QTest::newRow("duplicate line")
        << "[[sim.lines]]\nname = \"a\"\n\n[[sim.lines]]\nname = \"a\"\n"
        << "sim.lines[1].name" << 5 << "duplicate line";
    QTest::newRow("route to an unknown program")
        << "[[logic.programs]]\nname = \"p\"\ncommand = [\"x\"]\n\n[[logic.routes]]\n"
           "trigger = \"inbound\"\nprogram = \"nobody\"\n"
        << "logic.routes[0].program" << 7 << "no program named 'nobody'";
    QTest::newRow("route to an unknown default program")
        << "[logic]\nheartbeat_ms = 500\n\n[[logic.routes]]\nprogram = \"nobody\"\n"
        << "logic.routes[0].program" << 5 << "no program named 'nobody'";
    QTest::newRow("TOML syntax error") << "[engine]\nstate_dir = \"s\"\ndrain_grace_s = = 3\n"
                                       << "" << 3 << "";
    QTest::newRow("TOML unterminated string") << "[engine]\n\nstate_dir = \"s\n"
                                              << "" << 3 << "";
  }

  void mistakes_are_refused() {
    QFETCH(QString, text);
    QFETCH(QString, key);
    QFETCH(int, line);
    QFETCH(QString, says);
    QString state = dir_.filePath("state-bad");
    QString path = write("bad.toml", text);
    QVERIFY(!path.isEmpty());
    const QString where = QStringLiteral("line %1: ").arg(line);
    const QString named = QStringLiteral("key '%1'").arg(key);
    // With --check-config and as a real start: refused the same way, before anything runs.
    for (const QStringList& args : {QStringList{"--config", path, "--check-config"},
                                    QStringList{"--config", path, "--state-dir", state}}) {
      Run r = run_profferd(args);
      QVERIFY2(r.status == 2, qPrintable(QStringLiteral("status %1 for %2, stderr: %3")
                                             .arg(r.status)
                                             .arg(args.join(' '), r.err)));
      QVERIFY2(r.err.contains(path), qPrintable(r.err));
      QVERIFY2(r.err.contains(where), qPrintable(r.err));
      if (!key.isEmpty()) QVERIFY2(r.err.contains(named), qPrintable(r.err));
      if (!says.isEmpty()) QVERIFY2(r.err.contains(says), qPrintable(r.err));
      QVERIFY2(!r.out.contains("configuration OK"), qPrintable(r.out));
    }
    QVERIFY2(!QFileInfo::exists(state), "a refused configuration still created the state folder");
  }
};

QTEST_GUILESS_MAIN(ConfigErrors)
#include "test_config_errors.moc"
