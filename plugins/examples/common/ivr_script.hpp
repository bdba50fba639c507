#pragma once
// The example IVR, shared by the process (cpp-ivr) and the plugin (plugin-ivr): the same
// coroutine serves a call whichever way the engine reaches it.
#include <proffer/sdk/call.hpp>
#include <proffer/sdk/task.hpp>
#include <string>

namespace proffer::examples {

// answer; set ivr.program; gather one digit (5 s, "#") behind a welcome prompt; branch on it;
// record the outcome in ivr.branch and ivr.digits; say goodbye; hang up with cause 16.
// The prompt is the file named by PROFFER_IVR_WELCOME when set, else text to speech.
sdk::Task<void> ivr_script(sdk::Call& call, std::string program);

}  // namespace proffer::examples
