#pragma once
// What a client has seen, for /health and /metrics. Written by the client's
// loop, read from anywhere: every field is atomic.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>

namespace bakewind::redis {

struct stats {
  /// Upper bounds (microseconds) of the command latency histogram buckets; the last is +Inf.
  static constexpr std::array<std::uint64_t, 12> latency_bounds_us = {50,   100,   250,   500,    1000,   2500,
                                                                     5000, 10000, 25000, 100000, 500000, UINT64_MAX};

  std::atomic<std::uint64_t> connects{0};     ///< successful connects (handshake done)
  std::atomic<std::uint64_t> reconnects{0};   ///< connects after the first
  std::atomic<std::uint64_t> errors{0};       ///< connection errors, timeouts, protocol errors
  std::atomic<std::uint64_t> commands{0};     ///< replies received
  std::atomic<bool> connected{false};         ///< a ready connection exists now
  std::atomic<std::int64_t> connected_since_ms{0};  ///< system clock, ms since epoch; 0 when not connected
  std::array<std::atomic<std::uint64_t>, latency_bounds_us.size()> latency_buckets{};  ///< non-cumulative counts
  std::atomic<std::uint64_t> latency_sum_us{0};

  /// Counts one command's round trip.
  void observe_latency(std::chrono::steady_clock::duration d) noexcept {
    const auto us = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(d).count());
    std::size_t i = 0;
    while (us > latency_bounds_us[i]) ++i;
    latency_buckets[i].fetch_add(1, std::memory_order_relaxed);
    latency_sum_us.fetch_add(us, std::memory_order_relaxed);
  }
};

}  // namespace bakewind::redis
