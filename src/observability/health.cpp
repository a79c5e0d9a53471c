#include "observability/health.hpp"

#include <chrono>
#include <cmath>
#include <exception>

namespace bakewind::observability {

namespace asio = boost::asio;

void readiness::add(std::string name, probe p) {
  probes_.emplace_back(std::move(name), std::move(p));
}

asio::awaitable<readiness_report> readiness::run() const {
  readiness_report report;
  boost::json::object checks;
  for (const auto& [name, check] : probes_) {
    const auto started = std::chrono::steady_clock::now();
    std::string error;
    try {
      co_await check();
    } catch (const std::exception& e) {
      error = e.what();
      if (error.empty()) error = "check failed";
    }
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    boost::json::object entry;
    entry["status"] = error.empty() ? "up" : "down";
    entry["latencyMs"] = std::round(ms * 1000) / 1000;
    if (!error.empty()) {
      entry["error"] = error;
      report.ok = false;
    }
    checks[name] = std::move(entry);
  }
  report.body["status"] = report.ok ? "ok" : "error";
  report.body["checks"] = std::move(checks);
  co_return report;
}

}  // namespace bakewind::observability
