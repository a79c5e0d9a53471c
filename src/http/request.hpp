#pragma once
// The request a route handler sees. It is Beast-free on purpose: handlers in
// app/ and the layers below never include Beast (DESIGN.md "Layers").

#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bakewind::http {

/// The methods the router knows; anything else is `other` (405 or 404).
enum class method { get, head, post, put, patch, del, options, other };

/// Parses an HTTP method token; `other` for anything unknown.
method method_from(std::string_view token) noexcept;

/// Canonical upper-case name ("GET", ...; "OTHER" for other).
std::string_view method_name(method m) noexcept;

/// Reads a header of the underlying message; case-insensitive name.
using header_lookup = std::optional<std::string_view> (*)(const void* message, std::string_view name);

struct request {
  http::method verb = method::other;
  std::string verb_text;              ///< the method as sent, for "Cannot X /path"
  std::string target;                 ///< the raw request target, e.g. "/api/v1/orders?limit=5"
  std::string path;                   ///< the target's path, still percent-encoded
  std::vector<std::string> segments;  ///< decoded path segments (trailing slash dropped)
  std::vector<std::pair<std::string, std::string>> query_params;       ///< decoded, in order
  std::vector<std::pair<std::string_view, std::string>> route_params;  ///< filled by the router
  std::string body;
  std::optional<boost::json::value> json;  ///< the parsed body when it was sent as JSON
  std::string request_id;
  std::string remote_address;
  std::string_view route;  ///< the matched pattern, for logs and metrics
  std::string user_id;     ///< the authenticated caller, for the access log; empty when none

  /// A header value, or nullopt. Valid while the request lives.
  std::optional<std::string_view> header(std::string_view name) const {
    return lookup_ != nullptr ? lookup_(message_, name) : std::nullopt;
  }

  /// The first value of a query parameter, or nullopt.
  std::optional<std::string_view> query(std::string_view name) const;

  /// How often a query parameter occurs (a repeated one is usually a 400).
  std::size_t query_count(std::string_view name) const;

  /// A `{name}` parameter of the matched route; empty when there is none.
  std::string_view param(std::string_view name) const;

  /// Binds header access to the transport's message (set by the server).
  void bind_headers(const void* message, header_lookup lookup) {
    message_ = message;
    lookup_ = lookup;
  }

 private:
  const void* message_ = nullptr;
  header_lookup lookup_ = nullptr;
};

}  // namespace bakewind::http
