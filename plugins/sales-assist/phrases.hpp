#pragma once
// What the program says, per language. A language the table lacks is spoken in English: a
// sentence in the right voice but the wrong words helps nobody.
#include <string>

namespace proffer::sales_assist {

struct Phrases {
  std::string voice;  // espeak-ng voice name
  std::string (*greeting)(const std::string& shop);
  const char* code_prompt;
  const char* code_retry;
  const char* code_failed;
  std::string (*position)(std::size_t n);
  const char* no_agent;
};

// The phrases for a language tag ("de", "de-AT", "fr_FR"); English when unknown or empty.
const Phrases& phrases_for(const std::string& language);
const Phrases& english();

}  // namespace proffer::sales_assist
