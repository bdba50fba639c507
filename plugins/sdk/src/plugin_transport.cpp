#include "proffer/sdk/plugin_transport.hpp"

#include <boost/json/parse.hpp>
#include <memory>
#include <string>

namespace proffer::sdk {

bool PluginTransport::send(std::string_view body) {
  return host_.send && host_.send(host_.host_ctx, body.data(), body.size()) == 0;
}

void PluginTransport::log(LogLevel level, std::string_view message) {
  if (!host_.log) return;
  const std::string line(message);  // the host wants a NUL-terminated string
  host_.log(host_.host_ctx, static_cast<int>(level), line.c_str());
}

namespace detail {
namespace {

struct PluginInstance {
  explicit PluginInstance(const proffer_host& host) : transport(host) { app.attach(transport); }
  PluginTransport transport;
  App app;  // declared last: its calls are torn down while the transport still exists
};

}  // namespace

void* plugin_create(const proffer_host* host, const char* config_json, unsigned capacity,
                    CallHandler handler) noexcept {
  if (!host || !host->send) return nullptr;
  try {
    auto instance = std::make_unique<PluginInstance>(*host);
    boost::json::error_code error;
    boost::json::value config = boost::json::parse(config_json ? config_json : "{}", error);
    if (error || !config.is_object()) {
      instance->app.log(LogLevel::warning, "plugin config is not a JSON object; using {}");
    } else {
      instance->app.set_config(std::move(config.as_object()));
    }
    instance->app.set_capacity(capacity).on_call(std::move(handler));
    return instance.release();
  } catch (const std::exception& failure) {
    PluginTransport(*host).log(LogLevel::error,
                               std::string("plugin create failed: ") + failure.what());
    return nullptr;
  } catch (...) {
    return nullptr;
  }
}

void plugin_on_message(void* instance, const char* json, std::size_t len) noexcept {
  if (!instance || !json) return;
  auto& plugin = *static_cast<PluginInstance*>(instance);
  try {
    plugin.app.deliver(std::string_view(json, len));
  } catch (const std::exception& failure) {
    plugin.app.log(LogLevel::error, std::string("message dropped: ") + failure.what());
  } catch (...) {
    plugin.app.log(LogLevel::error, "message dropped: non-standard exception");
  }
}

void plugin_destroy(void* instance) noexcept { delete static_cast<PluginInstance*>(instance); }

}  // namespace detail
}  // namespace proffer::sdk
