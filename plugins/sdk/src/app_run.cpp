// App::run lives apart from the rest of App so that a plugin, which never calls it, does not pull
// ZmqTransport (and libzmq) out of the static library.
#include <cstdio>
#include <string>

#include "proffer/sdk/app.hpp"
#include "proffer/sdk/zmq_transport.hpp"

namespace proffer::sdk {

int App::run() {
  std::string error;
  std::optional<ZmqSettings> settings = ZmqSettings::from_environment(error);
  if (!settings) {
    std::fprintf(stderr, "proffer-sdk: %s\n", error.c_str());
    return 2;
  }
  ZmqTransport transport(std::move(*settings));
  const int status = transport.run(*this);
  detach();
  return status;
}

}  // namespace proffer::sdk
