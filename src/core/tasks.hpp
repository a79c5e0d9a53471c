#pragma once
// Background work on an event loop: detached tasks whose failure is logged,
// and steps repeated at a period. Nothing here throws out of a loop.

#include "core/log.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <exception>
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

/// What an awaited operation gave: its value, or the exception it threw.
template <class T>
struct attempt_result {
  T value{};
  std::exception_ptr failure;  ///< set when the operation threw; `value` is then default
};

/// Awaits `op` and captures what it throws, so that the caller may still
/// await some cleanup before rethrowing (GCC allows no co_await in a catch).
template <class T>
boost::asio::awaitable<attempt_result<T>> attempt(boost::asio::awaitable<T> op) {
  attempt_result<T> out;
  try {
    out.value = co_await std::move(op);
  } catch (...) {
    out.failure = std::current_exception();
  }
  co_return out;
}

}  // namespace bakewind::core
