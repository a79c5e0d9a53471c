#pragma once
// Password hashing with libsodium's argon2id (crypto_pwhash_str), on a small
// worker pool of its own: a hash takes tens of milliseconds and 19 MiB, and
// must never run on an event-loop thread.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include <string>

namespace bakewind::auth {

class password_hasher {
 public:
  /// Starts `threads` workers (shared by every event loop).
  explicit password_hasher(std::size_t threads = 2);
  /// Joins the workers.
  ~password_hasher();
  password_hasher(const password_hasher&) = delete;
  password_hasher& operator=(const password_hasher&) = delete;

  /// The argon2id hash string of `password` (OWASP parameters: t=2, m=19 MiB).
  boost::asio::awaitable<std::string> hash(std::string password);

  /// True when `password` matches `stored`. A malformed `stored` is false.
  boost::asio::awaitable<bool> verify(std::string stored, std::string password);

  /// Costs what a verify costs and answers false: for an unknown email, so
  /// that it cannot be told from a wrong password by timing.
  boost::asio::awaitable<bool> verify_nobody(std::string password);

 private:
  boost::asio::thread_pool pool_;
  std::string dummy_hash_;
};

}  // namespace bakewind::auth
