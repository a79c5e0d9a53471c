#pragma once
// The access tokens one loop has verified, with their claims. A client sends
// the same token with every request until it expires, and checking its HMAC
// and parsing its JSON again each time was most of what an authenticated
// request cost. Only what the token itself says is kept (a signature, once
// good, stays good: the secrets are fixed for the process's life); its
// expiry is checked again on every use, and revocation is never cached
// (auth::revocation asks Redis on every request).

#include "auth/jwt.hpp"

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace bakewind::auth {

class verified_tokens {
 public:
  /// Keeps at most `capacity` tokens.
  explicit verified_tokens(std::size_t capacity) : capacity_(capacity) {}

  /// The claims of `token`, verified before and unexpired at `now_s`
  /// (seconds since the epoch); nullopt otherwise (an expired one is
  /// forgotten).
  std::optional<claims> find(std::string_view token, long long now_s);

  /// Keeps `c`, the claims `token` was just verified to carry. When full,
  /// forgets everything first: clients come back with their tokens, and one
  /// verification each brings them in again.
  void remember(std::string_view token, const claims& c);

  std::size_t size() const noexcept { return by_token_.size(); }

 private:
  struct text_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };

  std::size_t capacity_;
  std::unordered_map<std::string, claims, text_hash, std::equal_to<>> by_token_;
};

}  // namespace bakewind::auth
