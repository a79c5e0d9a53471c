#include "redis/client.hpp"

#include "core/log.hpp"
#include "redis/detail/client_state.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace bakewind::redis {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;

namespace detail {
namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr auto watchdog_period = std::chrono::milliseconds(100);

}  // namespace

client_state::client_state(asio::any_io_executor ex, redis::options o)
    : executor(ex),
      opts(std::move(o)),
      tls(make_tls_context(opts)),
      stream(ex, opts, tls.get()),
      wake(ex, clock::time_point::max()),
      pause(ex),
      tick(ex) {
  if (!opts.sentinels.empty()) {
    // The link calls back only while it is not stopped, and shut_down() stops it.
    sentinel = std::make_unique<sentinel_link>(ex, opts, tls,
                                               [this](const server_address& master) { on_master_announced(master); });
  }
}

void client_state::enqueue(request r) {
  if (closing) {
    complete(r, make_error_code(error::closed), {});
    return;
  }
  if (!ready && failed_connects > opts.max_retries_per_request) {
    // Known to be down (the retry budget was spent on earlier commands):
    // fail now instead of making every caller wait out its deadline. The
    // next successful reconnect closes this circuit again.
    complete(r, make_error_code(error::retries_exhausted), {});
    return;
  }
  queued.push_back(std::move(r));
  if (!started) {
    // Lazy connect: the first command starts the connection and the watchdog.
    started = true;
    asio::co_spawn(executor, run(), asio::detached);
    asio::co_spawn(executor, watchdog(), asio::detached);
  }
  if (ready) wake.cancel();
}

void client_state::complete(request& r, boost::system::error_code ec, reply value) {
  if (!r.handler) return;
  if (!ec && !r.internal) {
    counters.commands.fetch_add(1, std::memory_order_relaxed);
    counters.observe_latency(r.command, clock::now() - r.sent_at);
  }
  // Posted, never run inline: a caller resumed from here could issue new
  // commands while we are still walking a queue.
  asio::post(executor, [h = r.handler.take(), ec, v = std::move(value)]() mutable { std::move(h)(ec, std::move(v)); });
}

void client_state::shut_down() {
  closing = true;
  if (sentinel) sentinel->stop();
  stream.close();
  // Wakes every coroutine of ours so that each sees `closing` and ends.
  wake.cancel();
  pause.cancel();
  tick.cancel();
  fail_all(queued, make_error_code(error::closed));
  fail_all(in_flight, make_error_code(error::closed));
}

void client_state::fail_all(std::deque<request>& queue, boost::system::error_code ec) {
  for (auto& r : queue) complete(r, ec, {});
  queue.clear();
}

void client_state::expire(clock::time_point now) {
  for (auto& r : in_flight) {
    if (r.handler && now >= r.deadline) {
      counters.errors.fetch_add(1);
      complete(r, make_error_code(error::timeout), {});  // its reply, if it comes, is dropped
    }
  }
  std::erase_if(queued, [&](request& r) {
    if (now < r.deadline) return false;
    counters.errors.fetch_add(1);
    complete(r, make_error_code(error::timeout), {});
    return true;
  });
}

asio::awaitable<void> client_state::watchdog() {
  auto self = shared_from_this();
  while (!closing) {
    tick.expires_after(watchdog_period);
    co_await tick.async_wait(use_tuple);
    if (closing) break;
    const auto now = clock::now();
    expire(now);
    counters.queued.store(ready ? 0 : queued.size(), std::memory_order_relaxed);
    if (!ready) continue;
    if (!in_flight.empty() && now - last_read > opts.read_timeout && now - in_flight.front().sent_at > opts.read_timeout) {
      core::log_warn("redis silent, dropping connection",
                     {{"endpoint", endpoint_of(opts)}, {"silentMs", std::chrono::duration_cast<std::chrono::milliseconds>(now - last_read).count()}});
      stream.close();
      continue;
    }
    if (in_flight.empty() && queued.empty() && now - last_activity > opts.idle_ping) {
      request ping;
      append_command(ping.payload, {"PING"});
      ping.internal = true;
      ping.deadline = now + opts.read_timeout;
      ping.handler = handler_slot::handler_type([](boost::system::error_code, reply) {});
      enqueue(std::move(ping));
    }
  }
}

}  // namespace detail

client::client(asio::any_io_executor ex, redis::options o)
    : state_(std::make_shared<detail::client_state>(ex, std::move(o))) {}

client::~client() { state_->shut_down(); }

void client::enqueue(std::string payload, retry policy, asio::any_completion_handler<completion> handler) {
  detail::request r;
  r.payload = std::move(payload);
  r.command = static_cast<std::uint8_t>(command_slot(r.payload));
  r.policy = policy;
  r.deadline = detail::clock::now() + state_->opts.command_timeout;
  r.handler = detail::handler_slot(std::move(handler));
  state_->enqueue(std::move(r));
}

asio::awaitable<reply> client::send(std::string encoded, retry policy) {
  auto [ec, r] = co_await async_send(std::move(encoded), policy, asio::as_tuple(asio::use_awaitable));
  if (ec == error::retries_exhausted && !state_->last_failure.empty()) {
    // Say why: "authentication failed (WRONGPASS)" helps more than "not connected".
    throw core::unavailable_error("redis", ec.message() + ": " + state_->last_failure);
  }
  if (ec) throw_unavailable(ec);
  co_return r;
}

asio::awaitable<void> client::close() {
  auto state = state_;
  auto& s = *state;
  if (s.closing) co_return;
  if (s.ready) {
    s.quitting = true;
    std::string quit;
    append_command(quit, {"QUIT"});
    // Whatever the answer (or none within the deadline), we close next.
    auto [ec, r] = co_await async_send(std::move(quit), retry::never, asio::as_tuple(asio::use_awaitable));
  }
  s.shut_down();
}

const redis::stats& client::stats() const noexcept { return state_->counters; }

const std::string& client::server_run_id() const noexcept { return state_->run_id; }

}  // namespace bakewind::redis
