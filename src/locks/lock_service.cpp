#include "locks/lock_service.hpp"

#include "core/clock.hpp"
#include "core/log.hpp"
#include "core/tasks.hpp"
#include "locks/scripts.hpp"
#include "redis/errors.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include <algorithm>
#include <boost/asio/use_awaitable.hpp>
#include <exception>
#include <map>

namespace bakewind::locks {

namespace asio = boost::asio;
using detail::redis_view;
using std::chrono::system_clock;

namespace {

// The marker that vouches for the lock keys: one key on a single node, one
// per slot in a cluster, read in the same MGET or script as the keys it
// vouches for. ":v2" since the keys are tagged by bakery: a Redis filled by
// an older build has no v2 marker, so it is refilled in the new layout.
constexpr std::string_view ready_marker = "locks:ready:v2";

// Every lock key of a bakery carries its id as the hash tag, so that a lock,
// its bakery's set and their marker share one slot: every script and MGET
// runs on one node of a cluster.
std::string key_of(std::string_view bakery_id, std::string_view order_id) {
  return std::string("order_lock:{").append(bakery_id).append("}:").append(order_id);
}

std::string bakery_key(std::string_view bakery_id) {
  return std::string("locks:bakery:{").append(bakery_id).append("}");
}

long long now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string iso(long long ms) {
  return core::iso8601_ms(ms);
}

lock_info make_lock(const std::string& order_id, const holder& who, long long now, long long expires) {
  return lock_info{order_id, who.bakery_id, who.user_id, who.user_name, who.session_id,
                   iso(now), iso(expires),  iso(now),    expires};
}

boost::json::object lock_event(std::string_view type, const lock_info& l) {
  auto e = to_json(l);
  e["type"] = type;
  e["at"] = iso(now_ms());
  return e;
}

boost::json::object unlock_event(const lock_info& l, std::string_view reason) {
  return {{"type", "order.unlocked"},
          {"at", iso(now_ms())},
          {"orderId", l.order_id},
          {"userId", l.user_id},
          {"reason", reason}};
}

redis_view view_of(const redis::reply& r) {
  // Any reply is an answer (errors arrive as exceptions); scripts answer
  // either {verdict, value} or a plain integer.
  redis_view v;
  v.known = true;
  if (r.type == redis::reply::kind::integer) {
    v.verdict = r.integer;
  } else if (r.type == redis::reply::kind::array && !r.elements.empty()) {
    v.verdict = r.elements[0].integer;
    if (r.elements.size() > 1 && !r.elements[1].is_nil()) v.current = from_redis_value(r.elements[1].text);
  }
  return v;
}

// Whether two reads of an order's lock show the same holding.
bool same_holding(const std::optional<lock_info>& a, const std::optional<lock_info>& b) {
  if (!a || !b) return !a && !b;
  return a->user_id == b->user_id && a->session_id == b->session_id && a->expires_ms == b->expires_ms;
}

}  // namespace

lock_service::lock_service(redis::service& redis, pg::pool& pg, event_bus& events, std::chrono::seconds ttl,
                           redis::refill_mark& mark)
    : redis_(redis),
      store_(pg),
      events_(events),
      ttl_(ttl),
      write_window_(pg.timeout() + std::chrono::seconds(1)),
      mark_(mark) {}

asio::awaitable<redis_view> lock_service::run_script(const redis::script& s, std::string order_id,
                                                     std::string bakery_id, std::vector<std::string> args) {
  const std::vector<std::string> keys{key_of(bakery_id, order_id), bakery_key(bakery_id)};
  try {
    redis::reply r = co_await redis_.eval(s, keys, args);
    co_return view_of(r);
  } catch (const std::exception& e) {
    core::log_debug("lock script not run in redis", {{"error", e.what()}});
  }
  co_return redis_view{};
}

asio::awaitable<void> lock_service::mirror(const lock_info& l) {
  // Redis serves reads; PostgreSQL already holds the truth. A write that
  // fails is repeated from PostgreSQL's state once Redis answers again, so
  // that a Redis that kept its data does not keep serving a stale entry.
  const long long ttl = l.expires_ms - now_ms();
  if (ttl <= 0) co_return;
  const std::vector<std::string> args{to_redis_value(l), std::to_string(ttl)};
  const redis_view stored = co_await run_script(scripts::store(), l.order_id, l.bakery_id, args);
  if (stored.known) co_return;
  const auto ex = co_await asio::this_coro::executor;
  resync_later(ex, l.order_id, l.bakery_id);
}

asio::awaitable<void> lock_service::unmirror(const std::string& order_id, const std::string& bakery_id,
                                             const std::string& user_id, const std::string& session_id,
                                             std::string announce) {
  const bool announcing = !announce.empty();
  std::vector<std::string> args{user_id, session_id};
  if (announcing) {
    args.emplace_back(events_channel);
    args.push_back(std::move(announce));
  }
  const redis_view done = co_await run_script(scripts::release(), order_id, bakery_id, args);
  if (done.known) {
    if (announcing) event_bus::published();
    co_return;
  }
  if (announcing) event_bus::dropped("redis did not run the release script");
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
  asio::co_spawn(ex, resync(std::move(order_id), std::move(bakery_id)), asio::detached);
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
    redis_view done;
    if (before && before->expires_ms > now_ms()) {
      const std::vector<std::string> args{to_redis_value(*before), std::to_string(before->expires_ms - now_ms())};
      done = co_await run_script(scripts::store(), order_id, bakery_id, args);
    } else {
      const long long young_after = now_ms() + std::chrono::duration_cast<std::chrono::milliseconds>(ttl_).count() -
                                    write_window_.count();
      const std::vector<std::string> args{std::to_string(young_after)};
      done = co_await run_script(scripts::drop_settled(), order_id, bakery_id, args);
      if (done.known && done.verdict == 0) co_return false;
    }
    if (!done.known) co_return false;
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

template <class T>
asio::awaitable<T> lock_service::decided(asio::awaitable<T> write, const std::string& order_id,
                                         const std::string& bakery_id, const holder* redis_grant) {
  auto [value, unanswered] = co_await core::attempt(std::move(write));
  if (!unanswered) co_return std::move(value);
  // Done or not, PostgreSQL did not say (down, or past the deadline after
  // committing): Redis takes the record's answer once it can be read.
  if (redis_grant != nullptr) co_await unmirror(order_id, bakery_id, redis_grant->user_id, redis_grant->session_id);
  const auto ex = co_await asio::this_coro::executor;
  resync_later(ex, order_id, bakery_id);
  std::rethrow_exception(unanswered);
}

asio::awaitable<acquire_result> lock_service::acquire(std::string order_id, holder who) {
  const long long now = now_ms();
  const long long expires = now + std::chrono::duration_cast<std::chrono::milliseconds>(ttl_).count();
  const lock_info wanted = make_lock(order_id, who, now, expires);
  const std::vector<std::string> args{to_redis_value(wanted),        who.user_id,       who.session_id,
                                      std::to_string(expires - now), wanted.expires_at, wanted.last_activity_at,
                                      std::to_string(expires)};
  const redis_view fast = co_await run_script(scripts::acquire(), order_id, who.bakery_id, args);
  // A holder Redis names is believed even while Redis is not vouched for: it
  // may be another acquire's grant that PostgreSQL is confirming now, and
  // going past it would let that one lose after other callers were told it
  // holds the order. A stale entry (a server back with older data) costs
  // false 409s only until the refill drops it.
  if (fast.known && fast.verdict == 0 && fast.current && fast.current->bakery_id == who.bakery_id) {
    stats_.conflict.inc();
    co_return acquire_result{acquire_outcome::conflict, fast.current};  // contended: answered from memory
  }
  const bool redis_granted = fast.known && (fast.verdict == 1 || fast.verdict == 2);
  // PostgreSQL decides.
  // Without a verdict, a lock that Redis alone granted must not stand:
  // others would be refused on its word for minutes.
  auto asked = store_.try_acquire(order_id, who.bakery_id, who.user_id, who.session_id, now, expires);
  const holder* fresh_grant = fast.known && fast.verdict == 1 ? &who : nullptr;
  auto granted = co_await decided(std::move(asked), order_id, who.bakery_id, fresh_grant);
  if (granted) {
    granted->user_name = who.user_name;  // the row is the caller's now
    const bool reacquired = granted->acquired_at != wanted.acquired_at;
    if (!redis_granted || reacquired) co_await mirror(*granted);
    co_await events_.publish(who.bakery_id, lock_event(reacquired ? "order.lock_renewed" : "order.locked", *granted));
    if (!fast.known) {
      stats_.fallback_postgres.inc();
    } else {
      (reacquired ? stats_.reacquired : stats_.acquired).inc();
    }
    co_return acquire_result{reacquired ? acquire_outcome::reacquired : acquire_outcome::acquired, granted};
  }
  // Refused: undo what Redis granted, and show the real holder.
  if (redis_granted) co_await unmirror(order_id, who.bakery_id, who.user_id, who.session_id);
  auto current = co_await store_.live(order_id, who.bakery_id);
  if (current) {
    co_await mirror(*current);
    stats_.conflict.inc();
    co_return acquire_result{acquire_outcome::conflict, current};
  }
  const bool exists = co_await store_.order_exists(order_id, who.bakery_id);
  if (!exists) {
    stats_.not_found.inc();
    co_return acquire_result{acquire_outcome::not_found, std::nullopt};
  }
  // The holder let go between our two statements: the lock is free now.
  stats_.conflict.inc();
  co_return acquire_result{acquire_outcome::conflict, std::nullopt};
}

asio::awaitable<change_result> lock_service::renew(std::string order_id, holder who) {
  const long long now = now_ms();
  const long long expires = now + std::chrono::duration_cast<std::chrono::milliseconds>(ttl_).count();
  const std::vector<std::string> args{"",           who.user_id, who.session_id,         std::to_string(expires - now),
                                      iso(expires), iso(now),    std::to_string(expires)};
  const redis_view fast = co_await run_script(scripts::renew(), order_id, who.bakery_id, args);
  auto asked = store_.renew(order_id, who.bakery_id, who.user_id, who.session_id, now, expires);
  auto renewed = co_await decided(std::move(asked), order_id, who.bakery_id, nullptr);
  if (renewed) {
    renewed->user_name = who.user_name;  // the row is the caller's
    if (!(fast.known && fast.verdict == 2)) co_await mirror(*renewed);
    co_await events_.publish(who.bakery_id, lock_event("order.lock_renewed", *renewed));
    stats_.renewed.inc();
    co_return change_result{change_outcome::done, renewed};
  }
  if (fast.known && fast.verdict == 2) co_await unmirror(order_id, who.bakery_id, who.user_id, who.session_id);
  auto current = co_await store_.live(order_id, who.bakery_id);
  if (current) {
    co_await mirror(*current);
    stats_.renew_lost.inc();
    co_return change_result{change_outcome::conflict, current};
  }
  const bool exists = co_await store_.order_exists(order_id, who.bakery_id);
  if (exists) stats_.renew_lost.inc();
  co_return change_result{exists ? change_outcome::not_held : change_outcome::not_found, std::nullopt};
}

asio::awaitable<change_result> lock_service::release(std::string order_id, holder who, bool force) {
  const std::string user = force ? std::string() : who.user_id;
  const std::string session = force ? std::string() : who.session_id;
  auto asked = store_.release(order_id, who.bakery_id, user, session);
  auto released = co_await decided(std::move(asked), order_id, who.bakery_id, nullptr);
  // Only that holder's entry goes from Redis, never a newer holder's.
  const std::string redis_user = released ? released->user_id : who.user_id;
  const std::string redis_session = released ? released->session_id : who.session_id;
  std::string announce;
  if (released) announce = event_bus::message(who.bakery_id, unlock_event(*released, force ? "forced" : "released"));
  co_await unmirror(order_id, who.bakery_id, redis_user, redis_session, std::move(announce));
  if (released) {
    (force ? stats_.forced : stats_.released).inc();
    co_return change_result{change_outcome::done, released};
  }
  const bool exists = co_await store_.order_exists(order_id, who.bakery_id);
  co_return change_result{exists ? change_outcome::not_held : change_outcome::not_found, std::nullopt};
}

asio::awaitable<std::optional<lock_info>> lock_service::status(std::string bakery_id, std::string order_id) {
  std::vector<std::string> ids{std::move(order_id)};
  auto many = co_await status_many(std::move(bakery_id), std::move(ids));
  co_return std::move(many.front());
}

asio::awaitable<std::vector<std::optional<lock_info>>> lock_service::status_many(std::string bakery_id,
                                                                                 std::vector<std::string> order_ids) {
  std::vector<std::optional<lock_info>> out(order_ids.size());
  if (order_ids.empty()) co_return out;
  std::vector<std::string> mget{"MGET"};
  mget.reserve(order_ids.size() + 2);
  for (const auto& id : order_ids) mget.push_back(key_of(bakery_id, id));
  mget.push_back(redis_.marker_for(ready_marker, bakery_key(bakery_id)));
  bool answered = false;
  try {
    redis::reply r = co_await redis_.command(mget, redis::retry::idempotent);
    if (r.type == redis::reply::kind::array && r.elements.size() == order_ids.size() + 1 &&
        !r.elements.back().is_nil() && mark_.current()) {
      answered = true;
      for (std::size_t i = 0; i < order_ids.size(); ++i) {
        if (r.elements[i].is_nil()) continue;
        auto l = from_redis_value(r.elements[i].text);
        if (l && l->bakery_id == bakery_id) out[i] = std::move(l);
      }
    } else if (r.type == redis::reply::kind::array) {
      const auto ex = co_await asio::this_coro::executor;
      start_refill(ex);  // Redis lost its data or changed server: the record answers
    }
  } catch (const std::exception& e) {
    core::log_debug("lock status from postgres", {{"error", e.what()}});
  }
  if (answered) co_return out;
  auto live = co_await store_.live_in(bakery_id);
  for (std::size_t i = 0; i < order_ids.size(); ++i) {
    for (auto& l : live) {
      if (l.order_id == order_ids[i]) out[i] = l;
    }
  }
  co_return out;
}

asio::awaitable<std::vector<lock_info>> lock_service::list(std::string bakery_id) {
  std::string set = bakery_key(bakery_id);
  std::string ready = redis_.marker_for(ready_marker, set);
  const std::vector<std::string> keys{std::move(set), std::move(ready)};
  const std::vector<std::string> none;
  bool answered = false;
  std::vector<lock_info> out;
  try {
    redis::reply r = co_await redis_.eval(scripts::list(), keys, none, redis::retry::idempotent);
    if (r.type == redis::reply::kind::array && mark_.current()) {
      answered = true;
      for (const auto& v : r.elements) {
        auto l = from_redis_value(v.text);
        if (l && l->bakery_id == bakery_id) out.push_back(std::move(*l));
      }
    } else {
      const auto ex = co_await asio::this_coro::executor;
      start_refill(ex);  // the marker is gone (Redis lost its data), or the server changed
    }
  } catch (const std::exception& e) {
    core::log_debug("lock list from postgres", {{"error", e.what()}});
  }
  if (!answered) {
    auto live = co_await store_.live_in(std::move(bakery_id));
    co_return live;
  }
  std::sort(out.begin(), out.end(), [](const lock_info& a, const lock_info& b) {
    return a.acquired_at != b.acquired_at ? a.acquired_at < b.acquired_at : a.order_id < b.order_id;
  });
  co_return out;
}

asio::awaitable<void> lock_service::forget(std::string bakery_id, std::string order_id, std::optional<lock_info> had) {
  std::string announce;
  if (had) announce = event_bus::message(bakery_id, unlock_event(*had, "deleted"));
  co_await unmirror(order_id, bakery_id, "", "", std::move(announce));  // "": whoever holds it
}

asio::awaitable<std::size_t> lock_service::sweep_expired() {
  auto expired = co_await store_.delete_expired();
  for (const auto& l : expired) {
    co_await unmirror(l.order_id, l.bakery_id, l.user_id, l.session_id,
                      event_bus::message(l.bakery_id, unlock_event(l, "expired")));
    stats_.expired.inc();
  }
  co_return expired.size();
}

asio::awaitable<void> lock_service::ensure_ready() {
  const bool needed = co_await redis_.needs_refill(std::string(ready_marker), mark_);
  if (!needed) co_return;
  const auto ex = co_await asio::this_coro::executor;
  start_refill(ex);
}

void lock_service::start_refill(const asio::any_io_executor& ex) {
  if (!mark_.begin()) return;
  auto runs = redis::refill_until_current(mark_, [this] { return refill(); });
  core::spawn_logged(ex, std::move(runs), "lock refill failed", [&mark = mark_] { mark.ended(); });
}

asio::awaitable<void> lock_service::refill() {
  const auto live = co_await store_.live_in("");
  for (const auto& l : live) co_await mirror(l);
  // Entries of locks PostgreSQL does not hold (a server that came back with
  // older data keeps a released lock) go, checked one by one as below.
  std::map<std::string, std::string> in_redis;  // order id -> bakery id
  const auto keys = co_await redis_.scan_all("order_lock:*", 1000);
  for (const auto& key : keys) {
    const auto open = key.find('{');
    const auto close = key.find("}:", open);
    if (open == std::string::npos || close == std::string::npos) continue;
    in_redis.emplace(key.substr(close + 2), key.substr(open + 1, close - open - 1));
  }
  // Locks released or taken while we copied are copied again, one by one.
  const auto again = co_await store_.live_in("");
  std::map<std::string, std::pair<std::optional<lock_info>, std::optional<lock_info>>> by_order;
  for (const auto& l : live) by_order[l.order_id].first = l;
  for (const auto& l : again) by_order[l.order_id].second = l;
  // in_redis becomes the orders to copy one by one: those only Redis has
  // (stale), and those whose holder changed between the two reads.
  for (const auto& [order_id, states] : by_order) in_redis.erase(order_id);
  const std::size_t stale = in_redis.size();
  for (const auto& [order_id, states] : by_order) {
    if (same_holding(states.first, states.second)) continue;
    in_redis.emplace(order_id, (states.second ? *states.second : *states.first).bakery_id);
  }
  // Copied in rounds. Entries left as possible grants in flight are decided
  // within the write window (counted from the end of the first round): look
  // again every 250 ms until then, so that the marker vouches only for what
  // the record holds. What is still open after it (granted again meanwhile)
  // is left to a background repair.
  std::map<std::string, std::string> unsettled = std::move(in_redis);  // order id -> bakery id
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
  // Last, once everything it vouches for is in: every slot's marker.
  co_await redis_.set_marker(std::string(ready_marker), core::iso8601_ms(system_clock::now()));
  core::log_info("lock refill done",
                 {{"locks", static_cast<std::uint64_t>(again.size())}, {"stale", static_cast<std::uint64_t>(stale)}});
}

}  // namespace bakewind::locks
