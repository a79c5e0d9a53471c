// redis::client's connection: (re)connecting, through the Sentinels when
// configured, and the writer and reader of a live connection.

#include "core/log.hpp"
#include "redis/detail/client_state.hpp"
#include "redis/server_identity.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <array>

namespace bakewind::redis::detail {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;

namespace {
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
}  // namespace

asio::awaitable<void> client_state::run() {
  auto self = shared_from_this();
  int attempt = 0;
  while (!closing) {
    std::string failure = co_await connect();
    if (failure.empty() && opts.servers != nullptr && !closing) failure = co_await identify();
    if (closing) break;
    if (!failure.empty() && hurry) {
      // Abandoned for the master the Sentinels just announced: not a failure
      // of Redis, so it costs no queued command a retry.
      core::log_debug("redis connect abandoned: the master moved", {{"endpoint", endpoint_of(opts)}});
      stream.close();
      co_await backoff(attempt);
      continue;
    }
    if (!failure.empty()) {
      stream.close();
      ++attempt;
      after_failed_connect(failure, attempt);
      co_await backoff(attempt);
      continue;
    }
    if (counters.connects.fetch_add(1) > 0) counters.reconnects.fetch_add(1);
    last_failure.clear();
    failed_connects = 0;
    hurry = false;
    core::log_info("redis ready", {{"endpoint", endpoint_of(opts)}, {"tls", opts.tls}});
    const auto began = clock::now();
    co_await serve_connection();
    if (closing || quitting) break;
    after_lost_connection();
    // A connection that served for a while starts the backoff afresh, like
    // ioredis's retryStrategy(1); one dropped at once (a server refusing us
    // after the handshake) keeps growing it, so we never spin every 50 ms.
    attempt = clock::now() - began >= std::chrono::seconds(1) ? 1 : attempt + 1;
    core::log_warn("redis reconnecting",
                   {{"attempt", attempt}, {"delayMs", hurry ? 0LL : static_cast<long long>(reconnect_delay(attempt).count())}});
    co_await backoff(attempt);
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

asio::awaitable<std::string> client_state::connect() {
  if (sentinel) {
    auto failure = co_await sentinel->connect(stream, parser);
    co_return failure;
  }
  auto failure = co_await open_connection(stream, parser, opts);
  co_return failure;
}

asio::awaitable<std::string> client_state::identify() {
  std::string info;
  append_command(info, {"INFO", "server"});
  std::vector<reply> replies;
  const auto deadline = clock::now() + opts.connect_timeout;
  const auto ec = co_await exchange(stream, parser, info, 1, replies, deadline);
  if (ec) co_return "INFO server: " + ec.message();
  const std::string now = run_id_of(replies.front());
  const std::string before = run_id;
  if (opts.servers->note(run_id, now)) {
    core::log_info("redis server new to this connection",
                   {{"endpoint", endpoint_of(opts)},
                    {"runId", now.empty() ? std::string_view("unknown") : std::string_view(now)},
                    {"previous", before.empty() ? std::string_view("none") : std::string_view(before)}});
  }
  co_return std::string();
}

asio::awaitable<void> client_state::backoff(int attempt) {
  if (!hurry) {
    pause.expires_after(reconnect_delay(attempt));
    co_await pause.async_wait(use_tuple);
  }
  hurry = false;
}

void client_state::on_master_announced(const server_address& master) {
  if (closing || master == sentinel->current()) return;
  // Another master: drop what we have (or are connecting to) and go there at
  // once. The drop is an ordinary lost connection: unanswered commands fail
  // unless idempotent, queued ones wait for the new connection.
  if (ready) {
    core::log_info("redis master moved: dropping the connection",
                   {{"from", endpoint_of(opts)}, {"to", master.text()}});
  }
  hurry = true;
  stream.close();
  pause.cancel();
}

}  // namespace bakewind::redis::detail
