#include "redis/detail/supervisor.hpp"

#include "core/log.hpp"
#include "redis/errors.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <array>

namespace bakewind::redis::detail {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;

namespace {
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
// Deadlines and silence are judged this often: a command ends at most this
// late, which the worst cases in the README include.
constexpr auto watch_period = std::chrono::milliseconds(50);
}  // namespace

silence judge_silence(clock::time_point now, clock::time_point last_read, clock::time_point last_write,
                      std::optional<clock::time_point> awaiting_since, const options& o) noexcept {
  if (awaiting_since) {
    // From the later of asking and the last byte: a connection that was
    // quiet before it was asked something is not silent yet.
    const auto silent = now - std::max(*awaiting_since, last_read);
    if (silent > o.read_timeout) return silence::drop;
    return silent >= o.command_timeout ? silence::stalled : silence::fine;
  }
  return now - std::max(last_read, last_write) >= o.idle_ping ? silence::ping : silence::fine;
}

int attempt_after(int attempt, clock::duration served) noexcept {
  // Restarting at 1 only after a real spell of service means a server that
  // accepts and then drops us is never retried every 50 ms.
  return served >= std::chrono::seconds(1) ? 1 : attempt + 1;
}

supervisor::supervisor(asio::any_io_executor ex, options o, std::string_view name, connection_owner& owner,
                       redis::stats& counters)
    : executor_(ex),
      opts_(std::move(o)),
      name_(name),
      owner_(owner),
      counters_(counters),
      tls_(make_tls_context(opts_)),
      stream_(ex, opts_, tls_.get()),
      wake_(ex, clock::time_point::max()),
      pause_(ex),
      tick_(ex) {
  if (!opts_.sentinels.empty()) {
    // The link calls back only while it is not stopped, and stop() stops it.
    sentinel_ = std::make_unique<sentinel_link>(ex, opts_, tls_,
                                                [this](const server_address& master) { on_master_announced(master); });
  }
}

void supervisor::start(std::shared_ptr<void> keep_alive) {
  if (started_ || closing_) return;
  started_ = true;
  asio::co_spawn(executor_, run(keep_alive), asio::detached);
  asio::co_spawn(executor_, watch(std::move(keep_alive)), asio::detached);
}

void supervisor::wake_writer() noexcept {
  if (ready_) wake_.cancel();
}

void supervisor::stop() noexcept {
  closing_ = true;
  if (sentinel_) sentinel_->stop();
  stream_.close();
  // Wakes every coroutine of ours so that each sees `closing_` and ends.
  wake_.cancel();
  pause_.cancel();
  tick_.cancel();
}

std::string supervisor::said(std::string_view what) const {
  std::string line = name_;
  line += ' ';
  line += what;
  return line;
}

asio::awaitable<void> supervisor::run([[maybe_unused]] std::shared_ptr<void> keep_alive) {
  int attempt = 0;
  while (!closing_) {
    std::string failure = co_await connect();
    if (failure.empty() && !closing_) failure = co_await owner_.after_connect(stream_, parser_);
    if (closing_) break;
    if (!failure.empty()) {
      stream_.close();
      if (hurry_) {
        // Abandoned for the master the Sentinels just announced: not a
        // failure of Redis, so it costs no queued command a retry.
        core::log_debug(said("connect abandoned: the master moved"), {{"endpoint", endpoint_of(opts_)}});
      } else {
        failed(failure, ++attempt);
      }
      co_await backoff(attempt);
      continue;
    }
    const auto began = clock::now();
    co_await serve();
    if (closing_ || finishing_) break;
    attempt = after_serving(attempt, began);
    co_await backoff(attempt);
  }
  stream_.close();
  core::log_info(said("end"), {{"endpoint", endpoint_of(opts_)}});
}

asio::awaitable<std::string> supervisor::connect() {
  if (sentinel_) {
    auto failure = co_await sentinel_->connect(stream_, parser_);
    co_return failure;
  }
  auto failure = co_await open_connection(stream_, parser_, opts_);
  co_return failure;
}

void supervisor::failed(const std::string& why, int attempt) {
  counters_.errors.fetch_add(1);
  // Logged once per state change (the first failure, or a new reason), not
  // every 2 s while Redis stays down; each attempt still shows at debug.
  const auto level = why != last_failure_ ? core::log_level::warn : core::log_level::debug;
  last_failure_ = why;
  core::log(level, said("connect failed"),
            {{"endpoint", endpoint_of(opts_)},
             {"error", why},
             {"attempt", attempt},
             {"delayMs", reconnect_delay(attempt).count()}});
  owner_.connect_failed(attempt);
}

asio::awaitable<void> supervisor::serve() {
  if (counters_.connects.fetch_add(1) > 0) counters_.reconnects.fetch_add(1);
  last_failure_.clear();
  hurry_ = false;
  core::log_info(said("ready"), {{"endpoint", endpoint_of(opts_)}, {"tls", opts_.tls}});
  ready_ = true;
  counters_.connected = true;
  counters_.connected_since_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  last_read_ = last_write_ = clock::now();
  wake_.expires_at(clock::time_point::max());
  owner_.connection_ready();
  // Whichever ends first (a failed write, a failed read) ends the other.
  co_await (writer() || reader());
  ready_ = false;
  counters_.connected = false;
  counters_.connected_since_ms = 0;
  stream_.close();
}

int supervisor::after_serving(int attempt, clock::time_point began) {
  counters_.errors.fetch_add(1);
  const std::uint64_t unanswered = owner_.connection_lost();
  core::log_warn(said("connection lost"), {{"endpoint", endpoint_of(opts_)}, {"unanswered", unanswered}});
  const int next = attempt_after(attempt, clock::now() - began);
  core::log_warn(
      said("reconnecting"),
      {{"attempt", next}, {"delayMs", hurry_ ? 0LL : static_cast<long long>(reconnect_delay(next).count())}});
  return next;
}

asio::awaitable<void> supervisor::writer() {
  std::string batch;
  while (true) {
    batch.clear();
    const auto now = clock::now();
    if (!owner_.next_write(batch, now)) {
      co_await wake_.async_wait(use_tuple);
      auto cs = co_await asio::this_coro::cancellation_state;
      if (cs.cancelled() != asio::cancellation_type::none || !stream_.is_open()) co_return;
      wake_.expires_at(clock::time_point::max());
      continue;
    }
    last_write_ = now;
    const auto ec = co_await stream_.write(batch);
    if (ec) {
      if (!closing_) core::log_warn(said("write failed"), {{"error", ec.message()}});
      co_return;
    }
  }
}

asio::awaitable<void> supervisor::reader() {
  std::array<char, 16384> buffer{};
  while (true) {
    auto [ec, n] = co_await stream_.read_some(asio::buffer(buffer));
    if (ec) {
      if (!closing_ && !finishing_ && ec != asio::error::operation_aborted) {
        core::log_warn(said("connection error"), {{"error", ec.message()}});
      }
      co_return;
    }
    last_read_ = clock::now();
    try {
      parser_.feed(buffer.data(), n);
      if (!owner_.take_replies(parser_, last_read_)) co_return;
    } catch (const protocol_error& e) {
      core::log_error(said("protocol error"), {{"detail", e.what()}});
      counters_.errors.fetch_add(1);
      co_return;
    }
  }
}

asio::awaitable<void> supervisor::watch([[maybe_unused]] std::shared_ptr<void> keep_alive) {
  while (!closing_) {
    tick_.expires_after(watch_period);
    co_await tick_.async_wait(use_tuple);
    if (closing_) break;
    const auto now = clock::now();
    owner_.tick(now);
    if (ready_) check_silence(now);
  }
}

void supervisor::check_silence(clock::time_point now) {
  switch (judge_silence(now, last_read_, last_write_, owner_.awaiting_since(), opts_)) {
    case silence::fine:
      break;
    case silence::ping:
      owner_.ping(now);
      wake_writer();
      break;
    case silence::stalled:
      owner_.stalled(now);
      break;
    case silence::drop:
      owner_.stalled(now);
      core::log_warn(said("silent, dropping connection"),
                     {{"endpoint", endpoint_of(opts_)},
                      {"silentMs", std::chrono::duration_cast<std::chrono::milliseconds>(now - last_read_).count()}});
      stream_.close();
      break;
  }
}

asio::awaitable<void> supervisor::backoff(int attempt) {
  if (!hurry_) {
    pause_.expires_after(reconnect_delay(attempt));
    co_await pause_.async_wait(use_tuple);
  }
  hurry_ = false;
}

void supervisor::on_master_announced(const server_address& master) {
  if (closing_ || master == sentinel_->current()) return;
  // Another master: drop what we have (or are connecting to) and go there at
  // once. The drop is an ordinary lost connection for the owner.
  if (ready_) {
    core::log_info(said("master moved: dropping the connection"),
                   {{"from", endpoint_of(opts_)}, {"to", master.text()}});
  }
  hurry_ = true;
  stream_.close();
  pause_.cancel();
}

}  // namespace bakewind::redis::detail
