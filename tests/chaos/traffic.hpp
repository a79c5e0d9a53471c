#pragma once
// Continuous traffic for the fault tests of issue 7: several clients doing
// what staff do (auth checks with live and revoked tokens, lock cycles with
// fenced writes on a few contended orders, hand-offs claimed twice, sign-ins
// refreshed and logged out), each request timed, every answer sorted by
// kind, and the promises checked as they happen:
//   a revoked token accepted, an order granted to two holders at once,
//   a hand-off claimed twice, a request past its deadline.
// Every request on a lock, a token or a hand-off is also recorded with its
// start and end (history()), for the offline check of issue 21, which also
// sees what the clients' own view cannot: overlapping requests.

#include "e2e/locks_helpers.hpp"
#include "support/history.hpp"

#include <atomic>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace bakewind::test::chaos {

using namespace locks_e2e;  // NOLINT: accounts, services and lock calls are this folder's vocabulary
using e2e_account = auth_e2e::account;

/// What the traffic works with, made before it starts.
struct fixture {
  std::vector<e2e_account> users;         ///< one bakery's users, live tokens
  std::vector<std::string> orders;        ///< that bakery's orders, contended by every worker
  std::vector<std::string> revoked;       ///< access tokens logged out before the traffic
  std::vector<history::operation> before; ///< those logouts, for the history
};

/// Counts by kind; all atomics, read while the traffic runs.
struct tally {
  std::atomic<long> requests{0};
  std::atomic<long> ok{0};             ///< the expected 2xx/4xx answer
  std::atomic<long> unavailable{0};    ///< 503: a dependency is down (allowed during a fault)
  std::atomic<long> unnamed_503{0};    ///< of those, 503s that do not say what is unavailable, or lack Retry-After
  std::atomic<long> proxy_errors{0};   ///< 502/504 from haproxy (an instance died mid-request)
  std::atomic<long> unretried{0};      ///< of those and of no_answer: a GET or a lock request, which haproxy retries
  std::atomic<long> client_retries{0}; ///< GET or lock requests sent again after a stale keep-alive connection
  std::atomic<long> server_errors{0};  ///< 500 or any other 5xx: never allowed
  std::atomic<long> unexpected{0};     ///< a 4xx that the operation should not get (e.g. a live token refused)
  std::atomic<long> no_answer{0};      ///< connection refused or no reply
  std::atomic<long> slow{0};           ///< answered after the deadline
  std::atomic<long> grants{0};
  std::atomic<long> claims{0};
  std::atomic<long> revoked_accepted{0};
  std::atomic<long> double_grants{0};
  std::atomic<long> double_claims{0};
};

class traffic {
 public:
  /// Starts `workers` threads against 127.0.0.1:`port` at once. A request
  /// answered later than `deadline` counts as slow.
  traffic(std::uint16_t port, fixture f, int workers, std::chrono::milliseconds deadline);
  /// Stops (see stop()).
  ~traffic();
  traffic(const traffic&) = delete;
  traffic& operator=(const traffic&) = delete;

  /// Stops the workers and waits for them.
  void stop();

  const tally& counts() const noexcept { return counts_; }

  /// Every recorded request so far, with the fixture's logouts before them.
  const history::recorder& history() const noexcept { return history_; }

  /// One line of every count, for the test's output.
  std::string summary() const;

  /// Whether any promise was broken or any request hung (the fault tests'
  /// common verdict; allowed kinds differ per fault and are checked apart).
  bool promises_kept() const noexcept;

  /// From now on, longest_wait() counts the requests sent after this call
  /// (not those already on their way).
  void measure_waits_from_now();
  /// The longest a request sent since measure_waits_from_now() took to be
  /// answered (or to fail); zero before.
  std::chrono::milliseconds longest_wait() const;

 private:
  struct order_view {
    std::mutex m;
    int holder = -1;  ///< the worker that holds it, in the clients' view
  };

  /// One request, as the worker sends it.
  struct ask {
    std::string_view what;      ///< names it in the report
    std::string method, target, token, body;
    std::string lock_session;   ///< sent as X-Lock-Session when set
    std::vector<int> expected;  ///< its normal answers
    /// A GET or a lock request, which haproxy sends again elsewhere, and
    /// this client once more when its kept-alive connection had closed under it.
    bool retryable = false;
    history::operation record;  ///< object, action and client to record it as; no object: not recorded
  };

  void run(int worker);
  /// Sends `a` on the worker's connection, timed, sorted by note() and recorded.
  http_reply request(int worker, ask a);
  void check_me(int worker, const std::string& token, bool revoked);
  void lock_cycle(int worker);
  /// While holding: maybe a renewal and a fenced write; after the release,
  /// sometimes a write with the lapsed session (which must be refused).
  void hold(int worker, std::size_t order, const e2e_account& who, const std::string& session);
  void hand_off(int worker);
  /// A sign-in's refresh token turned into a fresh access token, used,
  /// logged out, and used again (which must be refused).
  void sign_in_and_out(int worker);
  /// Counts one answer to a request sent at `started`.
  void note(std::string_view what, const http_reply& r, std::chrono::steady_clock::time_point started,
            const std::vector<int>& expected, bool retryable);
  /// Keeps `line` for the report (the first ten only).
  void remember(std::string line);

  std::uint16_t port_;
  fixture fixture_;
  std::chrono::milliseconds deadline_;
  std::vector<std::unique_ptr<order_view>> views_;
  std::vector<std::unique_ptr<raw_connection>> conns_;  ///< one keep-alive connection per worker
  std::vector<std::string> chains_;                     ///< each worker's refresh token (empty: sign in)
  std::vector<unsigned> cycles_;                        ///< each worker's lock cycles so far
  /// Per worker, the objects of its requests that haproxy may have sent
  /// twice (see request()): a late copy may still take effect.
  std::vector<std::set<std::string>> ghosts_;
  history::recorder history_;
  tally counts_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::chrono::steady_clock::rep> waits_from_{std::chrono::steady_clock::time_point::max().time_since_epoch().count()};
  std::atomic<std::chrono::steady_clock::rep> longest_wait_{0};
  mutable std::mutex trouble_m_;
  std::vector<std::string> trouble_;  ///< the first slow or unanswered requests, for the report
  std::vector<std::thread> workers_;
};

}  // namespace bakewind::test::chaos
