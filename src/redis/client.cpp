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

std::string endpoint_of(const redis::options& o) { return o.host + ":" + std::to_string(o.port); }

}  // namespace

client_state::client_state(asio::any_io_executor ex, redis::options o)
    : executor(ex),
      opts(std::move(o)),
      tls(make_tls_context(opts)),
      stream(ex, opts, tls.get()),
      wake(ex, clock::time_point::max()),
      pause(ex),
      tick(ex) {}

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

asio::awaitable<void> client_state::run() {
  auto self = shared_from_this();
  int attempt = 0;
  while (!closing) {
    const std::string failure = co_await open_connection(stream, parser, opts);
    if (closing) break;
    if (!failure.empty()) {
      stream.close();
      ++attempt;
      after_failed_connect(failure, attempt);
      pause.expires_after(reconnect_delay(attempt));
      co_await pause.async_wait(use_tuple);
      continue;
    }
    if (counters.connects.fetch_add(1) > 0) counters.reconnects.fetch_add(1);
    last_failure.clear();
    failed_connects = 0;
    core::log_info("redis ready", {{"endpoint", endpoint_of(opts)}, {"tls", opts.tls}});
    const auto began = clock::now();
    co_await serve_connection();
    if (closing || quitting) break;
    after_lost_connection();
    // A connection that served for a while starts the backoff afresh, like
    // ioredis's retryStrategy(1); one dropped at once (a server refusing us
    // after the handshake) keeps growing it, so we never spin every 50 ms.
    attempt = clock::now() - began >= std::chrono::seconds(1) ? 1 : attempt + 1;
    core::log_warn("redis reconnecting", {{"attempt", attempt}, {"delayMs", reconnect_delay(attempt).count()}});
    pause.expires_after(reconnect_delay(attempt));
    co_await pause.async_wait(use_tuple);
  }
  stream.close();
  core::log_info("redis end", {{"endpoint", endpoint_of(opts)}});
}

asio::awaitable<void> client_state::serve_connection() {
  ready = true;
  counters.connected = true;
  counters.connected_since_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count();
  last_read = last_activity = clock::now();
  wake.expires_at(clock::time_point::max());
  // Whichever ends first (a failed write, a failed read) ends the other.
  co_await (writer() || reader());
  ready = false;
  counters.connected = false;
  counters.connected_since_ms = 0;
  stream.close();
}

asio::awaitable<void> client_state::writer() {
  std::string batch;
  while (true) {
    if (queued.empty()) {
      co_await wake.async_wait(use_tuple);
      auto cs = co_await asio::this_coro::cancellation_state;
      if (cs.cancelled() != asio::cancellation_type::none || !stream.is_open()) co_return;
      wake.expires_at(clock::time_point::max());
      continue;
    }
    // Everything queued so far goes out in one write: auto-pipelining.
    batch.clear();
    const auto now = clock::now();
    while (!queued.empty() && batch.size() < opts.max_batch_bytes) {
      auto& r = queued.front();
      batch += r.payload;
      r.sent_at = now;
      in_flight.push_back(std::move(r));
      queued.pop_front();
    }
    last_activity = now;
    const auto ec = co_await stream.write(batch);
    if (ec) {
      if (!closing) core::log_warn("redis write failed", {{"error", ec.message()}});
      co_return;
    }
  }
}

asio::awaitable<void> client_state::reader() {
  std::array<char, 16384> buffer{};
  while (true) {
    auto [ec, n] = co_await stream.read_some(asio::buffer(buffer));
    if (ec) {
      if (!closing && ec != asio::error::operation_aborted) {
        core::log_warn("redis connection error", {{"error", ec.message()}});
      }
      co_return;
    }
    last_read = clock::now();
    bool drop = false;
    try {
      parser.feed(buffer.data(), n);
      while (auto r = parser.next()) {
        if (in_flight.empty()) throw protocol_error("reply without a request");
        auto req = std::move(in_flight.front());
        in_flight.pop_front();
        // A replica after failover answers writes with READONLY: reconnect
        // so that DNS or Sentinel lead us to the new master.
        if (r->is_error() && r->error_code() == "READONLY") drop = true;
        complete(req, {}, std::move(*r));
      }
    } catch (const protocol_error& e) {
      core::log_error("redis protocol error", {{"detail", e.what()}});
      counters.errors.fetch_add(1);
      co_return;
    }
    if (drop) {
      core::log_warn("redis READONLY reply: reconnecting", {{"endpoint", endpoint_of(opts)}});
      co_return;
    }
  }
}

void client_state::after_failed_connect(const std::string& detail, int attempt) {
  counters.errors.fetch_add(1);
  // Logged once per state change (the first failure, or a new reason), not
  // every 2 s while Redis stays down; each attempt still shows at debug.
  const auto level = detail != last_failure ? core::log_level::warn : core::log_level::debug;
  last_failure = detail;
  failed_connects = attempt;
  core::log(level, "redis connect failed",
            {{"endpoint", endpoint_of(opts)},
             {"error", detail},
             {"attempt", attempt},
             {"delayMs", reconnect_delay(attempt).count()}});
  // Each queued command survives max_retries_per_request failed attempts.
  std::deque<request> keep;
  for (auto& r : queued) {
    if (++r.failed_connects > opts.max_retries_per_request) {
      complete(r, make_error_code(error::retries_exhausted), {});
    } else {
      keep.push_back(std::move(r));
    }
  }
  queued.swap(keep);
}

void client_state::after_lost_connection() {
  counters.errors.fetch_add(1);
  core::log_warn("redis connection lost", {{"endpoint", endpoint_of(opts)}, {"unanswered", in_flight.size()}});
  // Sent but unanswered: the server may have run it. Only idempotent
  // commands go back to the queue (in their order, before newer ones).
  std::deque<request> again;
  for (auto& r : in_flight) {
    if (!r.handler) continue;
    if (r.policy == retry::idempotent) {
      again.push_back(std::move(r));
    } else {
      complete(r, make_error_code(error::connection_lost), {});
    }
  }
  in_flight.clear();
  for (auto it = again.rbegin(); it != again.rend(); ++it) queued.push_front(std::move(*it));
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

}  // namespace bakewind::redis
