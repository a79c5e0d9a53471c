#include "auth/rate_limit.hpp"

#include "core/log.hpp"
#include "redis/errors.hpp"

namespace bakewind::auth {

namespace asio = boost::asio;

namespace {

// GCRA: the key holds the theoretical arrival time (TAT, ms). ARGV: the
// emission interval and the period, in ms. Returns {allowed, retry_after_ms}.
const redis::script& gcra_script() {
  static const redis::script s(R"(local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + interval
local allow_at = new_tat - period
if now < allow_at then
  return {0, allow_at - now}
end
redis.call('SET', KEYS[1], new_tat, 'PX', new_tat - now)
return {1, 0}
)");
  return s;
}

}  // namespace

asio::awaitable<rate_decision> rate_limiter::hit(std::string key, unsigned limit, std::chrono::seconds period,
                                                 redis::budget& budget) {
  if (!enabled_) co_return rate_decision{};
  const auto period_ms = std::chrono::duration_cast<std::chrono::milliseconds>(period).count();
  const auto interval_ms = std::max<long long>(1, period_ms / std::max(limit, 1u));
  const std::vector<std::string> keys{"ratelimit:" + key};
  const std::vector<std::string> args{std::to_string(interval_ms), std::to_string(period_ms)};
  try {
    redis::reply r = co_await redis_.eval(gcra_script(), keys, args, redis::retry::never, &budget);
    if (unchecked_) {
      unchecked_ = false;
      core::log_info("rate limits checked again");
    }
    if (r.type == redis::reply::kind::array && r.elements.size() == 2 && r.elements[0].integer == 0) {
      co_return rate_decision{false, std::max<long long>(1, (r.elements[1].integer + 999) / 1000)};
    }
    co_return rate_decision{};
  } catch (const std::exception& e) {
    // Logged when it starts, not on every request while Redis is away.
    if (!unchecked_) core::log_warn("rate limits not checked: redis unavailable", {{"error", e.what()}});
    unchecked_ = true;
  }
  co_return rate_decision{};
}

}  // namespace bakewind::auth
