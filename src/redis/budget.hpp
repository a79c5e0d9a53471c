#pragma once
// One request's wait for Redis (README "How long a request waits when a
// store stalls"): every Redis call a request makes ends by one deadline, and
// once Redis failed the request (no reply in time, no connection, held as
// not answering) the rest of the request does not ask it again but goes to
// the record, or answers 503. Only a write the record already holds
// (retry::deliver) is still sent then, and awaited for what is left, which
// may be nothing. Passed by pointer to redis::service's calls; null means a
// call outside any request (a refill, a repair), bounded only by its
// command's deadline. Not thread-safe: one request, one loop.

#include <chrono>

namespace bakewind::redis {

class budget {
 public:
  using clock = std::chrono::steady_clock;

  /// `total` from now (REDIS_REQUEST_BUDGET_MS).
  explicit budget(clock::duration total) noexcept : until_(clock::now() + total) {}

  /// Whether Redis may still be asked: it has not failed this request and
  /// the deadline has not passed.
  bool open() const noexcept { return !spent_ && clock::now() < until_; }
  /// When every Redis call of the request ends at the latest.
  clock::time_point until() const noexcept { return until_; }
  /// Redis failed this request: open() is false from now on.
  void spend() noexcept { spent_ = true; }
  /// Whether Redis failed this request (spend()).
  bool spent() const noexcept { return spent_; }

 private:
  clock::time_point until_;
  bool spent_ = false;
};

}  // namespace bakewind::redis
