#pragma once
// Live events (API.md "Live events"): published through one Redis pub/sub
// channel with the bakery id inside, so that every instance receives every
// event and fans it out to its own WebSocket clients of that bakery.

#include "core/log_limits.hpp"
#include "observability/metric_types.hpp"
#include "redis/service.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <cstdint>
#include <string>

namespace bakewind::locks {

/// The pub/sub channel every instance listens on.
inline constexpr std::string_view events_channel = "bakewind:events";

/// Events that could not be published, shared by every loop's bus: every
/// loop publishes through the same Redis, so one outage is one episode
/// however many loops and events run into it.
struct event_drops {
  core::episode failing;         ///< the latest event could not be published
  observability::counter count;  ///< events dropped since the process started
};

/// Publishes events of one loop. Never throws: an event that cannot be
/// published is counted and dropped (the state change already happened).
class event_bus {
 public:
  /// Both must outlive the bus.
  event_bus(redis::service& redis, event_drops& drops) : redis_(redis), drops_(drops) {}

  /// Publishes `event` (which has "type" and "at") for `bakery_id`'s
  /// clients, within `within` (the request's budget; null for none).
  boost::asio::awaitable<void> publish(std::string bakery_id, boost::json::object event,
                                       redis::budget* within = nullptr);

  /// The message `publish` sends, for a caller that publishes it itself
  /// (inside a script, with the write it announces).
  static std::string message(std::string_view bakery_id, const boost::json::object& event);

  /// Counts an event that could not be published; warns (with why) once
  /// per episode of failures, not once per event.
  void dropped(std::string_view why);
  /// Notes an event published: ends an episode of failures (logged once).
  void published();

 private:
  redis::service& redis_;
  event_drops& drops_;
};

/// Splits a published message into the bakery id and the event JSON text;
/// false for anything malformed.
bool parse_published(std::string_view message, std::string& bakery_id, std::string& event_json);

}  // namespace bakewind::locks
