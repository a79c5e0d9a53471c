#pragma once
// HS256 JSON Web Tokens with the algorithm pinned: a token is accepted only
// when its header says HS256 and its HMAC matches one of our secrets
// (JWT_SECRET, then JWT_SECRET_PREVIOUS during a rotation). The header's
// `alg` never chooses how we verify.

#include <sodium/crypto_auth_hmacsha256.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bakewind::auth {

enum class token_type { access, refresh };

/// The claims of API.md.
struct claims {
  std::string sub;   ///< user id
  std::string bky;   ///< bakery id
  std::string role;  ///< owner, admin or staff
  token_type typ = token_type::access;
  std::string jti;    ///< unique token id (a UUIDv7: it carries its issue time in ms)
  long long iat = 0;  ///< issued at, seconds since the epoch
  long long exp = 0;  ///< expires at, seconds since the epoch
};

/// Why a token was refused. Callers answer every one of them with 401.
enum class jwt_error { malformed, wrong_algorithm, bad_signature, expired, unknown_type, not_yet_valid };

/// How far a token's `iat` or `nbf` may lie ahead of our clock (the skew
/// between instances' clocks) before the token is refused as not yet valid.
inline constexpr long long k_jwt_clock_skew_s = 60;

class jwt_codec {
 public:
  /// `secret` signs and verifies; `previous` (may be empty) only verifies.
  /// Thread-safe once made: every method is const and touches no shared state.
  jwt_codec(std::string secret, std::string previous);

  /// The signed compact token for `c`.
  std::string sign(const claims& c) const;

  /// Verifies signature, algorithm, type, expiry and that the token is
  /// already valid (`iat`, and `nbf` when present) at `now`. On failure
  /// returns nullopt and sets `why`.
  std::optional<claims> verify(std::string_view token, std::chrono::system_clock::time_point now, jwt_error& why) const;

 private:
  // Each secret as an HMAC-SHA256 state that has already absorbed the key
  // ([0] signs; all verify): a signature then costs a copy and the hashing
  // of the token, not the key's setup (which OpenSSL 3's one-shot HMAC
  // redoes, with an algorithm lookup, on every call).
  std::vector<crypto_auth_hmacsha256_state> keys_;
};

/// When a token was issued, in ms since the epoch: the time its jti carries
/// (a UUIDv7), else its `iat` (saturating: any value read by verify() is fine).
long long issued_ms(const claims& c) noexcept;

/// "access" / "refresh".
std::string_view to_string(token_type t) noexcept;

}  // namespace bakewind::auth
