#include "http/request_metrics.hpp"

#include <algorithm>

namespace bakewind::http {

namespace {

// Every status this server answers, and a few a proxy might expect; any
// other is counted as "other" so that the label set stays fixed.
constexpr std::array<int, 29> known_statuses = {101, 200, 201, 202, 204, 206, 301, 302, 304, 400,
                                                401, 403, 404, 405, 406, 408, 409, 410, 411, 413,
                                                414, 415, 422, 426, 429, 431, 500, 501, 503};

std::size_t status_slot(int status) noexcept {
  const auto* it = std::find(known_statuses.begin(), known_statuses.end(), status);
  return static_cast<std::size_t>(it - known_statuses.begin());  // == size(): "other"
}

std::string status_label(std::size_t slot) {
  return slot < known_statuses.size() ? std::to_string(known_statuses[slot]) : std::string("other");
}

constexpr std::string_view unmatched_route = "unmatched";

}  // namespace

request_metrics::route_series::~route_series() {
  for (auto& row : cells) {
    for (auto& cell : row) delete cell.load(std::memory_order_acquire);
  }
}

request_metrics::request_metrics()
    : unmatched_(std::make_unique<route_series>(std::string(unmatched_route))) {
  static_assert(status_count == known_statuses.size() + 1);
}

request_metrics::~request_metrics() = default;

void request_metrics::declare(std::string_view pattern) {
  if (routes_.contains(pattern)) return;
  auto series = std::make_unique<route_series>(std::string(pattern));
  const std::string_view key = series->pattern;
  routes_.emplace(key, std::move(series));
}

request_metrics::route_series& request_metrics::series_for(std::string_view route) noexcept {
  if (route.empty()) return *unmatched_;
  const auto it = routes_.find(route);
  return it == routes_.end() ? *unmatched_ : *it->second;
}

void request_metrics::observe(method verb, std::string_view route, int status,
                              std::chrono::steady_clock::duration took) noexcept {
  auto& cell = series_for(route).cells[static_cast<std::size_t>(verb) % method_count][status_slot(status)];
  auto* h = cell.load(std::memory_order_acquire);
  if (h == nullptr) {
    // Two loops may race to create it: one wins, the other frees its copy.
    auto* fresh = new (std::nothrow) observability::latency_histogram();
    if (fresh == nullptr) return;
    observability::latency_histogram* expected = nullptr;
    if (cell.compare_exchange_strong(expected, fresh, std::memory_order_acq_rel)) {
      h = fresh;
    } else {
      delete fresh;
      h = expected;
    }
  }
  h->observe(took);
}

void request_metrics::register_with(observability::registry& to) const {
  // Both families walk the same cells; a scrape reads each histogram once
  // per family, which is cheap (a few hundred atomics).
  auto walk = [this](auto&& emit) {
    std::vector<const route_series*> all;
    for (const auto& [_, series] : routes_) all.push_back(series.get());
    std::sort(all.begin(), all.end(), [](auto* a, auto* b) { return a->pattern < b->pattern; });
    all.push_back(unmatched_.get());
    for (const auto* series : all) {
      for (std::size_t m = 0; m < method_count; ++m) {
        for (std::size_t s = 0; s < status_count; ++s) {
          const auto* h = series->cells[m][s].load(std::memory_order_acquire);
          if (h == nullptr) continue;
          const std::string status = status_label(s);
          emit(method_name(static_cast<method>(m)), series->pattern, status, h->snapshot());
        }
      }
    }
  };
  to.add("http_requests_total", observability::metric_type::counter, "HTTP requests by method, route and status",
         [walk](observability::family_writer& w) {
           walk([&](std::string_view m, std::string_view r, std::string_view s, const auto& snap) {
             w.sample({{"method", m}, {"route", r}, {"status", s}}, snap.count);
           });
         });
  to.add("http_request_duration_seconds", observability::metric_type::histogram,
         "HTTP request latency by method, route and status", [walk](observability::family_writer& w) {
           walk([&](std::string_view m, std::string_view r, std::string_view s, const auto& snap) {
             w.histogram({{"method", m}, {"route", r}, {"status", s}}, snap);
           });
         });
}

}  // namespace bakewind::http
