#pragma once
// The linearizability search behind history::check(), for one object.

#include "support/history.hpp"

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace bakewind::test::history {

/// An object's sequential rules: `step` applies `op` to `state` (a small
/// string: the lock's holder, "revoked", ...) and says whether `op`'s
/// answer is possible in it. For an operation whose answer is not known()
/// it applies the effect the operation would have had, and returns true.
struct rules {
  std::string initial;
  std::function<bool(std::string& state, const operation& op)> step;
};

/// The search's outcome for one object.
struct search_result {
  enum class kind { linearizable, violation, undecided } outcome = kind::linearizable;
  /// With a violation: the index (into the object's operations) of the
  /// operation whose answer no order explained, and the state it met.
  std::size_t stuck_at = 0;
  std::string stuck_state;
};

/// Whether some order of `ops` (all on one object), each taking effect
/// between its start and end (an operation of unknown answer: at any time
/// after its start, or never), explains every answer under `r`. Gives up as
/// undecided after `budget` steps.
search_result search(const std::vector<operation>& ops, const rules& r, std::size_t budget);

}  // namespace bakewind::test::history
