#include "http/cors.hpp"

#include <algorithm>

namespace bakewind::http {
namespace {

constexpr std::string_view allowed_methods = "GET,HEAD,PUT,PATCH,POST,DELETE";
constexpr std::string_view default_allowed_headers = "Authorization,Content-Type,X-Request-Id,X-Lock-Session";
constexpr std::string_view exposed_headers = "X-Request-Id,Retry-After";

}  // namespace

bool cors_policy::allowed(std::string_view origin) const {
  return std::find(origins_.begin(), origins_.end(), origin) != origins_.end();
}

bool cors_policy::is_preflight(const request& req) {
  return req.verb == method::options && req.header("Origin") && req.header("Access-Control-Request-Method");
}

response cors_policy::preflight(const request& req) const {
  response res = empty_response(204);
  res.headers.emplace_back("Vary", "Origin, Access-Control-Request-Headers");
  const auto origin = req.header("Origin");
  if (!origin || !allowed(*origin)) return res;
  res.headers.emplace_back("Access-Control-Allow-Origin", std::string(*origin));
  res.headers.emplace_back("Access-Control-Allow-Credentials", "true");
  res.headers.emplace_back("Access-Control-Allow-Methods", std::string(allowed_methods));
  // Reflect what the browser asks for, as the cors middleware does.
  const auto asked = req.header("Access-Control-Request-Headers");
  res.headers.emplace_back("Access-Control-Allow-Headers",
                           std::string(asked && !asked->empty() ? *asked : default_allowed_headers));
  res.headers.emplace_back("Access-Control-Max-Age", "600");
  return res;
}

void cors_policy::apply(const request& req, response& res) const {
  const auto origin = req.header("Origin");
  if (!origin) return;
  res.headers.emplace_back("Vary", "Origin");
  if (!allowed(*origin)) return;
  res.headers.emplace_back("Access-Control-Allow-Origin", std::string(*origin));
  res.headers.emplace_back("Access-Control-Allow-Credentials", "true");
  res.headers.emplace_back("Access-Control-Expose-Headers", std::string(exposed_headers));
}

}  // namespace bakewind::http
