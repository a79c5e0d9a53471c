#pragma once
// API.md's lockInfo: who holds an order's edit-lock, from which editor
// session, since when and until when.

#include <boost/json/object.hpp>

#include <optional>
#include <string>

namespace bakewind::locks {

struct lock_info {
  std::string order_id;
  std::string bakery_id;  ///< not shown to clients; scopes events and lists
  std::string user_id;
  std::string user_name;
  std::string session_id;
  std::string acquired_at;  ///< ISO-8601 UTC with milliseconds
  std::string expires_at;
  std::string last_activity_at;
  long long expires_ms = 0;  ///< expires_at in ms since the epoch (not shown to clients)
  /// Redis only: written by an acquire that PostgreSQL has not confirmed
  /// yet. Such an entry names nobody: readers take it for no lock, and
  /// another acquire asks PostgreSQL instead of answering 409 on its word.
  bool pending = false;
};

/// `{orderId, userId, userName, sessionId, acquiredAt, expiresAt, lastActivityAt}`.
boost::json::object to_json(const lock_info& l);

/// to_json(l) written straight into `out`: the same bytes as
/// core::append_json(out, to_json(l)), without building the object.
void append_json(std::string& out, const lock_info& l);

/// The JSON stored in Redis (`order_lock:{<bakeryId>}:<orderId>`): to_json
/// plus bakeryId and expiresMs, and `"pending":1` while unconfirmed.
std::string to_redis_value(const lock_info& l);

/// Parses what to_redis_value wrote; nullopt for anything else.
std::optional<lock_info> from_redis_value(std::string_view text);

}  // namespace bakewind::locks
