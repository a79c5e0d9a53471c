#pragma once
// A small per-loop cache of user rows by id, for the hot paths that only
// show a user (GET /auth/me, the holder name of a lock): a row is reused for
// `ttl`, so a rename shows after at most that long. Not thread-safe: one per
// event loop.

#include "auth/users.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <unordered_map>

namespace bakewind::auth {

class user_cache {
 public:
  explicit user_cache(std::chrono::seconds ttl = std::chrono::seconds(30), std::size_t capacity = 10000)
      : ttl_(ttl), capacity_(capacity) {}

  /// The cached row, when fresh.
  std::optional<user> get(const std::string& id);

  /// Remembers a row (dropping everything when full: simple, and bounded).
  void put(const user& u);

 private:
  struct entry {
    user row;
    std::chrono::steady_clock::time_point expires;
  };
  std::chrono::seconds ttl_;
  std::size_t capacity_;
  std::unordered_map<std::string, entry> entries_;
};

/// The user `id`: from `cache` when fresh, else from `users` (and cached).
boost::asio::awaitable<std::optional<user>> find_user(users_repository& users, user_cache& cache, std::string id);

}  // namespace bakewind::auth
