// The lock service's upkeep of Redis: copying what the record decided
// (mirror, unmirror), repairing an order's entry after Redis or PostgreSQL
// could not answer, and the whole refill the mirror (redis/mirror.hpp) asks
// for after Redis lost its data or changed server.

#include "locks/lock_service.hpp"

#include "core/log.hpp"
#include "core/tasks.hpp"
#include "locks/lock_keys.hpp"
#include "locks/scripts.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <map>

namespace bakewind::locks {

namespace asio = boost::asio;

namespace {

// Whether two reads of an order's lock show the same holding.
bool same_holding(const std::optional<lock_info>& a, const std::optional<lock_info>& b) {
  if (!a || !b) return !a && !b;
  return a->user_id == b->user_id && a->session_id == b->session_id && a->expires_ms == b->expires_ms;
}

// The orders of lock keys found in Redis: order id -> bakery id.
std::map<std::string, std::string> entries_of(const std::vector<std::string>& keys) {
  std::map<std::string, std::string> out;
  for (const auto& key : keys) {
    const auto open = key.find('{');
    const auto close = key.find("}:", open);
    if (open == std::string::npos || close == std::string::npos) continue;
    out.emplace(key.substr(close + 2), key.substr(open + 1, close - open - 1));
  }
  return out;
}

// The orders a refill copies one by one (order id -> bakery id), from the
// entries Redis has and two reads of the record around the bulk copy: those
// only Redis has (stale, also counted), and those whose holder changed
// between the two reads.
std::pair<std::map<std::string, std::string>, std::size_t> orders_to_check(std::map<std::string, std::string> in_redis,
                                                                           const std::vector<lock_info>& first,
                                                                           const std::vector<lock_info>& second) {
  std::map<std::string, std::pair<std::optional<lock_info>, std::optional<lock_info>>> by_order;
  for (const auto& l : first) by_order[l.order_id].first = l;
  for (const auto& l : second) by_order[l.order_id].second = l;
  for (const auto& entry : by_order) in_redis.erase(entry.first);
  const std::size_t stale = in_redis.size();
  for (const auto& [order_id, states] : by_order) {
    if (same_holding(states.first, states.second)) continue;
    in_redis.emplace(order_id, (states.second ? *states.second : *states.first).bakery_id);
  }
  return {std::move(in_redis), stale};
}

}  // namespace

asio::awaitable<void> lock_service::mirror(const lock_info& l, redis::budget* within) {
  // Redis serves reads; PostgreSQL already holds the truth. A write that
  // fails is repeated from PostgreSQL's state once Redis answers again, so
  // that a Redis that kept its data does not keep serving a stale entry.
  const long long ttl = l.expires_ms - clock_.now_ms();
  if (ttl <= 0) co_return;
  const std::vector<std::string> args{to_redis_value(l), std::to_string(ttl)};
  const redis_answer stored = co_await run_script(scripts::store(), l.order_id, l.bakery_id, args, within);
  if (stored.verdict != redis_verdict::unknown) co_return;
  const auto ex = co_await asio::this_coro::executor;
  resync_later(ex, l.order_id, l.bakery_id);
}

asio::awaitable<void> lock_service::unmirror(const std::string& order_id, const std::string& bakery_id,
                                             const std::string& user_id, const std::string& session_id,
                                             std::string announce, redis::budget* within) {
  std::vector<std::string> args{user_id, session_id};
  co_await write_announcing(scripts::release(), "redis did not run the release script", order_id, bakery_id,
                            std::move(args), std::move(announce), within);
}

asio::awaitable<void> lock_service::confirm(const lock_info& granted, std::string unconfirmed, std::string announce,
                                            redis::budget* within) {
  // Until it lands, readers see no lock and acquirers ask PostgreSQL.
  std::vector<std::string> args{std::move(unconfirmed), to_redis_value(granted)};
  co_await write_announcing(scripts::confirm(), "redis did not run the confirm script", granted.order_id,
                            granted.bakery_id, std::move(args), std::move(announce), within);
}

asio::awaitable<void> lock_service::write_announcing(const redis::script& s, std::string_view not_run,
                                                     const std::string& order_id, const std::string& bakery_id,
                                                     std::vector<std::string> args, std::string announce,
                                                     redis::budget* within) {
  const bool announcing = !announce.empty();
  if (announcing) {
    args.emplace_back(events_channel);
    args.push_back(std::move(announce));
  }
  const redis_answer done = co_await run_script(s, order_id, bakery_id, std::move(args), within);
  if (done.verdict != redis_verdict::unknown) {
    if (announcing) events_.published();
    co_return;
  }
  // Not run (Redis went away): the event is lost, and the entry is repaired
  // from PostgreSQL once Redis answers again.
  if (announcing) events_.dropped(not_run);
  const auto ex = co_await asio::this_coro::executor;
  resync_later(ex, order_id, bakery_id);
}

void lock_service::resync_later(const asio::any_io_executor& ex, std::string order_id, std::string bakery_id) {
  // One repair per order at a time (an outage would otherwise start one per
  // failed request); a change meanwhile makes the running one copy again.
  const auto [pending, fresh] = resyncing_.try_emplace(order_id, false);
  if (!fresh) {
    pending->second = true;
    return;
  }
  core::spawn_logged(ex, resync(std::move(order_id), std::move(bakery_id)), "lock repair failed");
}

asio::awaitable<bool> lock_service::copy_from_record(const std::string& order_id, const std::string& bakery_id) {
  // Read, write, read again: a release or a new holder that raced the write
  // shows in the second read and is copied in turn, so a repair never
  // resurrects a lock that PostgreSQL has let go. With no holder on record,
  // an entry granted within the write window stays: the acquire writes Redis
  // first, and dropping its grant while PostgreSQL confirms it would let a
  // second caller win Redis, and the losers be told the wrong holder. Not
  // settled then (false): the caller looks again later.
  for (int round = 0; round < 5; ++round) {
    const auto before = co_await store_.live(order_id, bakery_id);
    // One reading of the clock: the expiry test and the TTL must agree, or a
    // lock expiring between two readings would be stored with PX 0.
    const long long now = clock_.now_ms();
    redis_answer done;
    if (before && before->expires_ms > now) {
      const std::vector<std::string> args{to_redis_value(*before), std::to_string(before->expires_ms - now)};
      done = co_await run_script(scripts::store(), order_id, bakery_id, args, nullptr);
    } else {
      const long long young_after =
          now + std::chrono::duration_cast<std::chrono::milliseconds>(ttl_).count() - write_window_.count();
      const std::vector<std::string> args{std::to_string(young_after)};
      done = co_await run_script(scripts::drop_settled(), order_id, bakery_id, args, nullptr);
      // 0: a young entry, maybe a grant being confirmed: left for now.
      if (done.verdict == redis_verdict::other_holder) co_return false;
    }
    if (done.verdict == redis_verdict::unknown) co_return false;
    const auto after = co_await store_.live(order_id, bakery_id);
    if (same_holding(before, after)) co_return true;
  }
  co_return false;
}

asio::awaitable<void> lock_service::resync(std::string order_id, std::string bakery_id) {
  asio::steady_timer pause(co_await asio::this_coro::executor);
  const auto give_up = std::chrono::steady_clock::now() + ttl_;
  bool copied = false;
  while (std::chrono::steady_clock::now() < give_up) {
    pause.expires_after(std::chrono::milliseconds(250));
    co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
    auto& again = resyncing_.at(order_id);
    again = false;
    try {
      copied = co_await copy_from_record(order_id, bakery_id);
    } catch (const std::exception&) {
      copied = false;  // PostgreSQL is down too: try again
    }
    if (copied && !resyncing_.at(order_id)) break;
  }
  resyncing_.erase(order_id);
  if (copied) core::log_info("lock entry repaired in redis", {{"orderId", order_id}});
}

asio::awaitable<void> lock_service::refill() {
  const auto live = co_await store_.live_in("");
  for (const auto& l : live) co_await mirror(l, nullptr);
  // Entries of locks PostgreSQL does not hold (a server that came back with
  // older data keeps a released lock) go, checked one by one as below.
  const auto keys = co_await redis_.scan_all("order_lock:*", 1000);
  // Locks released or taken while we copied are copied again, one by one.
  const auto again = co_await store_.live_in("");
  auto [unsettled, stale] = orders_to_check(entries_of(keys), live, again);
  co_await settle(std::move(unsettled));
  core::log_info("lock refill done",
                 {{"locks", static_cast<std::uint64_t>(again.size())}, {"stale", static_cast<std::uint64_t>(stale)}});
}

asio::awaitable<void> lock_service::settle(std::map<std::string, std::string> unsettled) {
  // Copied in rounds. Entries left as possible grants in flight are decided
  // within the write window (counted from the end of the first round): look
  // again every 250 ms until then, so that the marker vouches only for what
  // the record holds. What is still open after it (granted again meanwhile)
  // is left to a background repair.
  asio::steady_timer pause(co_await asio::this_coro::executor);
  std::optional<std::chrono::steady_clock::time_point> settle_by;
  while (true) {
    for (auto it = unsettled.begin(); it != unsettled.end();) {
      const bool settled = co_await copy_from_record(it->first, it->second);
      it = settled ? unsettled.erase(it) : std::next(it);
    }
    if (!settle_by) settle_by = std::chrono::steady_clock::now() + write_window_;
    if (unsettled.empty() || std::chrono::steady_clock::now() >= *settle_by) break;
    pause.expires_after(std::chrono::milliseconds(250));
    co_await pause.async_wait(asio::use_awaitable);
  }
  const auto ex = co_await asio::this_coro::executor;
  for (const auto& [order_id, bakery_id] : unsettled) resync_later(ex, order_id, bakery_id);
}

}  // namespace bakewind::locks
