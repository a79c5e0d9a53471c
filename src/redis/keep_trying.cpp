#include "redis/keep_trying.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace bakewind::redis {

namespace asio = boost::asio;

namespace {

asio::awaitable<void> send_until(service& redis, std::vector<std::string> command,
                                 std::chrono::steady_clock::time_point until,
                                 [[maybe_unused]] std::shared_ptr<void> hold) {
  asio::steady_timer pause(co_await asio::this_coro::executor);
  while (std::chrono::steady_clock::now() < until) {
    pause.expires_after(std::chrono::milliseconds(250));
    co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
    try {
      co_await redis.command(command);
      co_return;
    } catch (const std::exception&) {
    }
  }
}

}  // namespace

asio::awaitable<std::optional<std::string>> send_or_keep_trying(service& redis, std::vector<std::string> command,
                                                                std::chrono::steady_clock::time_point until,
                                                                budget* within,
                                                                std::function<std::shared_ptr<void>()> hold) {
  std::optional<std::string> failure;
  try {
    // Written even when the request's budget is spent or Redis is stalled:
    // a stalled server then runs it, in order, before anything asked later.
    co_await redis.command(command, retry::deliver, within);
    co_return failure;
  } catch (const std::exception& e) {
    failure = e.what();
  }
  const auto ex = co_await asio::this_coro::executor;
  // Taken before anything else can run on this loop: no read misses the write.
  std::shared_ptr<void> held = hold ? hold() : nullptr;
  asio::co_spawn(ex, send_until(redis, std::move(command), until, std::move(held)), asio::detached);
  co_return failure;
}

}  // namespace bakewind::redis
