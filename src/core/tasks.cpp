#include "core/tasks.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace bakewind::core {

namespace asio = boost::asio;

void spawn_logged(const asio::any_io_executor& ex, asio::awaitable<void> task, std::string what,
                  std::function<void()> done) {
  asio::co_spawn(ex, std::move(task),
                 [what = std::move(what), done = std::move(done)](const std::exception_ptr& failure) {
                   if (done) done();
                   if (!failure) return;
                   try {
                     std::rethrow_exception(failure);
                   } catch (const std::exception& e) {
                     log_warn(what, {{"error", e.what()}});
                   } catch (...) {
                     log_warn(what);
                   }
                 });
}

asio::awaitable<void> every(std::chrono::milliseconds period, std::function<asio::awaitable<void>()> step,
                            std::string what, log_level level) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (true) {
    timer.expires_after(period);
    auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    try {
      co_await step();
    } catch (const std::exception& e) {
      log(level, what, {{"error", e.what()}});
    }
  }
}

}  // namespace bakewind::core
