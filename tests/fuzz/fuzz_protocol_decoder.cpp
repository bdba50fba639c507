// libFuzzer target: the call-logic protocol decoder on arbitrary bytes. Whatever a process
// sends, decoding must not crash, leak or hit undefined behaviour, must end in one of the
// documented results, and a decoded command's args must survive the host's accessors.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

#include "args.hpp"  // engine/src/logic: how the host reads command arguments
#include "proffer/logic/protocol.hpp"

namespace {

using namespace proffer::logic;

void check(bool ok) {
  if (!ok) std::abort();
}

// The accessors the host's commands use, on the argument names they use.
void read_args(const Command& c) {
  Args a(c.args);
  for (const char* key :
       {"file", "text", "voice", "tone", "terminator", "digits", "target", "caller_id", "peer"}) {
    try {
      std::string v = a.text(key, "");
      (void)v;
    } catch (const ArgError&) {
    }
  }
  for (const char* key : {"loops", "duration_ms", "max_digits", "timeout_ms", "inter_digit_ms",
                          "max_ms", "silence_ms"}) {
    try {
      long long v = a.integer(key, 1, 0, 3'600'000);
      check(v >= 0 && v <= 3'600'000);
    } catch (const ArgError&) {
    }
  }
  try {
    if (const auto* prompt = a.object("prompt")) Args(*prompt).text("text", "");
    if (const auto* vars = a.object("variables")) {
      for (const auto& kv : *vars) (void)kv.value().is_string();
    }
    if (const auto* names = a.array("names")) {
      for (const auto& n : *names) (void)n.is_string();
    }
  } catch (const ArgError&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const auto message = decode_process_message(body, 65536);

  if (const auto* e = std::get_if<DecodeError>(&message)) {
    check(e->code == "bad_message" || e->code == "unknown_type" ||
          (e->code == "too_large" && size > 65536));
    check(!e->message.empty());
    // What the host answers must itself be a valid message.
    const auto reply = encode_error(e->code, e->message, e->id);
    boost::system::error_code ec;
    check(boost::json::parse(reply, ec).is_object() && !ec);
  } else if (const auto* h = std::get_if<Hello>(&message)) {
    check(!h->capacity || (*h->capacity >= 1 && *h->capacity <= 1'000'000));
  } else if (const auto* c = std::get_if<Command>(&message)) {
    read_args(*c);
    // A reply naming what was decoded is valid JSON and carries it back unchanged. (Not the args
    // themselves: Boost.JSON 1.81 reads 1e400 as infinity and writes that as "Infinity".)
    const auto reply = encode_reply(c->id, {{"channel", c->channel}, {"cmd", c->cmd}});
    boost::system::error_code ec;
    auto parsed = boost::json::parse(reply, ec);
    check(!ec && parsed.is_object());
    const auto& o = parsed.as_object();
    check(o.at("id").to_number<std::uint64_t>() == c->id);
    check(o.at("result").at("channel").as_string() == c->channel);
    check(o.at("result").at("cmd").as_string() == c->cmd);
  }

  // A limit below the size is always "too large", whatever the bytes.
  if (size > 0) {
    const auto limited = decode_process_message(body, size - 1);
    const auto* e = std::get_if<DecodeError>(&limited);
    check(e != nullptr && e->code == "too_large" && !e->id);
  }
  return 0;
}
