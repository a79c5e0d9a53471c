#include "observability/metric_types.hpp"

namespace bakewind::observability {

namespace {

// The bounds in nanoseconds, so that observing is integer compares only.
constexpr auto bounds_ns = [] {
  std::array<std::int64_t, latency_bounds.size()> out{};
  for (std::size_t i = 0; i < latency_bounds.size(); ++i) {
    out[i] = static_cast<std::int64_t>(latency_bounds[i] * 1e9 + 0.5);
  }
  return out;
}();

}  // namespace

histogram_snapshot& histogram_snapshot::operator+=(const histogram_snapshot& other) noexcept {
  for (std::size_t i = 0; i < cumulative.size(); ++i) cumulative[i] += other.cumulative[i];
  count += other.count;
  sum_seconds += other.sum_seconds;
  return *this;
}

void latency_histogram::observe(std::chrono::steady_clock::duration d) noexcept {
  const auto ns = std::max<std::int64_t>(0, std::chrono::duration_cast<std::chrono::nanoseconds>(d).count());
  std::size_t i = 0;
  while (i < bounds_ns.size() && ns > bounds_ns[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(static_cast<std::uint64_t>(ns), std::memory_order_relaxed);
}

histogram_snapshot latency_histogram::snapshot() const noexcept {
  histogram_snapshot s;
  std::uint64_t running = 0;
  for (std::size_t i = 0; i < buckets_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    s.cumulative[i] = running;
  }
  s.count = running;
  s.sum_seconds = static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9;
  return s;
}

}  // namespace bakewind::observability
