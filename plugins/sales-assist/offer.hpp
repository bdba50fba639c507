#pragma once
// Offer: what the `offer.accepted` trigger tells the program about one call, read once at the
// start so the call flow works with plain fields instead of JSON lookups.
#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <vector>

#include "agent_queue.hpp"

namespace proffer::sales_assist {

struct QueueSettings {
  Millis max_wait = std::chrono::seconds(120);
  Millis announce_every = std::chrono::seconds(20);
  Millis agent_timeout = std::chrono::seconds(15);
  // Music on hold: "tone:<spec>" (a cadence, see the `tone` command) or a sound file to play.
  std::string moh = "tone:440/200,0/800";
};

struct Offer {
  std::string address;  // who was called, e.g. sim/pstn1/+12025550143
  std::string shop_name;
  std::string language;     // the shopper's, e.g. "de" or "en-GB"; may be empty
  std::string verify_code;  // empty: the number needs no verification
  std::vector<Agent> agents;
  QueueSettings queue;
  // Passed through untouched to the agent's screen pop.
  boost::json::object offer, shopper, cart;
  std::string offer_id() const;
  std::string session() const;  // the shopper's session, the name this call has in the queue
};

// Reads an `offer.accepted` trigger. Returns nothing, with the reason in `error`, when it cannot
// be served (no agents).
std::optional<Offer> read_offer(const boost::json::object& trigger, std::string& error);

// The trigger to use for a channel: the one it was offered with, or, when the channel was
// started by hand (trigger type "originate": `profferctl originate ... --logic sales-assist`),
// the JSON document in `fallback_json` (PROFFER_SALES_ASSIST_TRIGGER) with the originate's
// address. Empty object, with the reason in `error`, when neither is usable.
boost::json::object effective_trigger(const boost::json::object& trigger, const char* fallback_json,
                                      std::string& error);

}  // namespace proffer::sales_assist
