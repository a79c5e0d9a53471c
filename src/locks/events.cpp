#include "locks/events.hpp"

#include "core/json.hpp"
#include "core/log.hpp"

#include <boost/json.hpp>


namespace bakewind::locks {

namespace asio = boost::asio;

// A message is "<bakeryId> <event JSON>": instances split it without parsing
// the JSON, and fan out the text as it is.
std::string event_bus::message(std::string_view bakery_id, const boost::json::object& event) {
  std::string text(bakery_id);
  text += ' ';
  core::append_json(text, event);
  return text;
}

void event_bus::dropped(std::string_view why) {
  drops_.count.inc();
  // Once per episode, not once per event: an outage under traffic would
  // otherwise write a line for every lock request.
  if (drops_.failing.begin()) {
    core::log_warn("events not published (logged once until they are again)", {{"error", std::string(why)}});
  } else {
    core::log_debug("event not published", {{"error", std::string(why)}});
  }
}

void event_bus::published() {
  if (drops_.failing.end()) core::log_info("events published again", {});
}

asio::awaitable<void> event_bus::publish(std::string bakery_id, boost::json::object event, redis::budget* within) {
  try {
    co_await redis_.publish(events_channel, message(bakery_id, event), within);
    published();
  } catch (const std::exception& e) {
    dropped(e.what());
  }
}

bool parse_published(std::string_view message, std::string& bakery_id, std::string& event_json) {
  const auto space = message.find(' ');
  if (space == std::string_view::npos || space == 0 || space + 1 >= message.size()) return false;
  bakery_id.assign(message.substr(0, space));
  event_json.assign(message.substr(space + 1));
  return true;
}

}  // namespace bakewind::locks
