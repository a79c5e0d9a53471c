#include "app/auth_routes.hpp"

#include "app/live_events.hpp"
#include "app/request_bodies.hpp"
#include "app/route_support.hpp"
#include "core/error.hpp"
#include "core/json.hpp"
#include "http/response.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>

namespace bakewind::app {

namespace {

// API.md's token pair, its members written into `w`; the caller closes it.
core::object_writer& write_tokens(core::object_writer& w, const auth::token_pair& t) {
  return w.string("accessToken", t.access_token).string("refreshToken", t.refresh_token).integer("expiresIn", t.expires_in);
}

// A JSON body written by `write(std::string&)`: no document is built.
template <class Write>
response json_text(unsigned status, Write&& write) {
  response r;
  r.status = status;
  write(r.body);
  return r;
}

// The pair alone, as refresh answers it.
response tokens_only(const auth::token_pair& t) {
  return json_text(200, [&](std::string& out) {
    core::object_writer w(out);
    write_tokens(w, t).close();
  });
}

// The pair and the user they were issued to, as register and login answer.
response tokens_and_user(unsigned status, const auth::token_pair& t, const auth::user& u) {
  return json_text(status, [&](std::string& out) {
    core::object_writer w(out);
    write_tokens(w, t);
    append_user(w.member("user"), u);
    w.close();
  });
}

response too_many(const auth::rate_decision& d, observability::counter& refused) {
  refused.inc();
  response r = http::error_response(429, "Too Many Requests");
  r.headers.emplace_back("Retry-After", std::to_string(d.retry_after_s));
  return r;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

asio::awaitable<response> do_register(request& req, auth_context& ctx) {
  auto budget = request_budget(ctx);
  auto [email, password, name, bakery] = read_register(req);
  const auto ip = client_ip(req, ctx.cfg.trusted_proxies);
  const auto limit = co_await ctx.limiter.hit("register:" + ip, ctx.cfg.rate_limit_register_per_hour,
                                              std::chrono::hours(1), budget);
  if (!limit.allowed) co_return too_many(limit, ctx.counters.register_limited);
  auto hash = co_await ctx.hasher.hash(std::move(password));
  auto created = co_await ctx.users.create_owner(std::move(email), std::move(hash), std::move(name), std::move(bakery));
  if (!created) throw http::http_error(409, "Email already registered");
  const auto pair = co_await ctx.tokens.issue(*created);
  co_return tokens_and_user(201, pair, *created);
}

asio::awaitable<response> do_login(request& req, auth_context& ctx) {
  auto budget = request_budget(ctx);
  auto [email, password] = read_login(req);
  const auto ip = client_ip(req, ctx.cfg.trusted_proxies);
  const auto per_email = co_await ctx.limiter.hit("login:" + ip + ":" + lower(email), ctx.cfg.rate_limit_login_per_min,
                                                  std::chrono::minutes(1), budget);
  if (!per_email.allowed) co_return too_many(per_email, ctx.counters.login_limited);
  const auto per_ip = co_await ctx.limiter.hit("login-ip:" + ip, ctx.cfg.rate_limit_login_ip_per_min,
                                               std::chrono::minutes(1), budget);
  if (!per_ip.allowed) co_return too_many(per_ip, ctx.counters.login_limited);
  auto found = co_await ctx.users.find_by_email(std::move(email));
  bool ok = false;
  if (found) {
    ok = co_await ctx.hasher.verify(found->password_hash, std::move(password));
  } else {
    ok = co_await ctx.hasher.verify_nobody(std::move(password));  // same cost, same answer
  }
  if (!ok) throw http::http_error(401, "Invalid credentials");
  const auto pair = co_await ctx.tokens.issue(found->user);
  co_return tokens_and_user(200, pair, found->user);
}

asio::awaitable<response> do_refresh(request& req, auth_context& ctx) {
  auto budget = request_budget(ctx);
  auto token = read_refresh_token(req);
  auto [check, pair] = co_await ctx.tokens.refresh(std::move(token), budget);
  if (check == auth::refresh_check::invalid) throw http::http_error(401, "Invalid refresh token");
  if (check == auth::refresh_check::revoked) throw http::http_error(401, "Token has been revoked");
  co_return tokens_only(pair);
}

// Tells every instance to close the WebSockets of what was revoked: in the
// background, outside the request's budget, so that it goes out also when
// Redis used the budget up (a notice of a revocation the record holds).
asio::awaitable<void> announce(auth_context& ctx, boost::json::object notice) {
  if (ctx.notices == nullptr) co_return;
  const auto ex = co_await asio::this_coro::executor;
  asio::co_spawn(ex, ctx.notices->publish(std::string(notice_channel_id), std::move(notice)), asio::detached);
}

// A revocation the record holds and Redis did not confirm in time: a 503,
// because an instance reading Redis (once it answers, before the background
// write lands) could still accept the token. Sending the logout again is safe.
void require_everywhere(const auth::logout_result& done) {
  if (!done.everywhere) throw core::unavailable_error("redis", "revocation recorded, not yet in redis");
}

asio::awaitable<response> do_logout(request& req, auth_context& ctx) {
  auto budget = request_budget(ctx);
  const auto who = co_await authenticate(req, ctx, budget);
  auto token = read_optional_refresh_token(req);
  const auth::logout_result done = co_await ctx.tokens.logout(who, std::move(token), budget);
  boost::json::object notice{{"type", "token.revoked"}, {"jti", who.jti}};
  co_await announce(ctx, std::move(notice));
  require_everywhere(done);
  co_return http::empty_response(204);
}

asio::awaitable<response> do_logout_all(request& req, auth_context& ctx) {
  auto budget = request_budget(ctx);
  const auto who = co_await authenticate(req, ctx, budget);
  const auth::logout_result done = co_await ctx.tokens.logout_all(who, budget);
  boost::json::object notice{{"type", "user.logged_out_all"}, {"userId", who.user_id}, {"cutoffMs", done.cutoff_ms}};
  co_await announce(ctx, std::move(notice));
  require_everywhere(done);
  co_return http::empty_response(204);
}

asio::awaitable<response> do_me(request& req, auth_context& ctx) {
  const auto who = co_await authenticate(req, ctx);
  const auto found = co_await auth::find_user(ctx.users, ctx.user_rows, who.user_id);
  if (!found) throw http::http_error(401, "Unauthorized");
  co_return json_text(200, [&](std::string& out) { append_user(out, *found); });
}

// The hand-off's answer is written straight into the body (the same bytes
// as a serialised object): no document to build on a hot route.
response session_response(const auth::transfer_session& s) {
  return json_text(201, [&](std::string& out) {
    out.reserve(s.session_id.size() + s.expires_at.size() + 32);
    core::object_writer(out).string("sessionId", s.session_id).string("expiresAt", s.expires_at).close();
  });
}

// A transfer whose body or refresh token fails before Redis is asked: the
// answers, and which comes first, as when every transfer authenticated
// first (a revoked access token is told before a bad body).
asio::awaitable<response> refuse_transfer(request& req, auth_context& ctx, redis::budget& budget) {
  co_await authenticate(req, ctx, budget);
  read_refresh_token(req);
  throw http::http_error(401, "Invalid refresh token");
}

asio::awaitable<response> do_transfer(request& req, auth_context& ctx) {
  auto budget = request_budget(ctx);
  auto who = ctx.tokens.verify_access(bearer_token(req));
  if (!who) throw http::http_error(401, "Unauthorized");
  req.user_id = who->user_id;
  std::string refresh_token;
  std::optional<auth::claims> refresh;
  try {
    refresh_token = read_refresh_token(req);
    refresh = ctx.tokens.refresh_claims(refresh_token, who->user_id);
  } catch (const http::http_error&) {
  }
  if (!refresh) {
    response refused = co_await refuse_transfer(req, ctx, budget);
    co_return refused;
  }
  // Both tokens' revocation checks and the SET in one round trip.
  const long long refresh_issued = auth::issued_ms(*refresh);
  auth::transfer_request hand_off{who->user_id,           std::move(who->token),   std::move(who->jti),
                                  who->issued_ms,         std::move(refresh_token), std::move(refresh->jti),
                                  refresh_issued};
  const auth::transfer_outcome out = co_await ctx.transfers.create(ctx.revocation, std::move(hand_off), budget);
  if (out.check == auth::transfer_check::access_revoked) throw http::http_error(401, "Token has been revoked");
  if (out.check == auth::transfer_check::refresh_revoked) throw http::http_error(401, "Invalid refresh token");
  ctx.counters.transfers_created.inc();
  co_return session_response(out.session);
}

asio::awaitable<response> do_claim(request& req, auth_context& ctx) {
  auto budget = request_budget(ctx);
  auto session_id = read_claim_session(req);
  const auto ip = client_ip(req, ctx.cfg.trusted_proxies);
  const auto limit = co_await ctx.limiter.hit("claim:" + ip, ctx.cfg.rate_limit_claim_per_min,
                                              std::chrono::minutes(1), budget);
  if (!limit.allowed) co_return too_many(limit, ctx.counters.claim_limited);
  auto grant = co_await ctx.transfers.claim(std::move(session_id), budget);
  if (!grant) {
    ctx.counters.claims_invalid.inc();
    throw http::http_error(401, "Invalid or expired transfer session");
  }
  ctx.counters.claims_ok.inc();
  response r;
  r.body = std::move(grant->json);
  co_return r;
}

asio::awaitable<response> do_create_user(request& req, auth_context& ctx) {
  const auto who = co_await authenticate(req, ctx);
  require_manager(who);
  auto [email, password, name, role] = read_new_user(req);
  auto hash = co_await ctx.hasher.hash(std::move(password));
  auto created = co_await ctx.users.create_member(who.bakery_id, std::move(email), std::move(hash), std::move(name),
                                                  std::move(role));
  if (!created) throw http::http_error(409, "Email already registered");
  co_return json_text(201, [&](std::string& out) { append_user(out, *created); });
}

asio::awaitable<response> do_list_users(request& req, auth_context& ctx) {
  const auto who = co_await authenticate(req, ctx);
  const auto users = co_await ctx.users.list_bakery(who.bakery_id);
  co_return json_text(200, [&](std::string& out) {
    out += R"({"items":[)";
    for (std::size_t i = 0; i < users.size(); ++i) {
      if (i > 0) out += ',';
      append_user(out, users[i]);
    }
    out += "]}";
  });
}

}  // namespace

void append_user(std::string& out, const auth::user& u) {
  core::object_writer(out)
      .string("id", u.id)
      .string("email", u.email)
      .string("name", u.name)
      .string("role", u.role)
      .string("bakeryId", u.bakery_id)
      .string("createdAt", u.created_at)
      .close();
}

void add_auth_routes(http::router& routes, auth_context& ctx) {
  routes.add(method::post, "/api/v1/auth/register", bind_route(do_register, ctx));
  routes.add(method::post, "/api/v1/auth/login", bind_route(do_login, ctx));
  routes.add(method::post, "/api/v1/auth/refresh", bind_route(do_refresh, ctx));
  routes.add(method::post, "/api/v1/auth/logout", bind_route(do_logout, ctx));
  routes.add(method::post, "/api/v1/auth/logout-all", bind_route(do_logout_all, ctx));
  routes.add(method::get, "/api/v1/auth/me", bind_route(do_me, ctx));
  routes.add(method::post, "/api/v1/auth/transfer", bind_route(do_transfer, ctx));
  routes.add(method::post, "/api/v1/auth/transfer/claim", bind_route(do_claim, ctx));
  routes.add(method::post, "/api/v1/users", bind_route(do_create_user, ctx));
  routes.add(method::get, "/api/v1/users", bind_route(do_list_users, ctx));
  routes.name_service("/api/v1/auth", "Sign-in is");
  routes.name_service("/api/v1/auth/transfer", "The hand-off to the dashboard is");
  routes.name_service("/api/v1/users", "Staff accounts are");
}

}  // namespace bakewind::app
