#pragma once
// The Lua scripts that make each Redis step of a lock operation atomic.

#include "redis/script.hpp"

namespace bakewind::locks::scripts {

// Every script keeps KEYS[2], the set of a bakery's lock keys
// (`locks:bakery:{<bakeryId>}`), in step with the lock keys. KEYS share the
// bakery's hash tag, so a script runs on one node of a cluster; `list` reads
// the set's members, undeclared but in the same slot, which Redis allows.

/// KEYS[1] lock key. ARGV: value (unconfirmed: `pending`), userId,
/// sessionId, ttl ms, expiresAt, lastActivityAt, expiresMs. Free: set it,
/// {1, value}. Ours: refresh it, {2, value}. Another's: {0, value}, or {3,
/// value} when that one is unconfirmed (PostgreSQL must decide).
const redis::script& acquire();

/// As acquire, but a free key stays free: {-1}.
const redis::script& renew();

/// KEYS[1] lock key. ARGV: the unconfirmed value acquire wrote, the
/// confirmed value, channel, message. Replaces the one with the other,
/// keeping the TTL (1), when the key still holds exactly it; else leaves it
/// (0): a plain comparison, no JSON to decode (an entry refreshed or
/// replaced since is confirmed by whoever wrote it last). Then publishes
/// the grant's event: one round trip for both.
const redis::script& confirm();

/// KEYS[1] lock key. ARGV: userId, sessionId ("" and "": anyone's), and
/// optionally channel, message. Deletes it only when it is that holder's
/// (1 when deleted, else 0), then publishes the message if there is one
/// (the release's event: one round trip instead of two).
const redis::script& release();

/// KEYS[1] lock key. ARGV: value, ttl ms. Sets it (a repair from PostgreSQL).
const redis::script& store();

/// KEYS[1] lock key, KEYS[2] bakery set. ARGV: a time in ms since the epoch.
/// Deletes the entry (PostgreSQL holds no lock for it) unless it expires
/// after that time, i.e. it was granted or renewed so recently that the
/// statement confirming it may still be running: then keeps it and answers
/// 0 (else 1).
const redis::script& drop_settled();

/// KEYS[1] bakery set, KEYS[2] the ready marker. The bakery's live lock
/// values; nil when the marker is missing (Redis lost its data).
const redis::script& list();

}  // namespace bakewind::locks::scripts
