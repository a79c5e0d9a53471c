#pragma once
// Live events (API.md "Live events"): published through one Redis pub/sub
// channel with the bakery id inside, so that every instance receives every
// event and fans it out to its own WebSocket clients of that bakery.

#include "redis/service.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <string>

namespace bakewind::locks {

/// The pub/sub channel every instance listens on.
inline constexpr std::string_view events_channel = "bakewind:events";

/// Publishes events of one loop. Never throws: an event that cannot be
/// published is logged and dropped (the state change already happened).
class event_bus {
 public:
  explicit event_bus(redis::service& redis) : redis_(redis) {}

  /// Publishes `event` (which has "type" and "at") for `bakery_id`'s clients.
  boost::asio::awaitable<void> publish(std::string bakery_id, boost::json::object event);

  /// The message `publish` sends, for a caller that publishes it itself
  /// (inside a script, with the write it announces).
  static std::string message(std::string_view bakery_id, const boost::json::object& event);

  /// Logs an event that could not be published, and why.
  static void dropped(std::string_view why);

 private:
  redis::service& redis_;
};

/// Splits a published message into the bakery id and the event JSON text;
/// false for anything malformed.
bool parse_published(std::string_view message, std::string& bakery_id, std::string& event_json);

}  // namespace bakewind::locks
