#include "locks/arbitration.hpp"

namespace bakewind::locks {

namespace {

// A row whose expiry has passed by `now_ms` is not worth copying: the entry
// would expire at once, and the sweeper announces the end.
redis_fix copy_if_live(const lock_info& row, long long now_ms) noexcept {
  return row.expires_ms > now_ms ? redis_fix::copy_row : redis_fix::none;
}

}  // namespace

redis_verdict verdict_of(long long code) noexcept {
  switch (code) {
    case -1: return redis_verdict::absent;
    case 0: return redis_verdict::other_holder;
    case 1: return redis_verdict::granted;
    case 2: return redis_verdict::refreshed;
    case 3: return redis_verdict::pending_other;
    default: return redis_verdict::unknown;
  }
}

bool settled_by_redis(const redis_answer& fast, std::string_view bakery_id) noexcept {
  // A stale entry (a server back with older data) costs false 409s only
  // until the refill drops it. An unconfirmed one (pending_other) is never
  // named: its acquire may yet be refused, or get no verdict at all while
  // PostgreSQL is down, and a 409 would have named a holder who never held.
  return fast.verdict == redis_verdict::other_holder && fast.entry && fast.entry->bakery_id == bakery_id;
}

acquire_plan plan_acquire(const redis_answer& fast, const std::optional<lock_info>& row, const lock_info& wanted,
                          long long now_ms) noexcept {
  const bool redis_granted = fast.verdict == redis_verdict::granted || fast.verdict == redis_verdict::refreshed;
  acquire_plan plan;
  plan.by_postgres_alone = fast.verdict == redis_verdict::unknown;
  if (!row) {
    // Refused: Redis must not keep a grant the record did not make.
    plan.verdict = acquire_verdict::refused;
    plan.fix = redis_granted ? redis_fix::drop_ours : redis_fix::none;
    return plan;
  }
  // The record keeps acquiredAt for a holder that had it already.
  const bool regranted = row->acquired_at != wanted.acquired_at;
  plan.verdict = regranted ? acquire_verdict::regranted : acquire_verdict::granted;
  // Redis's entry carries the times Redis wrote: right only for a grant
  // both made alike, which it now confirms. Confirming compares the entry
  // with the bytes the acquire wrote, which only a fresh grant left as they
  // were (a refresh re-encodes them), so any other grant copies the
  // record's row (confirmed).
  const bool fresh = fast.verdict == redis_verdict::granted;
  plan.fix = fresh && !regranted ? redis_fix::confirm : copy_if_live(*row, now_ms);
  return plan;
}

renew_plan plan_renew(const redis_answer& fast, const std::optional<lock_info>& row, long long now_ms) noexcept {
  const bool redis_renewed = fast.verdict == redis_verdict::refreshed;
  if (!row) return {false, redis_renewed ? redis_fix::drop_ours : redis_fix::none};
  return {true, redis_renewed ? redis_fix::none : copy_if_live(*row, now_ms)};
}

refusal_verdict after_refusal(bool acquiring, const std::optional<lock_info>& holder, bool order_exists) noexcept {
  if (holder) return refusal_verdict::held;
  if (!order_exists) return refusal_verdict::not_found;
  return acquiring ? refusal_verdict::released : refusal_verdict::not_held;
}

}  // namespace bakewind::locks
