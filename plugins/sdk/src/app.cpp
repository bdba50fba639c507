#include "proffer/sdk/app.hpp"

#include <boost/json/parse.hpp>
#include <string>

#include "session.hpp"

namespace proffer::sdk {

App::App() : session_(std::make_unique<detail::Session>()) {}

App::~App() = default;

App& App::on_call(CallHandler handler) {
  session_->handler = std::move(handler);
  return *this;
}

App& App::set_capacity(unsigned capacity) {
  session_->capacity = capacity;
  return *this;
}

unsigned App::capacity() const noexcept { return session_->capacity; }

App& App::set_config(boost::json::object config) {
  session_->config = std::move(config);
  return *this;
}

const boost::json::object& App::config() const noexcept { return session_->config; }

void App::attach(Transport& transport) { session_->attach(&transport); }

void App::detach() noexcept { session_->attach(nullptr); }

void App::deliver(std::string_view body) {
  boost::json::error_code error;
  boost::json::value message = boost::json::parse(body, error);
  if (error || !message.is_object()) {
    constexpr std::size_t kShown = 200;
    std::string shown(body.substr(0, kShown));
    if (body.size() > kShown) shown += "...";
    log(LogLevel::warning, std::string("ignoring a body that is not a JSON object") +
                               (error ? " (" + error.message() + ")" : std::string()) + ": " +
                               shown);
    return;
  }
  session_->deliver(std::move(message.as_object()));
}

void App::deliver(boost::json::object message) { session_->deliver(std::move(message)); }

std::size_t App::active_calls() const noexcept { return session_->active_calls(); }

bool App::draining() const noexcept { return session_->draining(); }

int App::drain_grace_ms() const noexcept { return session_->drain_grace_ms(); }

void App::log(LogLevel level, std::string_view message) const { session_->log(level, message); }

}  // namespace proffer::sdk
