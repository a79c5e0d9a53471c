#pragma once
// Background work on an event loop: detached tasks whose failure is logged,
// and steps repeated at a period. Nothing here throws out of a loop.

#include "core/log.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <string>

namespace bakewind::core {

/// Runs `task` detached on `ex`. When it ends, `done` (if set) is called on
/// `ex`, and an exception it threw is logged as a warning `what` (it does not
/// propagate out of the loop).
void spawn_logged(const boost::asio::any_io_executor& ex, boost::asio::awaitable<void> task, std::string what,
                  std::function<void()> done = {});

/// Awaits `period`, then `step`, forever, until the loop stops. A failing
/// step is logged at `level` as `what` and the next one runs on time.
boost::asio::awaitable<void> every(std::chrono::milliseconds period, std::function<boost::asio::awaitable<void>()> step,
                                   std::string what, log_level level);

}  // namespace bakewind::core
