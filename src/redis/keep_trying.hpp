#pragma once
// A write that PostgreSQL already holds and Redis must get too: tried again
// in the background until Redis takes it or it no longer matters.

#include "redis/service.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace bakewind::redis {

/// Sends `command` on `ex` every 250 ms until a reply comes (an error reply
/// counts: retrying would not change it) or `until` passes. Returns at once.
/// `redis` must outlive the loop of `ex`.
void keep_trying(const boost::asio::any_io_executor& ex, service& redis, std::vector<std::string> command,
                 std::chrono::steady_clock::time_point until);

}  // namespace bakewind::redis
