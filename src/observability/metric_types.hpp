#pragma once
// The values behind /metrics: a counter and a latency histogram made of
// relaxed atomics. Written on any loop thread without a lock, read by the
// scrape from another; a figure may be a few events behind, never torn.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string_view>

namespace bakewind::observability {

/// A monotonically increasing count.
class counter {
 public:
  void inc(std::uint64_t n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

/// Upper bounds (seconds) of every latency histogram's buckets; +Inf follows.
/// From 100 µs (a Redis round trip on loopback) to 5 s (past every deadline).
inline constexpr std::array<double, 15> latency_bounds = {0.0001, 0.00025, 0.0005, 0.001, 0.0025,
                                                          0.005,  0.01,    0.025,  0.05,  0.1,
                                                          0.25,   0.5,     1,      2.5,   5};

/// The same bounds as `le` label values, written as people (and the
/// Prometheus client libraries) write them.
inline constexpr std::array<std::string_view, latency_bounds.size()> latency_bound_labels = {
    "0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025",
    "0.05",   "0.1",     "0.25",   "0.5",   "1",      "2.5",   "5"};

/// A copy of a histogram's figures at one moment: cumulative bucket counts
/// (the last is +Inf, which equals `count`) and the sum in seconds.
struct histogram_snapshot {
  std::array<std::uint64_t, latency_bounds.size() + 1> cumulative{};
  std::uint64_t count = 0;
  double sum_seconds = 0;

  /// Adds another snapshot (the same histogram of another loop).
  histogram_snapshot& operator+=(const histogram_snapshot& other) noexcept;
};

/// A latency histogram over `latency_bounds`.
class latency_histogram {
 public:
  /// Counts one observation.
  void observe(std::chrono::steady_clock::duration d) noexcept;

  /// The figures now. The count is the sum of the buckets read, so the
  /// exposition is always self-consistent.
  histogram_snapshot snapshot() const noexcept;

 private:
  std::array<std::atomic<std::uint64_t>, latency_bounds.size() + 1> buckets_{};  ///< non-cumulative
  std::atomic<std::uint64_t> sum_ns_{0};
};

}  // namespace bakewind::observability
