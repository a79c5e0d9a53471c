#include "support/history.hpp"

#include "support/history_search.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <sstream>

namespace bakewind::test::history {
namespace {

// The sequential rules of each kind of object (see history.hpp). `state`
// is the lock's holder ("" when free), or what became of a token or a
// hand-off. For an unknown answer, the effect the request would have had.
// With `exact_refusals`, a 409 must name the holder there is (someone
// else); without, a 409 is never a contradiction (see check()).
bool lock_step(std::string& holder, const operation& op, bool exact_refusals) {
  const bool mine = holder == op.client;
  const bool other = !holder.empty() && !mine;
  const bool k = known(op);
  // A lock request the proxy sent again after its first try took effect
  // is answered as the second try: an acquire's 200 may be a fresh grant,
  // a release's 404 may follow a release. Both keep the safety properties:
  // a grant the service did not make, or a release it did not, contradicts
  // a later answer to someone else.
  if (op.action == "acquire") {
    if (!k || op.status == 201 || op.status == 200) {
      if (k && (op.status == 201 ? !holder.empty() : other)) return false;
      if (holder.empty()) holder = op.client;
      return true;
    }
    return op.status == 409 && (!exact_refusals || (other && (op.seen.empty() || op.seen == holder)));
  }
  if (op.action == "release") {
    if (!k || op.status == 204 || op.status == 404) {
      if (k && op.status == 204 && !mine) return false;
      if (mine) holder.clear();
      return true;
    }
    return false;
  }
  if (op.action == "force_release") {
    const bool was_held = !holder.empty();
    if (!k || op.status == 204) holder.clear();
    return !k || (op.status == 204 ? was_held : op.status == 404 && !was_held);
  }
  if (!k) return op.action == "renew" || op.action == "patch" || op.action == "observe";
  if (op.action == "renew") {
    return op.status == 200 ? mine
                            : (op.status == 404 && !mine) ||
                                  (op.status == 409 && (!exact_refusals || (other && (op.seen.empty() || op.seen == holder))));
  }
  if (op.action == "patch") return op.status == 200 ? mine : op.status == 409 && !mine;
  if (op.action == "observe") return op.status == 200 && holder == op.seen;
  return false;
}

bool token_step(std::string& state, const operation& op) {
  const bool revoked = state == "revoked";
  if (!known(op)) {
    if (op.action == "logout") state = "revoked";
    return op.action == "logout" || op.action == "me";
  }
  if (op.action == "me") return op.status == 200 ? !revoked : op.status == 401 && revoked;
  if (op.action == "logout") {
    state = "revoked";
    return op.status == 204 ? !revoked : op.status == 401 && revoked;
  }
  return false;
}

bool refresh_step(std::string& state, const operation& op) {
  if (op.action != "refresh") return false;
  const bool used = state == "used";
  state = "used";
  return !known(op) || (op.status == 200 ? !used : op.status == 401 && used);
}

bool handoff_step(std::string& state, const operation& op) {
  if (op.action == "create") {
    if (op.status != 201 || state != "none") return false;
    state = "open";
    return true;
  }
  if (op.action != "claim") return false;
  const bool open = state == "open";
  if (!known(op) || op.status == 200) {
    if (open) state = "claimed";
    return !known(op) || open;
  }
  return op.status == 401 && !open;
}

bool exact_lock_step(std::string& holder, const operation& op) { return lock_step(holder, op, true); }
bool safe_lock_step(std::string& holder, const operation& op) { return lock_step(holder, op, false); }

const rules* rules_for(const std::string& object) {
  static const rules lock{"", exact_lock_step}, token{"", token_step}, refresh{"", refresh_step},
      handoff{"none", handoff_step};
  const auto kind = object.substr(0, object.find(':'));
  if (kind == "order") return &lock;
  if (kind == "token") return &token;
  if (kind == "refresh") return &refresh;
  if (kind == "handoff") return &handoff;
  return nullptr;
}

// A JWT is long: its first and last characters name it well enough.
std::string short_name(const std::string& object) {
  return object.size() <= 48 ? object : object.substr(0, 24) + "..." + object.substr(object.size() - 12);
}

std::string milliseconds(clock::time_point t, clock::time_point origin) {
  char out[32];
  std::snprintf(out, sizeof out, "%.3f", std::chrono::duration<double, std::milli>(t - origin).count());
  return out;
}

// One operation as a line: when, what, by whom, and the answer.
std::string line(const operation& op, clock::time_point origin) {
  std::string s = milliseconds(op.start, origin) + " .. " + (known(op) ? milliseconds(op.end, origin) : "?") + " ms  " +
                  op.action;
  if (!op.client.empty()) s += " by " + op.client;
  s += " -> " + std::to_string(op.status);
  if (!op.seen.empty() || op.action == "observe") s += " (holder '" + op.seen + "')";
  return s;
}

// The indexes of `ops` in the order the operations started.
std::vector<std::size_t> by_start(const std::vector<operation>& ops) {
  std::vector<std::size_t> order(ops.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return ops[a].start < ops[b].start; });
  return order;
}

// The operations of one object around the one whose answer no order
// explained, in the order they started: what a reader needs to see why.
std::string around(const std::vector<operation>& ops, std::size_t stuck, clock::time_point origin) {
  const auto order = by_start(ops);
  const auto at = static_cast<std::size_t>(std::find(order.begin(), order.end(), stuck) - order.begin());
  std::string s;
  for (std::size_t k = at > 8 ? at - 8 : 0; k < std::min(order.size(), at + 5); ++k) {
    s += "\n      " + std::string(order[k] == stuck ? "=> " : "   ") + line(ops[order[k]], origin);
  }
  return s;
}

clock::time_point first_start(const std::vector<operation>& ops) {
  clock::time_point origin = clock::time_point::max();
  for (const auto& op : ops) origin = std::min(origin, op.start);
  return origin;
}

std::string explain(const std::string& object, const std::vector<operation>& ops, const search_result& found,
                    clock::time_point origin) {
  return short_name(object) + ": no order of its " + std::to_string(ops.size()) +
         " operations explains the answer marked (state then: '" + found.stuck_state +
         "'; times in ms from the history's start)" + around(ops, found.stuck_at, origin);
}

}  // namespace

