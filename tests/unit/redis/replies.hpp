#pragma once
// Replies built by hand, as a server would send them, for the tests of code
// that reads replies (Sentinel lookups, CLUSTER SLOTS maps).

#include "redis/reply.hpp"

#include <string>
#include <utility>
#include <vector>

namespace bakewind::redis::replies {

/// A bulk string (or, with `k`, a status or an error line).
inline reply text(std::string t, reply::kind k = reply::kind::string) {
  reply r;
  r.type = k;
  r.text = std::move(t);
  return r;
}

inline reply integer(long long v) {
  reply r;
  r.type = reply::kind::integer;
  r.integer = v;
  return r;
}

inline reply array(std::vector<reply> elements) {
  reply r;
  r.type = reply::kind::array;
  r.elements = std::move(elements);
  return r;
}

inline reply error_reply(std::string t) { return text(std::move(t), reply::kind::error); }
inline reply ok() { return text("OK", reply::kind::status); }
inline reply nil() { return reply{}; }

}  // namespace bakewind::redis::replies
