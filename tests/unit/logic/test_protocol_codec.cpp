// Conformance of the call-logic protocol codec with docs/protocol/call-logic.md, message by
// message: what a process may send decodes to the right message or to the documented error
// (with the command id echoed when it could be read), and what the engine sends carries every
// member the document names, with the right JSON types.
#include <QtTest>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cstdint>
#include <limits>
#include <string>
#include <variant>

#include "proffer/logic/protocol.hpp"

namespace json = boost::json;
using namespace proffer::logic;

namespace {

constexpr std::size_t kMax = 65536;

ProcessMessage decode(const std::string& body, std::size_t max = kMax) {
  return decode_process_message(body, max);
}

QString describe(const ProcessMessage& m) {
  if (auto* e = std::get_if<DecodeError>(&m))
    return QString("DecodeError{%1, %2}")
        .arg(QString::fromStdString(e->code), QString::fromStdString(e->message));
  return QString("alternative %1").arg(m.index());
}

// The encoded text must be one JSON object; returns it.
json::object object_of(const std::string& text) {
  json::error_code ec;
  auto v = json::parse(text, ec);
  if (ec || !v.is_object()) return {};
  return v.as_object();
}

// The member names of `o`, sorted, for exact shape checks.
QStringList members(const json::object& o) {
  QStringList names;
  for (const auto& kv : o) names << QString::fromUtf8(kv.key().data(), int(kv.key().size()));
  names.sort();
  return names;
}

}  // namespace

