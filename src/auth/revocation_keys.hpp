#pragma once
// The Redis names of revocations (README "Redis keys"), one function each:
// every reader and writer (check, revoke, logout-all, refill) builds them here.
//   auth:revoked:{<tag>}:<jti>  a revoked token, holding its user id
//   auth:nbf:{<tag>}            a user's logout-all cutoff
// <tag> is the user id and <jti> the token id, each a UUID written as its 16
// bytes in 22 base64url characters: a revocation key is then 60 characters,
// which keeps it at 152 bytes of Redis memory (MEMORY USAGE, Redis 7 with
// jemalloc); one character more and it takes the next size class, 168.

#include <string>
#include <string_view>

namespace bakewind::auth {

/// A UUID as its 16 bytes in 22 base64url characters (either case of the
/// UUID gives the same text); anything else unchanged.
std::string compact_id(std::string_view id);

/// The hash tag shared by every revocation key of `user_id`, braces included:
/// in a Redis Cluster they all live in one slot.
std::string revocation_tag(std::string_view user_id);

/// The key that marks the token `jti` of `user_id` revoked.
std::string revoked_token_key(std::string_view user_id, std::string_view jti);

/// The key holding `user_id`'s logout-all cutoff (ms since the epoch).
std::string cutoff_key(std::string_view user_id);

}  // namespace bakewind::auth