bool known(const operation& op) { return op.status >= 200 && op.status < 500; }

void recorder::add(operation op) {
  std::lock_guard lock(mutex_);
  ops_.push_back(std::move(op));
}

std::vector<operation> recorder::operations() const {
  std::lock_guard lock(mutex_);
  return ops_;
}

std::string verdict::describe() const {
  std::ostringstream s;
  s << "history: " << operations << " operations on " << objects << " objects, " << violations.size()
    << " violations, " << undecided.size() << " undecided";
  if (!inexact_refusals.empty()) s << ", " << inexact_refusals.size() << " with inexact refusals";
  for (const auto& v : violations) s << "\n    violation: " << v;
  for (const auto& r : inexact_refusals) s << "\n    inexact refusal (not a broken promise): " << r;
  for (const auto& u : undecided) s << "\n    undecided: " << u;
  return s.str();
}

bool write(const std::vector<operation>& ops, const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) return false;
  const auto origin = first_start(ops);
  std::map<std::string, std::vector<operation>> by_object;
  for (const auto& op : ops) by_object[op.object].push_back(op);
  for (const auto& [object, mine] : by_object) {
    std::fprintf(f, "%s\n", object.c_str());
    for (const auto i : by_start(mine)) std::fprintf(f, "  %s\n", line(mine[i], origin).c_str());
  }
  return std::fclose(f) == 0;
}

verdict check(const std::vector<operation>& ops) {
  constexpr std::size_t budget = 5'000'000;  // steps per object; a passing chaos run needs about one per operation
  std::map<std::string, std::vector<operation>> by_object;
  for (const auto& op : ops) by_object[op.object].push_back(op);
  const auto origin = first_start(ops);
  verdict v;
  v.objects = by_object.size();
  v.operations = ops.size();
  for (const auto& [object, mine] : by_object) {
    const rules* r = rules_for(object);
    if (r == nullptr) {
      v.violations.push_back(short_name(object) + ": no rules for this kind of object");
      continue;
    }
    auto found = search(mine, *r, budget);
    if (found.outcome == search_result::kind::violation && object.starts_with("order:")) {
      // Only the exactness of a refusal may be at fault: a 409 naming a
      // holder who had let go. Not one of the promises (no second holder,
      // no write from a lapsed one): reported, and checked without it.
      const auto strict = found;
      found = search(mine, rules{"", safe_lock_step}, budget);
      if (found.outcome == search_result::kind::linearizable) {
        v.inexact_refusals.push_back(explain(object, mine, strict, origin));
        continue;
      }
    }
    if (found.outcome == search_result::kind::undecided) {
      v.undecided.push_back(short_name(object) + ": " + std::to_string(mine.size()) + " operations, past " +
                            std::to_string(budget) + " steps");
    } else if (found.outcome == search_result::kind::violation) {
      v.violations.push_back(explain(object, mine, found, origin));
    }
  }
  return v;
}

}  // namespace bakewind::test::history
