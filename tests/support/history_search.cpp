#include "support/history_search.hpp"

#include <algorithm>
#include <cstdint>
#include <unordered_set>

namespace bakewind::test::history {
namespace {

// A call or a return in the history, linked in time order. Taking an
// operation's effect out of the search ("lifting" it) unlinks its two
// events; backtracking links them back in reverse order (dancing links).
struct event {
  clock::time_point at;
  bool call;
  std::size_t op;
};

constexpr std::size_t none = static_cast<std::size_t>(-1);

class event_list {
 public:
  explicit event_list(const std::vector<operation>& ops) : call_of_(ops.size()), return_of_(ops.size(), none) {
    for (std::size_t i = 0; i < ops.size(); ++i) {
      events_.push_back({ops[i].start, true, i});
      if (known(ops[i])) events_.push_back({ops[i].end, false, i});
    }
    // At one instant, calls before returns: operations that touch overlap.
    std::stable_sort(events_.begin(), events_.end(), [](const event& a, const event& b) {
      return a.at != b.at ? a.at < b.at : (a.call && !b.call);
    });
    const std::size_t n = events_.size();
    next_.resize(n + 1);
    prev_.resize(n + 1);
    for (std::size_t e = 0; e <= n; ++e) {  // n is the head: a circular list
      next_[e] = e == n ? 0 : e + 1;
      prev_[e] = e == 0 ? n : e - 1;
      if (e < n) (events_[e].call ? call_of_ : return_of_)[events_[e].op] = e;
    }
  }

  void lift(std::size_t op) {
    unlink(call_of_[op]);
    if (return_of_[op] != none) unlink(return_of_[op]);
  }
  void unlift(std::size_t op) {
    if (return_of_[op] != none) relink(return_of_[op]);
    relink(call_of_[op]);
  }

  /// The operations that may take effect next: those called before the
  /// first return still in the list. Known answers first, as they decide.
  /// Of unknown ones, one per action and client: they all stay candidates
  /// to the end (no answer bounds them), and any two with the same action
  /// and client have the same effect, so trying the earliest of them is
  /// trying them all (and the search stays linear in their number, not a
  /// product of it: a database outage leaves thousands).
  std::vector<std::size_t> candidates(const std::vector<operation>& ops) const {
    std::vector<std::size_t> known_first, unknown;
    for (std::size_t e = next_[head()]; e != head() && events_[e].call; e = next_[e]) {
      const auto& op = ops[events_[e].op];
      if (known(op)) {
        known_first.push_back(events_[e].op);
      } else if (std::none_of(unknown.begin(), unknown.end(), [&](std::size_t u) {
                   return ops[u].action == op.action && ops[u].client == op.client;
                 })) {
        unknown.push_back(events_[e].op);
      }
    }
    known_first.insert(known_first.end(), unknown.begin(), unknown.end());
    return known_first;
  }

  /// The operation of the first return still in the list: the earliest
  /// answer not yet explained. `none` when every answer is.
  std::size_t first_unexplained() const {
    for (std::size_t e = next_[head()]; e != head(); e = next_[e]) {
      if (!events_[e].call) return events_[e].op;
    }
    return none;
  }

 private:
  std::size_t head() const noexcept { return events_.size(); }
  void unlink(std::size_t e) {
    next_[prev_[e]] = next_[e];
    prev_[next_[e]] = prev_[e];
  }
  void relink(std::size_t e) {
    next_[prev_[e]] = e;
    prev_[next_[e]] = e;
  }

  std::vector<event> events_;
  std::vector<std::size_t> next_, prev_;
  std::vector<std::size_t> call_of_, return_of_;
};

// The set of operations that have taken effect, as two 64-bit sums of
// random words (Zobrist hashing), with the state they led to: the cache
// that keeps the search from exploring one configuration twice. A
// collision could only cut off a path, never invent one, so it could only
// ever report a violation that is not there, not hide one.
struct configuration {
  std::uint64_t a, b;
  std::string state;
  bool operator==(const configuration&) const = default;
};
struct configuration_hash {
  std::size_t operator()(const configuration& c) const noexcept {
    return static_cast<std::size_t>(c.a ^ (std::hash<std::string>{}(c.state) * 0x9e3779b97f4a7c15ULL));
  }
};

std::uint64_t mix(std::uint64_t x) {  // splitmix64
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

struct frame {
  std::vector<std::size_t> candidates;
  std::size_t next = 0;
  std::size_t taken = none;  ///< the candidate this frame's child took effect with
  std::string state_before;
};

}  // namespace

search_result search(const std::vector<operation>& ops, const rules& r, std::size_t budget) {
  event_list list(ops);
  std::size_t unexplained = static_cast<std::size_t>(std::count_if(ops.begin(), ops.end(), known));
  std::unordered_set<configuration, configuration_hash> seen;
  configuration now{0, 0, r.initial};
  std::vector<frame> stack;
  stack.push_back({list.candidates(ops)});
  search_result deepest;
  std::size_t deepest_size = 0;
  for (std::size_t steps = 0; unexplained > 0; ++steps) {
    if (steps == budget) return {search_result::kind::undecided};
    frame& f = stack.back();
    if (f.next == f.candidates.size()) {
      // Nothing takes effect next here: note where, then undo the parent's choice.
      if (stack.size() >= deepest_size) {
        deepest_size = stack.size();
        deepest = {search_result::kind::violation, list.first_unexplained(), now.state};
      }
      stack.pop_back();
      if (stack.empty()) return deepest;
      frame& parent = stack.back();
      list.unlift(parent.taken);
      now.a ^= mix(2 * parent.taken);
      now.b ^= mix(2 * parent.taken + 1);
      now.state = std::move(parent.state_before);
      if (known(ops[parent.taken])) ++unexplained;
      continue;
    }
    const std::size_t i = f.candidates[f.next++];
    std::string after = now.state;
    if (!r.step(after, ops[i])) continue;
    // An unknown operation that changes nothing now is better left for later.
    if (!known(ops[i]) && after == now.state) continue;
    configuration next{now.a ^ mix(2 * i), now.b ^ mix(2 * i + 1), std::move(after)};
    if (seen.contains(next)) continue;
    seen.insert(next);
    f.taken = i;
    f.state_before = std::move(now.state);
    now = std::move(next);
    list.lift(i);
    if (known(ops[i])) --unexplained;
    stack.push_back({list.candidates(ops)});
  }
  return {};
}

}  // namespace bakewind::test::history
