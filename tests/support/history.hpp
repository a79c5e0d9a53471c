#pragma once
// Histories of what clients did and saw, and an offline checker for them
// (issue 21). A test records every client-visible operation with the time
// it was sent and the time its answer came; check() then decides whether
// some order of those operations, each taking effect at one instant between
// its start and its end, explains every answer under the objects' sequential
// rules: a linearizability check (Wing and Gong's search with Lowe's cache,
// as Knossos and Porcupine do it), one object at a time.
//
// The objects and their rules (the properties of models/*.pml, as clients
// see them):
//   "order:<id>"    an edit-lock: acquire, renew, release, force_release,
//                   patch (with X-Lock-Session), observe (GET .../lock).
//                   At most one holder; a PATCH succeeds only for it.
//   "token:<jwt>"   an access token: me (200 live, 401 revoked), logout.
//                   Once a logout is answered no request accepts it.
//   "refresh:<jwt>" a refresh token: refresh (200 once, 401 after).
//   "handoff:<id>"  a transfer session: create (201), claim (200 once).
// Left out: lock expiry (a history must be shorter than the 300 s TTL, as
// every test's is), logout-all and refresh-reuse detection (they revoke
// other objects than the one they name).

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <vector>

namespace bakewind::test::history {

using clock = std::chrono::steady_clock;

/// One request as a client saw it.
struct operation {
  std::string object;  ///< "order:<id>", "token:<jwt>", "refresh:<jwt>", "handoff:<id>"
  std::string action;  ///< see the rules above
  std::string client;  ///< the lock session of a lock action; else empty
  int status = 0;      ///< the HTTP status; 0 when no answer came
  std::string seen;    ///< observe, and the 409 of an acquire or renewal: the holder's session named (empty: free, or not named)
  clock::time_point start;
  clock::time_point end;
};

/// Whether `op`'s answer says what happened. A 5xx or no answer does not:
/// the request may have taken effect (a commit whose answer was lost) or
/// not, so the checker lets it take effect at any time after its start,
/// or never.
bool known(const operation& op);

/// Operations from many threads, in the order they were recorded.
class recorder {
 public:
  /// Records `op`; safe from any thread.
  void add(operation op);
  /// A copy of everything recorded so far.
  std::vector<operation> operations() const;

 private:
  mutable std::mutex mutex_;
  std::vector<operation> ops_;
};

/// What check() found.
struct verdict {
  std::size_t objects = 0;     ///< objects checked
  std::size_t operations = 0;  ///< operations checked
  std::vector<std::string> violations;  ///< one per object no order explains, with the operations around it
  std::vector<std::string> undecided;   ///< objects whose search went past its budget
  /// Orders whose history holds, but only with a 409 that named a holder
  /// who had let go (or nobody holding): a refusal that was not exact, as
  /// a stale Redis entry gives. Not a broken promise; reported apart.
  std::vector<std::string> inexact_refusals;
  bool holds() const noexcept { return violations.empty() && undecided.empty(); }
  /// One line of counts, then each violation and undecided object.
  std::string describe() const;
};

/// Writes `ops` to `path`, a line each in the order they started (times in
/// ms from the first), grouped by object: for a reader of a violation.
/// False when the file could not be written.
bool write(const std::vector<operation>& ops, const std::string& path);

/// Checks every object of `ops` against its rules; an order whose history
/// holds only when its 409s are not taken at their word is reported in
/// `inexact_refusals`, not as a violation. An operation on an
/// object of unknown kind, or with an action its kind does not have, is a
/// violation too (a test that records nonsense must not pass).
verdict check(const std::vector<operation>& ops);

}  // namespace bakewind::test::history
