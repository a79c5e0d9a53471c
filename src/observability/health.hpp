#pragma once
// Readiness checks: each dependency registers one probe; `run` runs them all
// at once and reports `{"status", "checks": {name: {"status","latencyMs"[,"error"]}}}`
// within a fixed time, so that a load balancer's check of /health/ready
// tells a live instance with a slow store (an answer: 503) from a frozen
// instance (no answer). Probes are the caller's (pg ping, redis PING): this
// layer knows no client.

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace bakewind::observability {

/// Completes when the dependency answered; throws with a loggable reason otherwise.
/// A probe must bound its own wait (it may outlive the report that started it).
using probe = std::function<boost::asio::awaitable<void>()>;

struct readiness_report {
  bool ok = true;
  boost::json::object body;  ///< API.md's /health/ready body
};

class readiness {
 public:
  /// A report takes at most `limit`.
  explicit readiness(std::chrono::milliseconds limit) : limit_(limit) {}

  /// Adds a named probe ("postgres", "redis").
  void add(std::string name, probe p);

  /// Starts every probe at once and builds the report when all have ended
  /// or `limit` has passed: a probe still running then counts as down ("no
  /// answer within N ms") and ends in the background. Never throws. Call it
  /// on the executor the probes use (an event loop's: one thread).
  boost::asio::awaitable<readiness_report> run() const;

 private:
  std::chrono::milliseconds limit_;
  std::vector<std::pair<std::string, probe>> probes_;
};

}  // namespace bakewind::observability
