#pragma once
// What a client has seen, for /health and /metrics. Written by the client's
// loop, read from anywhere: every field is atomic.

#include "observability/metric_types.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string_view>

namespace bakewind::redis {

/// The commands whose latency is kept apart (lower case, as labelled in
/// /metrics); every other command is timed as "other", the last entry.
inline constexpr std::array<std::string_view, 27> timed_commands = {
    "get",    "set",     "mget",   "getdel",  "del",     "exists", "expire",   "ttl",   "pttl",
    "incr",   "hset",    "eval",   "evalsha", "script",  "publish", "ping",    "info",  "scan",
    "sadd",   "srem",    "smembers", "auth",  "select",  "client", "quit",     "subscribe", "other"};

/// The slot in `timed_commands` of the command a RESP-encoded request
/// (`*N\r\n$L\r\nNAME...`) starts with; "other" when it is not one of them.
std::size_t command_slot(std::string_view encoded) noexcept;

struct stats {
  std::atomic<std::uint64_t> connects{0};     ///< successful connects (handshake done)
  std::atomic<std::uint64_t> reconnects{0};   ///< connects after the first
  std::atomic<std::uint64_t> errors{0};       ///< connection errors, timeouts, protocol errors
  std::atomic<std::uint64_t> commands{0};     ///< replies received
  std::atomic<bool> connected{false};         ///< a ready connection exists now
  std::atomic<std::int64_t> connected_since_ms{0};  ///< system clock, ms since epoch; 0 when not connected
  std::atomic<std::uint64_t> queued{0};       ///< commands waiting for a connection (sampled every 50 ms)
  std::atomic<bool> not_answering{false};     ///< held as not answering now (command_queue::stop_waiting)
  std::atomic<std::uint64_t> not_answering_episodes{0};  ///< times it was declared not answering
  std::atomic<std::uint64_t> refused{0};      ///< commands failed at once while it was not answering
  std::array<observability::latency_histogram, timed_commands.size()> latency;  ///< round trips, by command

  /// Counts one command's round trip.
  void observe_latency(std::size_t command, std::chrono::steady_clock::duration d) noexcept {
    latency[command < latency.size() ? command : latency.size() - 1].observe(d);
  }
};

}  // namespace bakewind::redis
