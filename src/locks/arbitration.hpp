#pragma once
// The lock decision (DESIGN.md "Order locks: PostgreSQL decides, Redis
// answers fast") as pure functions of what Redis's script answered, what
// PostgreSQL's write returned, and the time: no I/O, no clock of their own,
// so every combination is tested in a table (tests/unit/locks). The lock
// service runs the steps they name.

#include "locks/lock_info.hpp"

#include <optional>
#include <string_view>

namespace bakewind::locks {

/// What a lock script in Redis answered (locks/scripts.cpp), named.
enum class redis_verdict {
  unknown,       ///< no answer (down, timeout, script error): PostgreSQL alone decides
  absent,        ///< renew: no entry for the order (-1)
  other_holder,  ///< another holder's entry, returned with it (0)
  granted,       ///< acquire: no entry, ours now (1)
  refreshed,     ///< the entry was ours: its TTL starts again (2)
  pending_other, ///< another holder's entry that PostgreSQL has not confirmed yet (3)
};

/// The verdict a script's integer stands for; `unknown` for any other.
redis_verdict verdict_of(long long code) noexcept;

/// Redis's part of an operation: the verdict, and the entry it named.
struct redis_answer {
  redis_verdict verdict = redis_verdict::unknown;
  std::optional<lock_info> entry;  ///< with other_holder: the holder Redis knows
};

/// What Redis must be told after PostgreSQL decided.
enum class redis_fix {
  none,       ///< Redis already holds what the record holds (or nothing to copy)
  copy_row,   ///< copy the record's row: Redis did not write it, or wrote other times
  drop_ours,  ///< undo the entry Redis gave the caller: the record refused
  confirm,    ///< the entry Redis gave the caller unconfirmed is the record's grant: confirm it
};

/// What an acquire ends in, for the caller and the counters.
enum class acquire_verdict {
  held_in_redis,  ///< 409 from memory: Redis names another holder; PostgreSQL not asked
  granted,        ///< 201: the record granted it (Redis too, or Redis could not answer)
  regranted,      ///< 200: the caller (same user and session) held it: new expiry, same acquiredAt
  refused,        ///< the record refused: the holder must be looked up (409 or 404)
};

struct acquire_plan {
  acquire_verdict verdict = acquire_verdict::refused;
  redis_fix fix = redis_fix::none;
  bool by_postgres_alone = false;  ///< Redis gave no verdict: counted as a fallback
};

/// Whether Redis's answer settles an acquire by `bakery_id`'s caller: a
/// confirmed entry of another holder of that bakery is believed even while
/// Redis is not vouched for. An unconfirmed one is not: PostgreSQL may
/// still refuse it, and a 409 must name a holder that holds.
bool settled_by_redis(const redis_answer& fast, std::string_view bakery_id) noexcept;

/// An acquire after PostgreSQL's write returned `row` (nullopt: refused),
/// having asked for `wanted`, at `now_ms`.
acquire_plan plan_acquire(const redis_answer& fast, const std::optional<lock_info>& row, const lock_info& wanted,
                          long long now_ms) noexcept;

/// A renew after PostgreSQL's write returned `row` (nullopt: the caller
/// holds no live lock), at `now_ms`. `renewed` false: look the holder up.
struct renew_plan {
  bool renewed = false;
  redis_fix fix = redis_fix::none;
};
renew_plan plan_renew(const redis_answer& fast, const std::optional<lock_info>& row, long long now_ms) noexcept;

/// After a refusal, what the caller is told, given the live row the record
/// holds now (`holder`) and whether the order exists.
enum class refusal_verdict {
  held,       ///< 409 with the holder
  released,   ///< 409 without a holder: it let go between our two statements
  not_held,   ///< renew: 404 "Lock not found"
  not_found,  ///< 404 "Order not found"
};
refusal_verdict after_refusal(bool acquiring, const std::optional<lock_info>& holder, bool order_exists) noexcept;

}  // namespace bakewind::locks
