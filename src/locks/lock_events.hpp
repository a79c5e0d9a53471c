#pragma once
// The live events a lock change announces (API.md "Live events").

#include "locks/lock_info.hpp"

#include <boost/json/object.hpp>

#include <string_view>

namespace bakewind::locks {

/// `order.locked` / `order.lock_renewed` (`type`): the lock's fields, at `at_ms`.
boost::json::object lock_event(std::string_view type, const lock_info& l, long long at_ms);

/// `order.unlocked` for `l`'s holder, with `reason` (released, forced,
/// expired, deleted), at `at_ms`.
boost::json::object unlock_event(const lock_info& l, std::string_view reason, long long at_ms);

}  // namespace bakewind::locks
