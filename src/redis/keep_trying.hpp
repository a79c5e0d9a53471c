#pragma once
// A write that PostgreSQL already holds and Redis must get too: sent now,
// and when Redis does not take it, tried again in the background until it
// does or the write no longer matters.

#include "redis/budget.hpp"
#include "redis/service.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace bakewind::redis {

/// Sends `command` within `within` (the request's budget; null for none)
/// and waits for its reply. When it fails (no reply, the budget spent
/// before it was sent, or an error reply such as OOM or READONLY, which may
/// clear), sends it again every 250 ms in the background on the caller's
/// executor until it succeeds or `until` passes, holding what `hold()`
/// returns (when given) until then, and returns at once what went wrong,
/// for the caller to log; nullopt when Redis took it the first time. Never
/// throws for Redis. `redis` must outlive that executor's loop.
boost::asio::awaitable<std::optional<std::string>> send_or_keep_trying(
    service& redis, std::vector<std::string> command, std::chrono::steady_clock::time_point until,
    budget* within = nullptr, std::function<std::shared_ptr<void>()> hold = {});

}  // namespace bakewind::redis
