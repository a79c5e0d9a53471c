#pragma once
// The lock keys in Redis (README "Redis keys"). Every lock key of a bakery
// carries its id as the hash tag, so that a lock, its bakery's set and their
// marker share one slot: every script and MGET runs on one node of a cluster.

#include <string>
#include <string_view>

namespace bakewind::locks {

/// `order_lock:{<bakeryId>}:<orderId>`: the lock's entry (lock_info JSON).
inline std::string lock_key(std::string_view bakery_id, std::string_view order_id) {
  return std::string("order_lock:{").append(bakery_id).append("}:").append(order_id);
}

/// `locks:bakery:{<bakeryId>}`: the set of the bakery's lock keys.
inline std::string bakery_key(std::string_view bakery_id) {
  return std::string("locks:bakery:{").append(bakery_id).append("}");
}

/// The marker that vouches for the lock keys: one key on a single node, one
/// per slot in a cluster. ":v2" since the keys are tagged by bakery: a Redis
/// filled by an older build has no v2 marker, so it is refilled in the new layout.
inline constexpr std::string_view locks_ready_marker = "locks:ready:v2";

}  // namespace bakewind::locks
