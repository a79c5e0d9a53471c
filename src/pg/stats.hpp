#pragma once
// What a pool has seen, for /metrics. Written on the pool's loop, read by
// the scrape from any thread: every field is atomic.

#include "observability/metric_types.hpp"

#include <atomic>
#include <cstdint>

namespace bakewind::pg {

struct stats {
  std::atomic<std::uint64_t> open{0};    ///< connections open or being opened
  std::atomic<std::uint64_t> in_use{0};  ///< of those, borrowed
  observability::counter waits;          ///< acquires that had to wait for a connection
  /// Failures with no answer from the server: connect failures, timeouts,
  /// lost connections. A statement the server rejected is not one.
  observability::counter errors;
  observability::latency_histogram query_latency;  ///< statements answered (accepted or rejected)
};

}  // namespace bakewind::pg
