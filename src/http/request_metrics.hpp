#pragma once
// Requests and their latency by (method, route pattern, status), for
// `http_requests_total` and `http_request_duration_seconds`. Labels stay
// bounded: the route is the matched pattern (or "unmatched"), never a path;
// the method is one of the router's; statuses come from a fixed list.

#include "http/request.hpp"
#include "observability/registry.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace bakewind::http {

class request_metrics {
 public:
  request_metrics();
  ~request_metrics();
  request_metrics(const request_metrics&) = delete;
  request_metrics& operator=(const request_metrics&) = delete;

  /// Declares the route patterns, before serving (not thread-safe). A
  /// pattern declared twice (every loop has the same routes) is one route.
  void declare(std::string_view pattern);

  /// Counts one answered request. `route` is the matched pattern or empty;
  /// an undeclared pattern counts as "unmatched". Thread-safe, lock-free.
  void observe(method verb, std::string_view route, int status, std::chrono::steady_clock::duration took) noexcept;

  /// Adds the two families to `to`; `this` must outlive it.
  void register_with(observability::registry& to) const;

 private:
  static constexpr std::size_t method_count = 8;  ///< http::method's values
  static constexpr std::size_t status_count = 30;  ///< the known statuses, "other" last

  struct route_series {
    explicit route_series(std::string p) : pattern(std::move(p)) {}
    ~route_series();
    std::string pattern;
    /// Allocated on first use: most (method, status) pairs never happen.
    std::array<std::array<std::atomic<observability::latency_histogram*>, status_count>, method_count> cells{};
  };

  route_series& series_for(std::string_view route) noexcept;

  std::unordered_map<std::string_view, std::unique_ptr<route_series>> routes_;
  std::unique_ptr<route_series> unmatched_;
};

}  // namespace bakewind::http
