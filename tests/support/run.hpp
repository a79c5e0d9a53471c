#pragma once
// Running coroutines from a test body.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <chrono>
#include <future>
#include <stdexcept>
#include <utility>

namespace bakewind::test {

/// Runs `task` on `io` (on this thread) until it finishes and returns its
/// value, rethrowing what it threw. Other work on `io` runs meanwhile.
/// Throws std::runtime_error when it does not finish within `limit`, so a
/// bug fails the test instead of hanging it.
template <class T>
T run(boost::asio::io_context& io, boost::asio::awaitable<T> task,
      std::chrono::milliseconds limit = std::chrono::seconds(60)) {
  std::future<T> done = boost::asio::co_spawn(io, std::move(task), boost::asio::use_future);
  const auto deadline = std::chrono::steady_clock::now() + limit;
  io.restart();
  while (done.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) throw std::runtime_error("test coroutine did not finish in time");
    if (io.run_one_for(deadline - now) == 0 && io.stopped()) {
      if (done.wait_for(std::chrono::seconds(0)) == std::future_status::ready) break;
      throw std::runtime_error("io_context ran out of work before the coroutine finished");
    }
  }
  return done.get();
}

/// Suspends the calling coroutine for `d`.
inline boost::asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, d);
  co_await timer.async_wait(boost::asio::use_awaitable);
}

}  // namespace bakewind::test
