#include "app/auth_context.hpp"

#include "http/response.hpp"

#include <algorithm>

namespace bakewind::app {

namespace asio = boost::asio;

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string_view bearer_token(const http::request& req) {
  const auto header = req.header("Authorization");
  if (!header || header->size() < 8 || !iequals(header->substr(0, 7), "Bearer ")) return {};
  return trim(header->substr(7));
}

redis::budget request_budget(const auth_context& ctx) {
  return redis::budget(ctx.cfg.redis_request_budget);
}

asio::awaitable<auth::principal> authenticate(http::request& req, auth_context& ctx, redis::budget& budget) {
  auth::principal who = co_await authenticate_token(bearer_token(req), ctx, budget);
  req.user_id = who.user_id;
  co_return who;
}

asio::awaitable<auth::principal> authenticate(http::request& req, auth_context& ctx) {
  auto budget = request_budget(ctx);
  auth::principal who = co_await authenticate(req, ctx, budget);
  co_return who;
}

asio::awaitable<auth::principal> authenticate_token(std::string_view token, auth_context& ctx,
                                                    redis::budget& budget) {
  auto who = ctx.tokens.verify_access(token);
  if (!who) throw http::http_error(401, "Unauthorized");
  const bool revoked = co_await ctx.revocation.is_revoked(who->jti, who->user_id, who->issued_ms, budget);
  if (revoked) throw http::http_error(401, "Token has been revoked");
  co_return std::move(*who);
}

void require_manager(const auth::principal& who) {
  if (who.role != "owner" && who.role != "admin") throw http::http_error(403, "Forbidden");
}

std::string client_ip(const http::request& req, const std::vector<std::string>& trusted) {
  auto is_trusted = [&](std::string_view ip) { return std::find(trusted.begin(), trusted.end(), ip) != trusted.end(); };
  if (!is_trusted(req.remote_address)) return req.remote_address;
  const auto forwarded = req.header("X-Forwarded-For");
  if (!forwarded) return req.remote_address;
  // Walk from the nearest hop outwards; the first one we do not trust is the client.
  std::string_view rest = *forwarded;
  std::string_view hop;
  while (!rest.empty()) {
    const auto comma = rest.rfind(',');
    hop = trim(comma == std::string_view::npos ? rest : rest.substr(comma + 1));
    if (!hop.empty() && !is_trusted(hop)) return std::string(hop);
    if (comma == std::string_view::npos) break;
    rest = rest.substr(0, comma);
  }
  return hop.empty() ? req.remote_address : std::string(hop);
}

}  // namespace bakewind::app
