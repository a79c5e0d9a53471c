#pragma once
// Live events (API.md "Live events"): published through one Redis pub/sub
// channel with the bakery id inside, so that every instance receives every
// event and fans it out to its own WebSocket clients of that bakery.

#include "redis/service.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <cstdint>
#include <string>

namespace bakewind::locks {

/// The pub/sub channel every instance listens on.
inline constexpr std::string_view events_channel = "bakewind:events";

/// Publishes events of one loop. Never throws: an event that cannot be
/// published is counted and dropped (the state change already happened).
class event_bus {
 public:
  explicit event_bus(redis::service& redis) : redis_(redis) {}

  /// Publishes `event` (which has "type" and "at") for `bakery_id`'s clients.
  boost::asio::awaitable<void> publish(std::string bakery_id, boost::json::object event);

  /// The message `publish` sends, for a caller that publishes it itself
  /// (inside a script, with the write it announces).
  static std::string message(std::string_view bakery_id, const boost::json::object& event);

  /// Counts an event that could not be published; warns (with why) once
  /// per episode of failures, not once per event.
  static void dropped(std::string_view why);
  /// Notes an event published: ends an episode of failures (logged once).
  static void published();
  /// Events dropped since the process started, by every loop.
  static std::uint64_t dropped_total();

 private:
  redis::service& redis_;
};

/// Splits a published message into the bakery id and the event JSON text;
/// false for anything malformed.
bool parse_published(std::string_view message, std::string& bakery_id, std::string& event_json);

}  // namespace bakewind::locks
