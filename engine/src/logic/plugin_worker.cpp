#include <dlfcn.h>

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "proffer/plugin.h"
#include "worker.hpp"

namespace proffer::logic {

// Loading goes through the platform's loader; only this file knows which one it is.
struct PluginWorker::Impl {
  boost::asio::io_context& io;
  Deliver deliver;
  std::string worker;
  void* handle = nullptr;
  const proffer_plugin* plugin = nullptr;
  void* instance = nullptr;
  proffer_host host{};
  std::shared_ptr<bool> alive = std::make_shared<bool>(true);

  static int send(void* ctx, const char* json, size_t len) {
    auto* self = static_cast<Impl*>(ctx);
    std::weak_ptr<bool> alive = self->alive;
    // Always queued: a plugin may call send from inside on_message or from its own threads.
    boost::asio::post(self->io, [self, alive, body = std::string(json, len)]() mutable {
      if (!alive.expired()) self->deliver(self->worker, std::move(body));
    });
    return 0;
  }
  static void log(void* ctx, int level, const char* message) {
    auto* self = static_cast<Impl*>(ctx);
    auto lvl = level <= 0   ? spdlog::level::debug
               : level == 1 ? spdlog::level::info
               : level == 2 ? spdlog::level::warn
                            : spdlog::level::err;
    spdlog::log(lvl, "plugin {}: {}", self->worker, message);
  }
};

PluginWorker::PluginWorker(std::string id, const config::Program& program,
                           boost::asio::io_context& io, Deliver deliver)
    : Worker(std::move(id), program),
      impl_(std::make_unique<Impl>(Impl{io, std::move(deliver), this->id()})) {}

PluginWorker::~PluginWorker() { kill(); }

void PluginWorker::load() {
  const auto& path = program().library;
  impl_->handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!impl_->handle) throw std::runtime_error(std::string("cannot load plugin: ") + dlerror());
  auto entry =
      reinterpret_cast<proffer_plugin_entry_fn>(dlsym(impl_->handle, "proffer_plugin_entry"));
  if (!entry) throw std::runtime_error(path + " has no proffer_plugin_entry");
  impl_->plugin = entry();
  if (!impl_->plugin || impl_->plugin->abi_version != PROFFER_PLUGIN_ABI_VERSION)
    throw std::runtime_error(path + ": plugin ABI version mismatch (engine speaks " +
                             std::to_string(PROFFER_PLUGIN_ABI_VERSION) + ")");
  impl_->host = proffer_host{impl_.get(), &Impl::send, &Impl::log};
  impl_->instance = impl_->plugin->create(&impl_->host, program().plugin_config.c_str());
  if (!impl_->instance) throw std::runtime_error(path + ": create() returned no instance");
  capacity = impl_->plugin->capacity == 0 ? 1'000'000 : int(impl_->plugin->capacity);
  state = WorkerState::Ready;
  ready_at = std::chrono::steady_clock::now();
}

void PluginWorker::send(const std::string& body) {
  if (impl_->instance) impl_->plugin->on_message(impl_->instance, body.data(), body.size());
}

void PluginWorker::kill() {
  *impl_->alive = false;
  impl_->alive = std::make_shared<bool>(true);
  if (impl_->instance) impl_->plugin->destroy(impl_->instance);
  impl_->instance = nullptr;
  // The library stays mapped: queued callbacks may still point into it until they run.
  state = WorkerState::Dead;
}

}  // namespace proffer::logic
