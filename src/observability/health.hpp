#pragma once
// Readiness checks: each dependency registers one probe; `run` times them all
// and reports `{"status", "checks": {name: {"status","latencyMs"[,"error"]}}}`.
// Probes are the caller's (pg ping, redis PING): this layer knows no client.

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <functional>
#include <string>
#include <vector>

namespace bakewind::observability {

/// Completes when the dependency answered; throws with a loggable reason otherwise.
/// A probe must bound its own wait.
using probe = std::function<boost::asio::awaitable<void>()>;

struct readiness_report {
  bool ok = true;
  boost::json::object body;  ///< API.md's /health/ready body
};

class readiness {
 public:
  /// Adds a named probe ("postgres", "redis").
  void add(std::string name, probe p);

  /// Runs every probe and builds the report. Never throws.
  boost::asio::awaitable<readiness_report> run() const;

 private:
  std::vector<std::pair<std::string, probe>> probes_;
};

}  // namespace bakewind::observability
