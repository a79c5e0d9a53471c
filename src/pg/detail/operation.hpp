#pragma once
// Internals shared by the files that implement pg::connection (connection.cpp,
// query.cpp, pipeline.cpp). Not for use outside src/pg.

#include "pg/connection.hpp"
#include "pg/param.hpp"
#include "pg/stats.hpp"

#include <chrono>
#include <vector>

namespace bakewind::pg {

/// One statement's hold on its connection, from the first byte sent to the
/// last result read. Claiming a connection that is busy throws
/// std::logic_error; one that is broken, core::unavailable_error. A
/// statement abandoned midway (an exception, or its coroutine destroyed)
/// leaves libpq mid-protocol, so the connection is broken unless complete()
/// was reached. With `timed_into`, the statement is timed there: a completed
/// one (answered, even if rejected) into the latency histogram, any other
/// into the errors.
class connection::operation {
 public:
  operation(connection& c, pg::stats* timed_into);
  ~operation();
  operation(const operation&) = delete;
  operation& operator=(const operation&) = delete;
  /// The exchange with the server finished: the connection is in step with it.
  void complete() noexcept { completed_ = true; }

 private:
  connection& conn_;
  pg::stats* stats_;
  std::chrono::steady_clock::time_point started_;
  bool completed_ = false;
};

namespace detail {

/// `params` as libpq takes them: NUL-terminated texts, null for SQL NULL;
/// valid while `params` lives unchanged.
inline std::vector<const char*> values_of(const std::vector<param>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const param& p : params) values.push_back(p.c_str());
  return values;
}

}  // namespace detail

}  // namespace bakewind::pg
