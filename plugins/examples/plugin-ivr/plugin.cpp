// libproffer-ivr-plugin.so: the example IVR as an in-process plugin. Same script as proffer-ivr;
// only the transport differs (the engine calls in through proffer/plugin.h, no ZeroMQ).
#include <proffer/sdk/plugin_transport.hpp>

#include "ivr_script.hpp"

namespace {

proffer::sdk::Task<void> serve(proffer::sdk::Call& call) {
  return proffer::examples::ivr_script(call, "plugin");
}

}  // namespace

// Name for the engine's logs; 0 = no limit on channels per instance.
PROFFER_PLUGIN("ivr-plugin", 0, serve)