// Decodes `body` into `var`, failing the test unless it is a `Type`.
#define DECODED_AS(var, Type, body)                                                   \
  const ProcessMessage var##_msg = decode(body);                                      \
  QVERIFY2(std::holds_alternative<Type>(var##_msg), qPrintable(describe(var##_msg))); \
  const Type& var = std::get<Type>(var##_msg)

class ProtocolCodec : public QObject {
  Q_OBJECT

 private slots:
  // ---- hello ---------------------------------------------------------------------------------
  void helloWithCapacity() {
    DECODED_AS(h, Hello,
               R"({"type":"hello","protocol":1,"token":"t0k","worker":"ivr-3","capacity":50})");
    QCOMPARE(h.protocol, 1);
    QCOMPARE(h.token, std::string("t0k"));
    QCOMPARE(h.worker, std::string("ivr-3"));
    QVERIFY(h.capacity.has_value());
    QCOMPARE(*h.capacity, 50);
  }

  void helloWithoutCapacity() {
    DECODED_AS(h, Hello, R"({"type":"hello","protocol":1,"token":"t","worker":"w"})");
    QCOMPARE(h.protocol, 1);
    QVERIFY(!h.capacity.has_value());
  }

  void helloCapacityBounds() {
    DECODED_AS(lo, Hello, R"({"type":"hello","protocol":1,"token":"t","worker":"w","capacity":1})");
    QCOMPARE(*lo.capacity, 1);
    DECODED_AS(hi, Hello,
               R"({"type":"hello","protocol":1,"token":"t","worker":"w","capacity":1000000})");
    QCOMPARE(*hi.capacity, 1000000);
  }

  void helloWithAnotherVersionDecodes() {
    // Version negotiation is the host's business (unsupported_version); the codec reports it.
    DECODED_AS(h, Hello, R"({"type":"hello","protocol":2,"token":"t","worker":"w"})");
    QCOMPARE(h.protocol, 2);
  }

  void helloHugeVersionIsNotVersionOne() {
    // 2^32 + 1 must not wrap around to 1.
    DECODED_AS(h, Hello, R"({"type":"hello","protocol":4294967297,"token":"t","worker":"w"})");
    QVERIFY(h.protocol != kProtocolVersion);
    DECODED_AS(n, Hello, R"({"type":"hello","protocol":-4294967295,"token":"t","worker":"w"})");
    QVERIFY(n.protocol != kProtocolVersion);
    DECODED_AS(u, Hello,
               R"({"type":"hello","protocol":18446744073709551615,"token":"t","worker":"w"})");
    QVERIFY(u.protocol != kProtocolVersion);
  }

  void badHello_data() {
    QTest::addColumn<QString>("body");
    QTest::newRow("capacity 0")
        << R"({"type":"hello","protocol":1,"token":"t","worker":"w","capacity":0})";
    QTest::newRow("capacity -1")
        << R"({"type":"hello","protocol":1,"token":"t","worker":"w","capacity":-1})";
    QTest::newRow("capacity too big")
        << R"({"type":"hello","protocol":1,"token":"t","worker":"w","capacity":1000001})";
    QTest::newRow("capacity string")
        << R"({"type":"hello","protocol":1,"token":"t","worker":"w","capacity":"5"})";
    QTest::newRow("capacity float")
        << R"({"type":"hello","protocol":1,"token":"t","worker":"w","capacity":2.5})";
    QTest::newRow("capacity null")
        << R"({"type":"hello","protocol":1,"token":"t","worker":"w","capacity":null})";
    QTest::newRow("no protocol") << R"({"type":"hello","token":"t","worker":"w"})";
    QTest::newRow("protocol string")
        << R"({"type":"hello","protocol":"1","token":"t","worker":"w"})";
    QTest::newRow("protocol float")
        << R"({"type":"hello","protocol":1.0,"token":"t","worker":"w"})";
    QTest::newRow("no token") << R"({"type":"hello","protocol":1,"worker":"w"})";
    QTest::newRow("no worker") << R"({"type":"hello","protocol":1,"token":"t"})";
    QTest::newRow("token number") << R"({"type":"hello","protocol":1,"token":5,"worker":"w"})";
    QTest::newRow("worker null") << R"({"type":"hello","protocol":1,"token":"t","worker":null})";
  }

  void badHello() {
    QFETCH(QString, body);
    const auto m = decode(body.toStdString());
    const auto* e = std::get_if<DecodeError>(&m);
    QVERIFY2(e, qPrintable(describe(m)));
    QCOMPARE(e->code, std::string("bad_message"));
    QVERIFY(!e->message.empty());
    QVERIFY(!e->id.has_value());
  }

  // ---- cmd -----------------------------------------------------------------------------------
  void commandWithArgs() {
    DECODED_AS(
        c, Command,
        R"({"type":"cmd","id":7,"channel":"ch-3","cmd":"play","args":{"file":"hello.wav","loops":2}})");
    QCOMPARE(c.id, std::uint64_t{7});
    QCOMPARE(c.channel, std::string("ch-3"));
    QCOMPARE(c.cmd, std::string("play"));
    QCOMPARE(c.args.size(), std::size_t{2});
    QCOMPARE(c.args.at("file").as_string(), "hello.wav");
    QCOMPARE(c.args.at("loops").as_int64(), std::int64_t{2});
  }

  void commandWithoutArgs() {
    DECODED_AS(c, Command, R"({"type":"cmd","id":1,"channel":"ch-1","cmd":"answer"})");
    QCOMPARE(c.cmd, std::string("answer"));
    QVERIFY(c.args.empty());
  }

  void commandIdRange() {
    DECODED_AS(zero, Command, R"({"type":"cmd","id":0,"channel":"ch-1","cmd":"answer"})");
    QCOMPARE(zero.id, std::uint64_t{0});
    DECODED_AS(big, Command,
               R"({"type":"cmd","id":18446744073709551615,"channel":"ch-1","cmd":"answer"})");
    QCOMPARE(big.id, std::numeric_limits<std::uint64_t>::max());
  }

  void commandMembersInAnyOrderAndExtrasIgnored() {
    DECODED_AS(
        c, Command,
        R"({"args":{"digits":"12"},"cmd":"send_dtmf","x":1,"channel":"ch-9","id":3,"type":"cmd"})");
    QCOMPARE(c.id, std::uint64_t{3});
    QCOMPARE(c.cmd, std::string("send_dtmf"));
    QCOMPARE(c.args.at("digits").as_string(), "12");
  }

  void badCommand_data() {
    QTest::addColumn<QString>("body");
    QTest::addColumn<bool>("hasId");  // whether the error echoes id 7
    QTest::newRow("args array")
        << R"({"type":"cmd","id":7,"channel":"ch-1","cmd":"play","args":[1]})" << true;
    QTest::newRow("args string")
        << R"({"type":"cmd","id":7,"channel":"ch-1","cmd":"play","args":"x"})" << true;
    QTest::newRow("args null")
        << R"({"type":"cmd","id":7,"channel":"ch-1","cmd":"play","args":null})" << true;
    QTest::newRow("no channel") << R"({"type":"cmd","id":7,"cmd":"play"})" << true;
    QTest::newRow("no cmd") << R"({"type":"cmd","id":7,"channel":"ch-1"})" << true;
    QTest::newRow("channel number") << R"({"type":"cmd","id":7,"channel":3,"cmd":"play"})" << true;
    QTest::newRow("cmd number") << R"({"type":"cmd","id":7,"channel":"ch-1","cmd":1})" << true;
    QTest::newRow("negative id") << R"({"type":"cmd","id":-7,"channel":"ch-1","cmd":"answer"})"
                                 << false;
    QTest::newRow("missing id") << R"({"type":"cmd","channel":"ch-1","cmd":"answer"})" << false;
    QTest::newRow("string id") << R"({"type":"cmd","id":"7","channel":"ch-1","cmd":"answer"})"
                               << false;
    QTest::newRow("float id") << R"({"type":"cmd","id":7.5,"channel":"ch-1","cmd":"answer"})"
                              << false;
    QTest::newRow("id too large")
        << R"({"type":"cmd","id":18446744073709551616,"channel":"ch-1","cmd":"answer"})" << false;
  }

  void badCommand() {
    QFETCH(QString, body);
    QFETCH(bool, hasId);
    const auto m = decode(body.toStdString());
    const auto* e = std::get_if<DecodeError>(&m);
    QVERIFY2(e, qPrintable(describe(m)));
    QCOMPARE(e->code, std::string("bad_message"));
    QVERIFY(!e->message.empty());
    QCOMPARE(e->id.has_value(), hasId);
    if (hasId) QCOMPARE(*e->id, std::uint64_t{7});
  }

  // ---- pong, bye -----------------------------------------------------------------------------
  void pong() {
    DECODED_AS(p, Pong, R"({"type":"pong","seq":12})");
    QCOMPARE(p.seq, std::uint64_t{12});
    DECODED_AS(z, Pong, R"({"type":"pong","seq":0})");
    QCOMPARE(z.seq, std::uint64_t{0});
  }

  void badPong() {
    for (const char* body : {R"({"type":"pong"})", R"({"type":"pong","seq":-1})",
                             R"({"type":"pong","seq":"1"})", R"({"type":"pong","seq":1.5})"}) {
      const auto m = decode(body);
      const auto* e = std::get_if<DecodeError>(&m);
      QVERIFY2(e && e->code == "bad_message", body);
    }
  }

  void bye() {
    QVERIFY(std::holds_alternative<Bye>(decode(R"({"type":"bye"})")));
    QVERIFY(std::holds_alternative<Bye>(decode(R"({"type":"bye","reason":"done"})")));
  }

  // ---- envelope errors -----------------------------------------------------------------------
  void unknownTypeEchoesTheId() {
    const auto m = decode(R"({"type":"dance","id":9})");
    const auto* e = std::get_if<DecodeError>(&m);
    QVERIFY2(e, qPrintable(describe(m)));
    QCOMPARE(e->code, std::string("unknown_type"));
    QVERIFY2(e->message.find("dance") != std::string::npos, e->message.c_str());
    QVERIFY(e->id.has_value());
    QCOMPARE(*e->id, std::uint64_t{9});
  }

  void unknownTypeWithoutId() {
    for (const char* body : {R"({"type":"welcome"})", R"({"type":"CMD","id":-1})", R"({"type":""})",
                             R"({"type":"event","id":"9"})"}) {
      const auto m = decode(body);
      const auto* e = std::get_if<DecodeError>(&m);
      QVERIFY2(e && e->code == "unknown_type", body);
      QVERIFY2(!e->id.has_value(), body);
    }
  }

  void missingOrMistypedType() {
    const auto none = decode(R"({"id":4,"cmd":"answer"})");
    const auto* e = std::get_if<DecodeError>(&none);
    QVERIFY(e);
    QCOMPARE(e->code, std::string("bad_message"));
    QCOMPARE(e->id, std::optional<std::uint64_t>(4));
    const auto number = decode(R"({"type":1})");
    e = std::get_if<DecodeError>(&number);
    QVERIFY(e);
    QCOMPARE(e->code, std::string("bad_message"));
    QVERIFY(!e->id.has_value());
  }

  void tooLarge() {
    // A valid message over the limit is refused as too large, before it is parsed.
    // (Built without raw strings: moc's brace matching does not see into them.)
    std::string body = "{\"type\":\"cmd\",\"id\":5,\"channel\":\"ch-1\",\"cmd\":\"say\",";
    body += "\"args\":{\"text\":\"" + std::string(200, 'a') + "\"}}";
    const auto m = decode(body, body.size() - 1);
    const auto* e = std::get_if<DecodeError>(&m);
    QVERIFY2(e, qPrintable(describe(m)));
    QCOMPARE(e->code, std::string("too_large"));
    QVERIFY(!e->id.has_value());
    QVERIFY2(e->message.find(std::to_string(body.size())) != std::string::npos, e->message.c_str());
    // Exactly at the limit is fine.
    QVERIFY(std::holds_alternative<Command>(decode(body, body.size())));
    // Garbage over the limit is still "too large".
    const auto g = decode(std::string(100, '{'), 99);
    QCOMPARE(std::get<DecodeError>(g).code, std::string("too_large"));
  }

  void notJson() {
    for (const char* body : {"", "{", "hello", "{\"type\":\"bye\"", "{\"type\":\"bye\"} x",
                             "{'type':'bye'}", "{\"type\":\"bye\",}", "\xff\xfe"}) {
      const auto m = decode(body);
      const auto* e = std::get_if<DecodeError>(&m);
      QVERIFY2(e, body);
      QCOMPARE(e->code, std::string("bad_message"));
      QVERIFY2(e->message.rfind("not JSON", 0) == 0, e->message.c_str());
      QVERIFY(!e->id.has_value());
    }
  }

  void invalidUtf8IsNotJson() {
    const auto m =
        decode("{\"type\":\"hello\",\"protocol\":1,\"token\":\"\xc3\x28\",\"worker\":\"w\"}");
    const auto* e = std::get_if<DecodeError>(&m);
    QVERIFY2(e, qPrintable(describe(m)));
    QCOMPARE(e->code, std::string("bad_message"));
  }

  void notAnObject() {
    for (const char* body : {"[]", "[{\"type\":\"bye\"}]", "\"bye\"", "42", "null", "true"}) {
      const auto m = decode(body);
      const auto* e = std::get_if<DecodeError>(&m);
      QVERIFY2(e, body);
      QCOMPARE(e->code, std::string("bad_message"));
      QVERIFY2(e->message.find("not a JSON object") != std::string::npos, e->message.c_str());
    }
  }

  void deepNestingIsRefusedNotCrashed() {
    std::string body =
        "{\"type\":\"cmd\",\"id\":1,\"channel\":\"ch-1\",\"cmd\":\"set\",\"args\":{\"v\":";
    body += std::string(5000, '[') + std::string(5000, ']') + "}}";
    const auto m = decode(body);
    const auto* e = std::get_if<DecodeError>(&m);
    QVERIFY2(e, qPrintable(describe(m)));
    QCOMPARE(e->code, std::string("bad_message"));
  }

  // ---- engine to process ---------------------------------------------------------------------
  void welcome() {
    const auto o = object_of(encode_welcome("ivr-3", 1000, 65536));
    QCOMPARE(members(o),
             QStringList({"heartbeat_ms", "max_message_bytes", "protocol", "type", "worker"}));
    QCOMPARE(o.at("type").as_string(), "welcome");
    QCOMPARE(o.at("protocol").as_int64(), std::int64_t{1});
    QCOMPARE(o.at("worker").as_string(), "ivr-3");
    QCOMPARE(o.at("heartbeat_ms").as_int64(), std::int64_t{1000});
    QCOMPARE(o.at("max_message_bytes").as_int64(), std::int64_t{65536});
  }

  void event() {
    const auto o = object_of(encode_event("dtmf", "ch-4", {{"digit", "5"}}));
    QCOMPARE(members(o), QStringList({"channel", "data", "event", "type"}));
    QCOMPARE(o.at("type").as_string(), "event");
    QCOMPARE(o.at("event").as_string(), "dtmf");
    QCOMPARE(o.at("channel").as_string(), "ch-4");
    QCOMPARE(o.at("data").as_object().at("digit").as_string(), "5");
  }

  void eventWithoutDataHasAnEmptyObject() {
    const auto o = object_of(encode_event("answered", "ch-1"));
    QVERIFY(o.at("data").is_object());
    QVERIFY(o.at("data").as_object().empty());
  }

  void eventStringsAreEscaped() {
    const auto o = object_of(encode_event("x\"y", "ch-\n1", {{"text", "a\\b\"c"}}));
    QCOMPARE(o.at("event").as_string(), "x\"y");
    QCOMPARE(o.at("channel").as_string(), "ch-\n1");
    QCOMPARE(o.at("data").as_object().at("text").as_string(), "a\\b\"c");
  }

  void replyOk() {
    const auto o = object_of(encode_reply(42, {{"peer", "ch-8"}}));
    QCOMPARE(members(o), QStringList({"id", "ok", "result", "type"}));
    QCOMPARE(o.at("type").as_string(), "reply");
    QCOMPARE(o.at("id").to_number<std::uint64_t>(), std::uint64_t{42});
    QCOMPARE(o.at("ok").as_bool(), true);
    QCOMPARE(o.at("result").as_object().at("peer").as_string(), "ch-8");
    const auto empty = object_of(encode_reply(1, {}));
    QVERIFY(empty.at("result").is_object());
    QVERIFY(empty.at("result").as_object().empty());
  }

  void replyKeepsLargeIds() {
    const std::uint64_t id = std::numeric_limits<std::uint64_t>::max();
    const auto o = object_of(encode_reply(id, {}));
    QCOMPARE(o.at("id").to_number<std::uint64_t>(), id);
    const auto e = object_of(encode_reply_error(id, "busy", "x"));
    QCOMPARE(e.at("id").to_number<std::uint64_t>(), id);
  }

  void replyError() {
    const auto o = object_of(encode_reply_error(7, "bad_state", "answer before playing"));
    QCOMPARE(members(o), QStringList({"error", "id", "ok", "type"}));
    QCOMPARE(o.at("type").as_string(), "reply");
    QCOMPARE(o.at("id").to_number<std::uint64_t>(), std::uint64_t{7});
    QCOMPARE(o.at("ok").as_bool(), false);
    const auto& err = o.at("error").as_object();
    QCOMPARE(members(err), QStringList({"code", "message"}));
    QCOMPARE(err.at("code").as_string(), "bad_state");
    QCOMPARE(err.at("message").as_string(), "answer before playing");
  }

  void error() {
    const auto o = object_of(encode_error("bad_message", "not JSON"));
    QCOMPARE(members(o), QStringList({"code", "message", "type"}));
    QCOMPARE(o.at("type").as_string(), "error");
    QCOMPARE(o.at("code").as_string(), "bad_message");
    QCOMPARE(o.at("message").as_string(), "not JSON");
  }

  void errorWithId() {
    const auto o = object_of(encode_error("unknown_type", "unknown message type 'x'", 9));
    QCOMPARE(members(o), QStringList({"code", "id", "message", "type"}));
    QCOMPARE(o.at("id").to_number<std::uint64_t>(), std::uint64_t{9});
    const auto zero = object_of(encode_error("not_authenticated", "say hello first", 0));
    QVERIFY(zero.contains("id"));  // id 0 is an id
  }

  void unsupportedVersionListsSupported() {
    const auto o = object_of(encode_error("unsupported_version", "protocol 2 is not spoken"));
    QCOMPARE(members(o), QStringList({"code", "message", "supported", "type"}));
    QCOMPARE(o.at("code").as_string(), "unsupported_version");
    const auto& supported = o.at("supported").as_array();
    QCOMPARE(supported.size(), std::size_t{1});
    QCOMPARE(supported[0].as_int64(), std::int64_t{1});
    // Only that error carries it.
    QVERIFY(!object_of(encode_error("auth_failed", "wrong token or worker")).contains("supported"));
  }

  void ping() {
    const auto o = object_of(encode_ping(77));
    QCOMPARE(members(o), QStringList({"seq", "type"}));
    QCOMPARE(o.at("type").as_string(), "ping");
    QCOMPARE(o.at("seq").to_number<std::uint64_t>(), std::uint64_t{77});
  }

  void shutdown() {
    const auto o = object_of(encode_shutdown(30000));
    QCOMPARE(members(o), QStringList({"grace_ms", "type"}));
    QCOMPARE(o.at("type").as_string(), "shutdown");
    QCOMPARE(o.at("grace_ms").as_int64(), std::int64_t{30000});
  }

  void encodedMessagesAreSingleLineObjects() {
    for (const auto& text : {encode_welcome("w", 1, 2), encode_event("e", "ch-1"),
                             encode_reply(1, {}), encode_reply_error(1, "c", "m"),
                             encode_error("c", "m"), encode_ping(1), encode_shutdown(0)}) {
      QVERIFY2(!text.empty() && text.front() == '{' && text.back() == '}', text.c_str());
      QVERIFY2(text.find('\n') == std::string::npos, text.c_str());
      QVERIFY2(!object_of(text).empty(), text.c_str());
    }
  }

  void pongAnswersAPingWithTheSameSeq() {
    // What a process does with a ping decodes back to the same sequence number.
    const auto ping = object_of(encode_ping(123456789));
    json::object pong{{"type", "pong"}, {"seq", ping.at("seq")}};
    DECODED_AS(p, Pong, json::serialize(pong));
    QCOMPARE(p.seq, std::uint64_t{123456789});
  }
};

QTEST_APPLESS_MAIN(ProtocolCodec)
#include "test_protocol_codec.moc"
