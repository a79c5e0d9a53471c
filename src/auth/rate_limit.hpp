#pragma once
// Rate limits counted in Redis, so that they hold across instances: one GCRA
// step per check in one Lua script, on Redis's own clock. A limit of N per
// period lets N through at once, then one every period/N.

#include "redis/service.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <string>

namespace bakewind::auth {

struct rate_decision {
  bool allowed = true;
  long long retry_after_s = 0;  ///< when refused: whole seconds until one more is allowed (>= 1)
};

class rate_limiter {
 public:
  /// `enabled` false (RATE_LIMITS=off) allows everything without asking Redis.
  rate_limiter(redis::service& redis, bool enabled) : redis_(redis), enabled_(enabled) {}

  /// Counts one hit on `key` against `limit` per `period`. When Redis cannot
  /// answer within `budget` (the request's), the hit is allowed (and
  /// logged): a Redis outage must not lock everyone out of logging in.
  boost::asio::awaitable<rate_decision> hit(std::string key, unsigned limit, std::chrono::seconds period,
                                            redis::budget& budget);

 private:
  redis::service& redis_;
  bool enabled_;
  bool unchecked_ = false;  ///< the last hit could not reach Redis
};

}  // namespace bakewind::auth
