#include "http/dispatcher.hpp"

#include "core/error.hpp"
#include "core/ids.hpp"
#include "core/json.hpp"
#include "core/log.hpp"

#include <boost/asio/error.hpp>
#include <boost/system/system_error.hpp>

#include <chrono>

namespace bakewind::http {
namespace {

namespace asio = boost::asio;

bool is_json_content_type(std::string_view type) {
  const auto semi = type.find(';');
  auto base = type.substr(0, semi);
  while (!base.empty() && base.back() == ' ') base.remove_suffix(1);
  if (base.size() < 4) return false;
  // application/json, and any +json type (application/merge-patch+json).
  auto ends_with_ci = [&](std::string_view suffix) {
    if (base.size() < suffix.size()) return false;
    for (std::size_t i = 0; i < suffix.size(); ++i) {
      const char c = base[base.size() - suffix.size() + i];
      if (static_cast<char>(c | 0x20) != suffix[i]) return false;
    }
    return true;
  };
  return ends_with_ci("/json") || ends_with_ci("+json");
}

// The path is logged without its query: a WebSocket's `?access_token=` and
// the like never reach a log line.
void log_access(const request& req, unsigned status, std::chrono::steady_clock::duration took, core::access_log mode) {
  if (!core::access_logged(mode, status)) return;
  if (!core::log_enabled(core::log_level::info)) return;
  core::log_info("request", {{"method", req.verb_text},
                             {"route", req.route.empty() ? std::string_view("-") : req.route},
                             {"path", req.path},
                             {"status", status},
                             {"durationMs", std::chrono::nanoseconds(took)},
                             {"requestId", req.request_id},
                             {"userId", req.user_id.empty() ? std::string_view("-") : std::string_view(req.user_id)},
                             {"remote", req.remote_address}});
}

// What a client is told about a failed dependency: its role, never its
// address or the error it gave (that goes to the log).
std::string_view not_answering(std::string_view dependency) {
  if (dependency == "postgres") return "the database is not answering";
  if (dependency == "redis") return "the in-memory store is not answering";
  return "a service it depends on is not answering";
}

// The 503 of a route that cannot be served now: "<what the route serves>
// unavailable: <why>" ("Orders are unavailable: the database is not
// answering"), with Retry-After.
response unavailable(const router& routes, const request& req, std::string_view why) {
  response res = error_response(503, std::string(routes.service_at(req.route)) + " unavailable: " + std::string(why));
  add_retry_after(res);
  return res;
}

// Maps what a handler threw: client errors to their 4xx, dependency failures
// to a 503 that names what is unavailable and when to try again, a
// cancellation (shutdown) to a 503 saying so, anything else to a 500 that
// says nothing.
response response_for(const std::exception_ptr& failure, const request& req, const router& routes) {
  try {
    std::rethrow_exception(failure);
  } catch (const http_error& e) {
    return error_response_value(e.status(), e.message(), e.extra());
  } catch (const core::unavailable_error& e) {
    core::log_error("dependency unavailable",
                    {{"dependency", e.dependency()}, {"detail", e.what()}, {"requestId", req.request_id}});
    return unavailable(routes, req, not_answering(e.dependency()));
  } catch (const boost::system::system_error& e) {
    if (e.code() == asio::error::operation_aborted) {
      // Cancelled: the server is shutting down past its grace period. Not a
      // bug, not a store down; the client may try another instance.
      core::log_info("request cancelled", {{"detail", e.what()}, {"requestId", req.request_id}});
      return unavailable(routes, req, "this instance is shutting down");
    }
    core::log_error("unhandled error", {{"detail", e.what()}, {"requestId", req.request_id}});
  } catch (const std::exception& e) {
    core::log_error("unhandled error", {{"detail", e.what()}, {"requestId", req.request_id}});
  } catch (...) {
    core::log_error("unhandled error", {{"requestId", req.request_id}});
  }
  // Nest's shape for an unknown exception: no "error" field.
  return json_response(500, boost::json::object{{"statusCode", 500}, {"message", "Internal server error"}});
}

}  // namespace

asio::awaitable<ws_accept> dispatcher::upgrade(request& req, const ws_handler& h) const {
  const auto started = std::chrono::steady_clock::now();
  req.request_id = choose_request_id(req.header("X-Request-Id"));
  ws_accept accept;
  try {
    accept = co_await h(req);
  } catch (...) {
    accept = ws_accept{};
    accept.reject = response_for(std::current_exception(), req, routes_);
  }
  unsigned status = 101;
  if (accept.reject) {
    accept.reject->headers.emplace_back("X-Request-Id", req.request_id);
    cors_.apply(req, *accept.reject);
    status = accept.reject->status;
  }
  finish(req, status, started);
  co_return accept;
}

std::string choose_request_id(std::optional<std::string_view> sent) {
  if (sent && !sent->empty() && sent->size() <= 128) {
    bool safe = true;
    for (const char c : *sent) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                      c == '_' || c == '.' || c == ':';
      safe = safe && ok;
    }
    if (safe) return std::string(*sent);
  }
  return core::fast_uuid();
}

asio::awaitable<response> dispatcher::route(request& req) const {
  const auto found = routes_.match(req);
  if (found.kind == route_match::not_found) {
    co_return error_response(404, "Cannot " + req.verb_text + " " + req.target);
  }
  if (found.kind == route_match::method_not_allowed) {
    req.route = found.pattern;
    response res = error_response(405, "Cannot " + req.verb_text + " " + req.path);
    res.headers.emplace_back("Allow", found.allowed);
    co_return res;
  }
  if (!req.body.empty()) {
    const auto type = req.header("Content-Type");
    if (type && is_json_content_type(*type)) {
      req.json = core::parse_json(req.body);
      if (!req.json) co_return error_response(400, "Malformed JSON body");
    }
  }
  response res = co_await (*found.target)(req);
  co_return res;
}

asio::awaitable<response> dispatcher::handle(request& req) const {
  const auto started = std::chrono::steady_clock::now();
  req.request_id = choose_request_id(req.header("X-Request-Id"));
  if (cors_policy::is_preflight(req)) {
    response res = cors_.preflight(req);
    res.headers.emplace_back("X-Request-Id", req.request_id);
    // Counted under the route it asks about (OPTIONS itself is never routed).
    const auto found = routes_.match(req);
    if (found.kind != route_match::not_found) req.route = found.pattern;
    finish(req, res.status, started);
    co_return res;
  }
  response res;
  try {
    res = co_await route(req);
  } catch (...) {
    res = response_for(std::current_exception(), req, routes_);
  }
  res.headers.emplace_back("X-Request-Id", req.request_id);
  cors_.apply(req, res);
  finish(req, res.status, started);
  co_return res;
}

response dispatcher::unreadable(unsigned status, std::string request_id, std::string_view remote) const {
  if (core::access_logged(access_log_, status)) {
    core::log_info("request rejected", {{"status", status}, {"requestId", request_id}, {"remote", remote}});
  }
  if (metrics_ != nullptr) metrics_->observe(method::other, {}, static_cast<int>(status), {});
  response res = status == 413 ? error_response(413, "Request body is larger than 1 MiB")
                               : error_response(status, reason_phrase(status));
  res.headers.emplace_back("X-Request-Id", std::move(request_id));
  res.close = true;
  return res;
}

void dispatcher::finish(const request& req, unsigned status, std::chrono::steady_clock::time_point started) const {
  const auto took = std::chrono::steady_clock::now() - started;
  log_access(req, status, took, access_log_);
  if (metrics_ != nullptr) metrics_->observe(req.verb, req.route, static_cast<int>(status), took);
}

}  // namespace bakewind::http
