#pragma once
// The Lua scripts that make each Redis step of a lock operation atomic.

#include "redis/script.hpp"

namespace bakewind::locks::scripts {

/// KEYS[1] lock key. ARGV: value, userId, sessionId, ttl ms, expiresAt, lastActivityAt, expiresMs.
/// Free: set it, {1, value}. Ours: refresh it, {2, value}. Another's: {0, value}.
const redis::script& acquire();

/// As acquire, but a free key stays free: {-1}.
const redis::script& renew();

/// KEYS[1] lock key. ARGV: userId, sessionId ("" and "": anyone's).
/// Deletes it only when it is that holder's; 1 when deleted.
const redis::script& release();

}  // namespace bakewind::locks::scripts
