#include "app/business_counts.hpp"

#include "core/log.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <charconv>

namespace bakewind::app {

namespace asio = boost::asio;

namespace {

// Keys per SCAN step: small enough that each step is a few hundred
// microseconds of Redis time, large enough for few round trips.
constexpr std::size_t scan_step = 1000;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::int64_t to_int(std::string_view text) {
  std::int64_t v = -1;
  std::from_chars(text.data(), text.data() + text.size(), v);
  return v;
}

// "used_memory:12345\r\n" out of INFO memory's text.
std::int64_t used_memory_of(std::string_view info) {
  constexpr std::string_view field = "\nused_memory:";
  auto at = info.find(field);
  if (at == std::string_view::npos) return -1;
  at += field.size();
  const auto end = info.find_first_of("\r\n", at);
  return to_int(info.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at));
}

asio::awaitable<std::int64_t> count_pending_transfers(redis::service& redis) {
  // Every master of a cluster holds some of them: scan_all walks each.
  const std::vector<std::string> keys = co_await redis.scan_all("auth:transfer:*", scan_step);
  co_return static_cast<std::int64_t>(keys.size());
}

// INFO memory of every master (the one node, or each master of a cluster), summed.
asio::awaitable<std::int64_t> used_memory(redis::service& redis) {
  std::int64_t total = 0;
  const std::vector<std::string> nodes = co_await redis.link().masters();
  for (const auto& node : nodes) {
    std::string info;
    redis::append_command(info, {"INFO", "memory"});
    redis::reply memory = co_await redis.link().send_to(node, std::move(info), redis::retry::idempotent);
    const auto used = used_memory_of(memory.text);
    if (used < 0) co_return -1;
    total += used;
  }
  co_return total;
}

}  // namespace

business_counts::figures business_counts::read() const noexcept {
  return figures{active_locks_.load(), revoked_tokens_.load(), pending_transfers_.load(), used_memory_bytes_.load(),
                 counted_at_ms_.load()};
}

double business_counts::age_seconds() const noexcept {
  const auto at = counted_at_ms_.load();
  return at == 0 ? -1.0 : static_cast<double>(now_ms() - at) / 1000.0;
}

asio::awaitable<void> business_counts::refresh(sources from) {
  if (running_.exchange(true)) co_return;
  const auto started = now_ms();
  bool complete = true;
  try {
    // Both figures are stored once both are counted.
    const std::int64_t active = co_await from.locks.count_active();
    const std::int64_t revoked = co_await from.revocations.count_revoked();
    active_locks_ = active;
    revoked_tokens_ = revoked;
  } catch (const std::exception& e) {
    complete = false;
    core::log_debug("business counts: postgres unavailable", {{"error", e.what()}});
  }
  try {
    const std::int64_t pending = co_await count_pending_transfers(from.redis);
    pending_transfers_ = pending;
    const std::int64_t used = co_await used_memory(from.redis);
    used_memory_bytes_ = used;
  } catch (const std::exception& e) {
    complete = false;
    core::log_debug("business counts: redis unavailable", {{"error", e.what()}});
  }
  // The figures are as old as the moment counting began.
  if (complete) counted_at_ms_ = started;
  running_ = false;
}

void business_counts::refresh_if_older(std::chrono::milliseconds fresh, const asio::any_io_executor& ex, sources from) {
  const auto at = counted_at_ms_.load();
  if (running_.load() || (at != 0 && now_ms() - at < fresh.count())) return;
  asio::co_spawn(ex, refresh(from), asio::detached);
}

}  // namespace bakewind::app
