// The example IVR as an in-process plugin: libproffer-ivr-plugin.so loaded with dlopen and driven
// through proffer/plugin.h exactly as the engine does (on_message in, host send out).
#include <dlfcn.h>
#include <proffer/plugin.h>

#include <QtTest>

#include "scripted_engine.hpp"
#include "test_support.hpp"

using proffer::test::Json;
using proffer::test::ScriptedEngine;
namespace ivr = proffer::test::ivr;

namespace {

// One plugin instance with a host that queues what the plugin sends.
class PluginEngine final : public ScriptedEngine {
 public:
  PluginEngine(const proffer_plugin& plugin, const char* config = "{}") : plugin_(plugin) {
    // A host on the stack that dies after create(): the SDK must keep its own copy.
    proffer_host host{this, &PluginEngine::on_send, &PluginEngine::on_log};
    instance_ = plugin_.create(&host, config);
  }
  ~PluginEngine() override { destroy(); }
  void destroy() {
    if (instance_) plugin_.destroy(instance_);
    instance_ = nullptr;
  }

  bool created() const { return instance_ != nullptr; }
  void send_raw(const std::string& body) override {
    plugin_.on_message(instance_, body.data(), body.size());
  }
  std::optional<Json> receive(int) override {
    if (sent_.empty()) return std::nullopt;
    Json next = boost::json::parse(sent_.front()).as_object();
    sent_.pop_front();
    return next;
  }
  int warnings() const {
    return static_cast<int>(std::count_if(logs_.begin(), logs_.end(),
                                          [](const auto& line) { return line.first >= 2; }));
  }

 private:
  static int on_send(void* context, const char* json, size_t len) {
    static_cast<PluginEngine*>(context)->sent_.emplace_back(json, len);
    return 0;
  }
  static void on_log(void* context, int level, const char* message) {
    static_cast<PluginEngine*>(context)->logs_.emplace_back(level, message);
  }

  const proffer_plugin& plugin_;
  void* instance_ = nullptr;
  std::deque<std::string> sent_;
  std::vector<std::pair<int, std::string>> logs_;
};

}  // namespace

class Plugin : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() {
    const std::string path = proffer::test::bin_path("libproffer-ivr-plugin.so");
    library_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    QVERIFY2(library_, dlerror());
    auto entry = reinterpret_cast<proffer_plugin_entry_fn>(dlsym(library_, "proffer_plugin_entry"));
    QVERIFY2(entry, "proffer_plugin_entry is not exported");
    plugin_ = entry();
    QVERIFY(plugin_);
  }
  void cleanupTestCase() {
    if (library_) dlclose(library_);
  }

  void descriptor_is_complete() {
    QCOMPARE(plugin_->abi_version, PROFFER_PLUGIN_ABI_VERSION);
    QCOMPARE(std::string(plugin_->name), std::string("ivr-plugin"));
    QCOMPARE(plugin_->capacity, 0u);
    QVERIFY(plugin_->create && plugin_->on_message && plugin_->destroy);
  }

  void serves_the_ivr() {
    PluginEngine engine(*plugin_);
    QVERIFY(engine.created());
    QVERIFY2(ivr::call(engine, "ch-1", "plugin", "2", "max_digits", "support", ivr::kSupport),
             engine.failure().c_str());
    QVERIFY2(ivr::call(engine, "ch-2", "plugin", "", "timeout", "none", ivr::kNone),
             engine.failure().c_str());
  }

  void serves_calls_concurrently() {
    PluginEngine engine(*plugin_);
    engine.offer("ch-1");
    engine.offer("ch-2");
    QVERIFY2(ivr::answer(engine, "ch-1", "plugin"), engine.failure().c_str());
    QVERIFY2(ivr::answer(engine, "ch-2", "plugin"), engine.failure().c_str());
    auto first = ivr::gather(engine, "ch-1");
    auto second = ivr::gather(engine, "ch-2");
    QVERIFY2(first && second, engine.failure().c_str());
    engine.done(*second, "gather.done", Json{{"digits", "1"}, {"reason", "max_digits"}});
    QVERIFY2(ivr::finish(engine, "ch-2", "1", "sales", ivr::kSales), engine.failure().c_str());
    engine.done(*first, "gather.done", Json{{"digits", "2"}, {"reason", "max_digits"}});
    QVERIFY2(ivr::finish(engine, "ch-1", "2", "support", ivr::kSupport), engine.failure().c_str());
  }

  void prompt_file_from_environment() {
    qputenv("PROFFER_IVR_WELCOME", "/var/lib/proffer/prompts/welcome.wav");
    PluginEngine engine(*plugin_);
    engine.offer("ch-1");
    QVERIFY2(ivr::answer(engine, "ch-1", "plugin"), engine.failure().c_str());
    auto gather = ivr::gather(engine, "ch-1", "/var/lib/proffer/prompts/welcome.wav");
    qunsetenv("PROFFER_IVR_WELCOME");
    QVERIFY2(gather, engine.failure().c_str());
  }

  // The engine may unload a plugin with calls in progress; their coroutines go with it.
  void destroy_mid_call_is_clean() {
    PluginEngine engine(*plugin_);
    engine.offer("ch-1");
    QVERIFY2(ivr::answer(engine, "ch-1", "plugin"), engine.failure().c_str());
    QVERIFY2(ivr::gather(engine, "ch-1"), engine.failure().c_str());
    engine.destroy();
    PluginEngine fresh(*plugin_);
    QVERIFY2(ivr::call(fresh, "ch-1", "plugin", "1", "max_digits", "sales", ivr::kSales),
             fresh.failure().c_str());
  }

  void bad_messages_are_logged_and_dropped() {
    PluginEngine engine(*plugin_);
    engine.send_raw("garbage");
    engine.send_raw(R"({"type":"event","event":"dtmf"})");
    QCOMPARE(engine.warnings(), 2);
    QVERIFY2(ivr::call(engine, "ch-1", "plugin", "1", "max_digits", "sales", ivr::kSales),
             engine.failure().c_str());
  }

  void bad_config_is_tolerated() {
    PluginEngine engine(*plugin_, "not json");
    QVERIFY(engine.created());
    QCOMPARE(engine.warnings(), 1);
  }

  void instances_are_independent() {
    PluginEngine one(*plugin_);
    PluginEngine two(*plugin_);
    one.offer("ch-1");
    two.offer("ch-1");
    QVERIFY2(ivr::answer(one, "ch-1", "plugin"), one.failure().c_str());
    QVERIFY2(ivr::answer(two, "ch-1", "plugin"), two.failure().c_str());
    QVERIFY2(ivr::gather(two, "ch-1"), two.failure().c_str());
    QVERIFY2(ivr::gather(one, "ch-1"), one.failure().c_str());
    // Ending the call in one instance leaves the same channel id in the other untouched.
    two.event("ch-1", "hangup", Json{{"cause", 16}});
    QVERIFY2(two.silent_about("ch-1", 0), two.failure().c_str());
    QVERIFY2(one.silent_about("ch-1", 0), one.failure().c_str());
  }

 private:
  void* library_ = nullptr;
  const proffer_plugin* plugin_ = nullptr;
};

QTEST_GUILESS_MAIN(Plugin)
#include "test_plugin.moc"
