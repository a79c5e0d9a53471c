#include "locks/lock_service.hpp"

#include "core/log.hpp"
#include "core/tasks.hpp"
#include "locks/lock_events.hpp"
#include "locks/lock_keys.hpp"
#include "locks/scripts.hpp"
#include "redis/errors.hpp"

#include <boost/asio/this_coro.hpp>

#include <algorithm>
#include <exception>

namespace bakewind::locks {

namespace asio = boost::asio;

namespace {

lock_info make_lock(const std::string& order_id, const holder& who, long long now, long long expires) {
  const std::string at = core::iso8601_ms(now);
  return lock_info{order_id, who.bakery_id, who.user_id, who.user_name, who.session_id,
                   at,       core::iso8601_ms(expires), at, expires};
}

// The ARGV of the acquire and renew scripts (scripts.cpp): the entry to
// write when there is none (acquire only), the holder, the TTL, and the
// times to set on the holder's own entry.
std::vector<std::string> holder_args(std::string entry, const lock_info& wanted, long long ttl_ms) {
  return {std::move(entry), wanted.user_id,          wanted.session_id,
          std::to_string(ttl_ms), wanted.expires_at, wanted.last_activity_at,
          std::to_string(wanted.expires_ms)};
}

redis_answer answer_of(const redis::reply& r) {
  // Scripts answer either {verdict, entry} or a plain integer.
  redis_answer a;
  if (r.type == redis::reply::kind::integer) {
    a.verdict = verdict_of(r.integer);
  } else if (r.type == redis::reply::kind::array && !r.elements.empty()) {
    a.verdict = verdict_of(r.elements[0].integer);
    if (r.elements.size() > 1 && !r.elements[1].is_nil()) a.entry = from_redis_value(r.elements[1].text);
  }
  return a;
}

}  // namespace

lock_service::lock_service(redis::service& redis, pg::pool& pg, event_bus& events, std::chrono::seconds ttl,
                           redis::mirror& mirror, const core::wall_clock& clock)
    : redis_(redis),
      store_(pg),
      events_(events),
      ttl_(ttl),
      write_window_(pg.timeout() + std::chrono::seconds(1)),
      mirror_(mirror),
      clock_(clock) {}

redis::mirror_spec lock_service::mirror_spec() { return {"lock", "lock reads", std::string(locks_ready_marker), {}}; }

asio::awaitable<redis_answer> lock_service::run_script(const redis::script& s, std::string order_id,
                                                       std::string bakery_id, std::vector<std::string> args,
                                                       redis::budget* within) {
  const std::vector<std::string> keys{lock_key(bakery_id, order_id), bakery_key(bakery_id)};
  try {
    redis::reply r = co_await redis_.eval(s, keys, args, redis::retry::never, within);
    co_return answer_of(r);
  } catch (const core::unavailable_error& e) {
    core::log_debug("lock script not run in redis", {{"error", e.what()}});
  } catch (const redis::server_error& e) {
    // Redis answered with an error: a script bug or OOM must not pass for
    // an outage (PostgreSQL still decides, so nothing is granted twice).
    if (script_errors_.allow()) core::log_error("lock script failed in redis", {{"error", e.what()}});
  }
  co_return redis_answer{};
}

template <class T>
asio::awaitable<T> lock_service::decided(asio::awaitable<T> write, const std::string& order_id,
                                         const std::string& bakery_id, const holder* redis_grant,
                                         redis::budget& budget) {
  auto [value, unanswered] = co_await core::attempt(std::move(write));
  if (!unanswered) co_return std::move(value);
  // Done or not, PostgreSQL did not say (down, or past the deadline after
  // committing): Redis takes the record's answer once it can be read.
  if (redis_grant != nullptr) {
    co_await unmirror(order_id, bakery_id, redis_grant->user_id, redis_grant->session_id, {}, &budget);
  }
  const auto ex = co_await asio::this_coro::executor;
  resync_later(ex, order_id, bakery_id);
  std::rethrow_exception(unanswered);
}

asio::awaitable<void> lock_service::apply(redis_fix fix, const std::string& order_id, const holder& who,
                                          const std::optional<lock_info>& row, redis::budget* within) {
  if (fix == redis_fix::copy_row && row) co_await mirror(*row, within);
  if (fix == redis_fix::drop_ours) co_await unmirror(order_id, who.bakery_id, who.user_id, who.session_id, {}, within);
}

asio::awaitable<std::pair<refusal_verdict, std::optional<lock_info>>> lock_service::look_up_holder(
    bool acquiring, const std::string& order_id, const std::string& bakery_id) {
  // Not copied to Redis: read before it lands, the row may have been
  // released meanwhile, and the copy would name a holder who let go to every
  // acquire after it (409s from memory) for the rest of its TTL. The
  // holder's own next write, or the refill, puts it back.
  auto current = co_await store_.live(order_id, bakery_id);
  bool exists = true;
  if (!current) exists = co_await store_.order_exists(order_id, bakery_id);
  co_return std::make_pair(after_refusal(acquiring, current, exists), std::move(current));
}

asio::awaitable<acquire_result> lock_service::acquire(std::string order_id, holder who, redis::budget& budget) {
  const long long now = clock_.now_ms();
  const long long expires = now + std::chrono::duration_cast<std::chrono::milliseconds>(ttl_).count();
  const lock_info wanted = make_lock(order_id, who, now, expires);
  lock_info unconfirmed = wanted;
  unconfirmed.pending = true;
  std::string unconfirmed_value = to_redis_value(unconfirmed);
  const redis_answer fast = co_await run_script(scripts::acquire(), order_id, who.bakery_id,
                                                holder_args(unconfirmed_value, wanted, expires - now), &budget);
  if (settled_by_redis(fast, who.bakery_id)) {
    stats_.conflict.inc();
    co_return acquire_result{acquire_outcome::conflict, fast.entry};  // contended: answered from memory
  }
  // PostgreSQL decides. Without its verdict, a lock that Redis alone granted
  // must not stand: others would be refused on its word for minutes.
  auto asked = store_.try_acquire(order_id, who.bakery_id, who.user_id, who.session_id, now, expires);
  const holder* fresh_grant = fast.verdict == redis_verdict::granted ? &who : nullptr;
  auto granted = co_await decided(std::move(asked), order_id, who.bakery_id, fresh_grant, budget);
  if (granted) granted->user_name = who.user_name;  // the row is the caller's now
  const acquire_plan plan = plan_acquire(fast, granted, wanted, clock_.now_ms());
  if (plan.verdict != acquire_verdict::refused) {
    const bool again = plan.verdict == acquire_verdict::regranted;
    auto event = lock_event(again ? "order.lock_renewed" : "order.locked", *granted, clock_.now_ms());
    if (plan.fix == redis_fix::confirm) {
      co_await confirm(*granted, std::move(unconfirmed_value), event_bus::message(who.bakery_id, event), &budget);
    } else {
      co_await apply(plan.fix, order_id, who, granted, &budget);
      co_await events_.publish(who.bakery_id, std::move(event), &budget);
    }
    (plan.by_postgres_alone ? stats_.fallback_postgres : again ? stats_.reacquired : stats_.acquired).inc();
    co_return acquire_result{again ? acquire_outcome::reacquired : acquire_outcome::acquired, granted};
  }
  co_await apply(plan.fix, order_id, who, granted, &budget);
  auto [refusal, current] = co_await look_up_holder(true, order_id, who.bakery_id);
  if (refusal == refusal_verdict::not_found) {
    stats_.not_found.inc();
    co_return acquire_result{acquire_outcome::not_found, std::nullopt};
  }
  // Held (show the holder), or let go between our two statements: free now.
  stats_.conflict.inc();
  co_return acquire_result{acquire_outcome::conflict, std::move(current)};
}

asio::awaitable<change_result> lock_service::renew(std::string order_id, holder who, redis::budget& budget) {
  const long long now = clock_.now_ms();
  const long long expires = now + std::chrono::duration_cast<std::chrono::milliseconds>(ttl_).count();
  const lock_info wanted = make_lock(order_id, who, now, expires);
  const redis_answer fast =
      co_await run_script(scripts::renew(), order_id, who.bakery_id, holder_args("", wanted, expires - now), &budget);
  auto asked = store_.renew(order_id, who.bakery_id, who.user_id, who.session_id, now, expires);
  auto renewed = co_await decided(std::move(asked), order_id, who.bakery_id, nullptr, budget);
  if (renewed) renewed->user_name = who.user_name;  // the row is the caller's
  const renew_plan plan = plan_renew(fast, renewed, clock_.now_ms());
  co_await apply(plan.fix, order_id, who, renewed, &budget);
  if (plan.renewed) {
    co_await events_.publish(who.bakery_id, lock_event("order.lock_renewed", *renewed, clock_.now_ms()), &budget);
    stats_.renewed.inc();
    co_return change_result{change_outcome::done, renewed};
  }
  auto [refusal, current] = co_await look_up_holder(false, order_id, who.bakery_id);
  if (refusal != refusal_verdict::not_found) stats_.renew_lost.inc();
  if (refusal == refusal_verdict::held) co_return change_result{change_outcome::conflict, std::move(current)};
  co_return change_result{refusal == refusal_verdict::not_held ? change_outcome::not_held : change_outcome::not_found,
                          std::nullopt};
}

asio::awaitable<change_result> lock_service::release(std::string order_id, holder who, bool force,
                                                     redis::budget& budget) {
  const std::string user = force ? std::string() : who.user_id;
  const std::string session = force ? std::string() : who.session_id;
  auto asked = store_.release(order_id, who.bakery_id, user, session);
  auto released = co_await decided(std::move(asked), order_id, who.bakery_id, nullptr, budget);
  // Only that holder's entry goes from Redis, never a newer holder's.
  const std::string redis_user = released ? released->user_id : who.user_id;
  const std::string redis_session = released ? released->session_id : who.session_id;
  std::string announce;
  if (released) {
    announce = event_bus::message(who.bakery_id, unlock_event(*released, force ? "forced" : "released", clock_.now_ms()));
  }
  co_await unmirror(order_id, who.bakery_id, redis_user, redis_session, std::move(announce), &budget);
  if (released) {
    (force ? stats_.forced : stats_.released).inc();
    co_return change_result{change_outcome::done, released};
  }
  const bool exists = co_await store_.order_exists(order_id, who.bakery_id);
  co_return change_result{exists ? change_outcome::not_held : change_outcome::not_found, std::nullopt};
}

asio::awaitable<std::optional<lock_info>> lock_service::status(std::string bakery_id, std::string order_id,
                                                               redis::budget& budget) {
  std::vector<std::string> ids{std::move(order_id)};
  auto many = co_await status_many(std::move(bakery_id), std::move(ids), budget);
  co_return std::move(many.front());
}

asio::awaitable<std::vector<std::optional<lock_info>>> lock_service::status_many(std::string bakery_id,
                                                                                 std::vector<std::string> order_ids,
                                                                                 redis::budget& budget) {
  std::vector<std::optional<lock_info>> out(order_ids.size());
  if (order_ids.empty()) co_return out;
  std::vector<std::string> mget{"MGET"};
  mget.reserve(order_ids.size() + 2);
  for (const auto& id : order_ids) mget.push_back(lock_key(bakery_id, id));
  mget.push_back(redis_.marker_for(mirror_.marker(), bakery_key(bakery_id)));
  bool answered = false;
  try {
    redis::reply r = co_await redis_.command(mget, redis::retry::idempotent, &budget);
    if (r.type == redis::reply::kind::array && r.elements.size() == order_ids.size() + 1 &&
        mirror_.trusted(!r.elements.back().is_nil())) {
      answered = true;
      for (std::size_t i = 0; i < order_ids.size(); ++i) {
        if (r.elements[i].is_nil()) continue;
        auto l = from_redis_value(r.elements[i].text);
        if (l && l->bakery_id == bakery_id && !l->pending) out[i] = std::move(l);
      }
    }
  } catch (const std::exception& e) {
    core::log_debug("lock status from postgres", {{"error", e.what()}});
  }
  // Not answered: Redis is down, or lost its data or changed server (the
  // mirror refills it); the record answers meanwhile.
  mirror_.answered_by(answered, "redis unavailable or not refilled");
  if (answered) co_return out;
  auto live = co_await store_.live_in(bakery_id);
  for (std::size_t i = 0; i < order_ids.size(); ++i) {
    for (auto& l : live) {
      if (l.order_id == order_ids[i]) out[i] = l;
    }
  }
  co_return out;
}

asio::awaitable<std::vector<lock_info>> lock_service::list(std::string bakery_id, redis::budget& budget) {
  std::string set = bakery_key(bakery_id);
  std::string ready = redis_.marker_for(mirror_.marker(), set);
  const std::vector<std::string> keys{std::move(set), std::move(ready)};
  const std::vector<std::string> none;
  bool answered = false;
  std::vector<lock_info> out;
  try {
    redis::reply r = co_await redis_.eval(scripts::list(), keys, none, redis::retry::idempotent, &budget);
    // No list (nil) when the marker is gone: Redis lost its data.
    if (mirror_.trusted(r.type == redis::reply::kind::array)) {
      answered = true;
      for (const auto& v : r.elements) {
        auto l = from_redis_value(v.text);
        if (l && l->bakery_id == bakery_id && !l->pending) out.push_back(std::move(*l));
      }
    }
  } catch (const std::exception& e) {
    core::log_debug("lock list from postgres", {{"error", e.what()}});
  }
  mirror_.answered_by(answered, "redis unavailable or not refilled");
  if (!answered) {
    auto live = co_await store_.live_in(std::move(bakery_id));
    co_return live;
  }
  std::sort(out.begin(), out.end(), [](const lock_info& a, const lock_info& b) {
    return a.acquired_at != b.acquired_at ? a.acquired_at < b.acquired_at : a.order_id < b.order_id;
  });
  co_return out;
}

asio::awaitable<void> lock_service::forget(std::string bakery_id, std::string order_id, std::optional<lock_info> had,
                                           redis::budget& budget) {
  std::string announce;
  if (had) announce = event_bus::message(bakery_id, unlock_event(*had, "deleted", clock_.now_ms()));
  co_await unmirror(order_id, bakery_id, "", "", std::move(announce), &budget);  // "": whoever holds it
}

asio::awaitable<std::size_t> lock_service::sweep_expired() {
  auto expired = co_await store_.delete_expired();
  for (const auto& l : expired) {
    co_await unmirror(l.order_id, l.bakery_id, l.user_id, l.session_id,
                      event_bus::message(l.bakery_id, unlock_event(l, "expired", clock_.now_ms())), nullptr);
    stats_.expired.inc();
  }
  co_return expired.size();
}

}  // namespace bakewind::locks
