#pragma once
// CORS for the configured origins (CORS_ORIGINS), answering preflights the way
// the `cors` middleware of a NestJS app does: 204 for any preflight, with the
// allow headers only for an allowed origin.

#include "http/request.hpp"
#include "http/response.hpp"

#include <string>
#include <vector>

namespace bakewind::http {

class cors_policy {
 public:
  explicit cors_policy(std::vector<std::string> origins) : origins_(std::move(origins)) {}

  /// True for an OPTIONS request carrying Origin and Access-Control-Request-Method.
  static bool is_preflight(const request& req);

  /// The 204 answer to a preflight.
  response preflight(const request& req) const;

  /// Adds the headers a simple (non-preflight) response needs for `req`'s Origin.
  void apply(const request& req, response& res) const;

 private:
  bool allowed(std::string_view origin) const;

  std::vector<std::string> origins_;
};

}  // namespace bakewind::http
