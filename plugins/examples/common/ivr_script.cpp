#include "ivr_script.hpp"

#include <cstdlib>
#include <map>
#include <string>

namespace proffer::examples {
namespace {

struct Branch {
  const char* name;
  const char* goodbye;
};

Branch choose(const std::string& digits) {
  if (digits == "1") return {"sales", "Connecting you to sales. Goodbye."};
  if (digits == "2") return {"support", "Support is open around the clock. Goodbye."};
  return {"none", "Sorry, we did not get your choice. Goodbye."};
}

}  // namespace

sdk::Task<void> ivr_script(sdk::Call& call, std::string program) {
  co_await call.answer();
  // Variables are built before co_await, not inside it: GCC 12 cannot keep a braced
  // initializer list alive across a suspension ("array used as initializer").
  std::map<std::string, std::string> identity{{"ivr.program", program}};
  co_await call.set(std::move(identity));

  sdk::GatherOptions menu;
  menu.max_digits = 1;
  menu.timeout_ms = 5000;
  menu.terminator = "#";
  // Read per call, so a changed prompt needs no restart of a long-lived process or plugin.
  const char* welcome = std::getenv("PROFFER_IVR_WELCOME");
  if (welcome && *welcome) {
    menu.prompt_file = welcome;
  } else {
    menu.prompt_text = "Welcome to Proffer. For sales press 1. For support press 2.";
  }
  const sdk::GatherResult choice = co_await call.gather(menu);

  const Branch branch = choose(choice.digits);
  std::map<std::string, std::string> outcome{{"ivr.branch", branch.name},
                                             {"ivr.digits", choice.digits}};
  co_await call.set(std::move(outcome));
  // say() returns on play.done, so the goodbye is heard in full before the hangup.
  co_await call.say(branch.goodbye);
  co_await call.hangup(16);
}

}  // namespace proffer::examples
