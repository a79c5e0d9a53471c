#pragma once
// Helpers for the black-box tests of issue 6 (API.md "Health and metrics"):
// a service on its own Redis and database, /health polled until its counts
// say what the test did, and the Prometheus exposition read back as numbers.

#include "locks_helpers.hpp"

#include <gtest/gtest.h>

#include <map>
#include <sstream>

namespace bakewind::test::observability_e2e {

using namespace locks_e2e;  // NOLINT: accounts, orders and lock calls are this file's vocabulary
using namespace std::chrono_literals;

/// Its own Redis (so that a SCAN counts only this test's keys) and database.
using setup = solo_service;

/// GET /health, parsed.
inline boost::json::object health(std::uint16_t port) { return json_of(http_call(port, "GET", "/health")); }

/// The three counts of /health, or {-1,-1,-1} when `counts` is null.
struct counts {
  std::int64_t locks = -1;
  std::int64_t revoked = -1;
  std::int64_t transfers = -1;
  bool operator==(const counts&) const = default;
};

inline std::ostream& operator<<(std::ostream& os, const counts& c) {
  return os << "{locks " << c.locks << ", revoked " << c.revoked << ", transfers " << c.transfers << "}";
}

inline counts counts_of(const boost::json::object& h) {
  if (!h.at("counts").is_object()) return {};
  const auto& c = h.at("counts").as_object();
  return {c.at("activeOrderLocks").as_int64(), c.at("revokedTokens").as_int64(),
          c.at("pendingTransferSessions").as_int64()};
}

/// Polls /health until its counts equal `want` (the figures are counted in
/// the background: a request asks for a new count, never waits for one);
/// the last counts seen.
inline counts wait_for_counts(std::uint16_t port, const counts& want, std::chrono::milliseconds limit = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  counts seen;
  while (std::chrono::steady_clock::now() < deadline) {
    seen = counts_of(health(port));
    if (seen == want) return seen;
    std::this_thread::sleep_for(100ms);
  }
  return seen;
}

/// GET /metrics with an optional bearer token.
inline http_reply scrape(std::uint16_t port, const std::string& token = {}) {
  return http_call(port, "GET", "/metrics", {}, token.empty() ? std::string() : bearer(token));
}

/// Every sample of an exposition: `name{labels}` exactly as written -> value.
inline std::map<std::string, double> samples_of(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto space = line.rfind(' ');
    out[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return out;
}

/// The value of one series (0 when absent: a counter not yet moved).
inline double sample(const std::map<std::string, double>& all, const std::string& series) {
  const auto it = all.find(series);
  return it == all.end() ? 0 : it->second;
}

inline std::map<std::string, double> metrics_now(std::uint16_t port) {
  const auto r = scrape(port);
  if (r.status != 200) throw std::runtime_error("/metrics: " + std::to_string(r.status) + " " + r.body);
  return samples_of(r.body);
}

/// POST /api/v1/auth/transfer with the account's own tokens; the session id.
inline std::string hand_off(std::uint16_t port, const account& a) {
  const auto r = authed(port, "POST", "/api/v1/auth/transfer", a.access,
                        core::to_json(boost::json::object{{"refreshToken", a.refresh}}));
  if (r.status != 201) throw std::runtime_error("transfer: " + std::to_string(r.status) + " " + r.body);
  return std::string(json_of(r).at("sessionId").as_string());
}

inline http_reply claim(std::uint16_t port, const std::string& session_id) {
  return post(port, "/api/v1/auth/transfer/claim", core::to_json(boost::json::object{{"sessionId", session_id}}));
}

}  // namespace bakewind::test::observability_e2e
