#pragma once
// PluginTransport: the same call logic as an in-process plugin (proffer/plugin.h).
//
// Build the handler into a shared library and define the entry point with one line:
//
//   PROFFER_PLUGIN("my-ivr", 0, my_call_handler)
//
// NAME is a string literal, CAPACITY the channels one instance takes (0 = unlimited) and the rest
// anything convertible to CallHandler (a function or a captureless lambda). The engine calls
// on_message on its core thread; handlers run inside that call until they next suspend, so a
// handler must never block. There is no hello and no heartbeat: loading is the handshake.
#include <cstddef>
#include <string_view>

#include "proffer/plugin.h"
#include "proffer/sdk/app.hpp"
#include "proffer/sdk/transport.hpp"

namespace proffer::sdk {

class PluginTransport final : public Transport {
 public:
  // Copies the host descriptor: plugin.h does not promise that the engine's struct outlives
  // create(), only that its functions and host_ctx stay valid for the instance.
  explicit PluginTransport(const proffer_host& host) noexcept : host_(host) {}

  bool send(std::string_view body) override;
  void log(LogLevel level, std::string_view message) override;

 private:
  proffer_host host_;
};

namespace detail {
// The C ABI functions behind PROFFER_PLUGIN. None lets an exception escape into the engine.
void* plugin_create(const proffer_host* host, const char* config_json, unsigned capacity,
                    CallHandler handler) noexcept;
void plugin_on_message(void* instance, const char* json, std::size_t len) noexcept;
void plugin_destroy(void* instance) noexcept;
}  // namespace detail

}  // namespace proffer::sdk

#define PROFFER_PLUGIN(NAME, CAPACITY, ...)                                                       \
  extern "C" PROFFER_PLUGIN_EXPORT const proffer_plugin* proffer_plugin_entry(void) {             \
    static const proffer_plugin descriptor = {                                                    \
        PROFFER_PLUGIN_ABI_VERSION,                                                               \
        NAME,                                                                                     \
        CAPACITY,                                                                                 \
        [](const proffer_host* host, const char* config_json) -> void* {                          \
          return ::proffer::sdk::detail::plugin_create(host, config_json, CAPACITY, __VA_ARGS__); \
        },                                                                                        \
        &::proffer::sdk::detail::plugin_on_message,                                               \
        &::proffer::sdk::detail::plugin_destroy,                                                  \
    };                                                                                            \
    return &descriptor;                                                                           \
  }
