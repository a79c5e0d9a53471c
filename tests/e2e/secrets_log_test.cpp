// Issue 10, black-box: secrets never reach the log. A service at
// LOG_LEVEL=trace, with passwords in REDIS_URL and DATABASE_URL, goes through
// every flow that handles a secret (register, login, refresh, transfer and
// claim, users, locks, the WebSocket, logout, refused tokens); then its whole
// output, start-up and shutdown included, is searched for each token (and
// each signature alone), password, password hash (read from the database),
// transfer session id and store password. The store URLs must be logged,
// with the password masked.

#include "security_helpers.hpp"

#include <csignal>

namespace bakewind::test::security_e2e {
namespace {

const std::string k_redis_password = "Redis-Pa55word-in-the-url-7Q";
const std::string k_pg_password = "Pg-Pa55word-in-the-url-4K";

/// "postgres://postgres@host..." with `password` put in.
std::string with_password(const std::string& url, const std::string& password) {
  const auto at = url.find('@');
  if (at == std::string::npos) throw std::runtime_error("no user in " + url);
  return url.substr(0, at) + ":" + password + url.substr(at);
}

struct logged_service {
  logged_service()
      : redis(std::vector<std::string>{"--requirepass", k_redis_password}),
        db(migrated_database("secrets")),
        svc(service_env(with_password(db, k_pg_password),
                        "redis://:" + k_redis_password + "@127.0.0.1:" + std::to_string(redis.port()),
                        {{"LOG_LEVEL", "trace"}})) {}
  std::uint16_t port() const { return svc.port(); }
  redis_server redis;
  std::string db;
  service svc;
};

/// Collects secrets as the flows produce them.
struct secrets {
  std::vector<std::string> all;
  void token(const std::string& t) {
    all.push_back(t);
    all.push_back(split_jwt(t).signature);  // a truncated token in a log is still a leak
  }
  void pair(const account& a) {
    token(a.access);
    token(a.refresh);
  }
};

TEST(secrets_in_logs, no_token_password_hash_or_transfer_id_in_any_line_at_trace_level) {
  logged_service s;
  secrets found;
  found.all = {k_redis_password, k_pg_password};

  const std::string owner_password = "Owner-Secret-Pa55-X1";
  found.all.push_back(owner_password);
  auto owner = register_owner(s.port(), "logsec", owner_password);
  found.pair(owner);
  const std::string wrong = "Wrong-Guess-Pa55-Y2";
  found.all.push_back(wrong);
  ASSERT_EQ(post(s.port(), "/api/v1/auth/login", login_body(owner.email, wrong)).status, 401);
  owner = login(s.port(), owner.email, owner_password);
  found.pair(owner);

  const auto rotated = refresh(s.port(), owner.refresh);
  ASSERT_EQ(rotated.status, 200);
  found.token(std::string(json_of(rotated).at("accessToken").as_string()));
  const auto fresh_refresh = std::string(json_of(rotated).at("refreshToken").as_string());
  found.token(fresh_refresh);
  EXPECT_EQ(refresh(s.port(), owner.refresh).status, 401) << "reuse of a rotated token";

  const auto second = login(s.port(), owner.email, owner_password);
  found.pair(second);
  const auto t = authed(s.port(), "POST", "/api/v1/auth/transfer", second.access,
                        core::to_json(boost::json::object{{"refreshToken", second.refresh}}));
  ASSERT_EQ(t.status, 201) << t.body;
  const auto session = std::string(json_of(t).at("sessionId").as_string());
  found.all.push_back(session);
  const auto claimed = post(s.port(), "/api/v1/auth/transfer/claim", core::to_json(boost::json::object{{"sessionId", session}}));
  ASSERT_EQ(claimed.status, 200);
  EXPECT_EQ(post(s.port(), "/api/v1/auth/transfer/claim", core::to_json(boost::json::object{{"sessionId", session}}))
                .status,
            401);
  const std::string unknown_session(64, 'f');
  found.all.push_back(unknown_session);
  EXPECT_EQ(post(s.port(), "/api/v1/auth/transfer/claim",
                 core::to_json(boost::json::object{{"sessionId", unknown_session}}))
                .status,
            401);

  const std::string staff_password = "Staff-Secret-Pa55-Z3";
  found.all.push_back(staff_password);
  const auto staff_email = unique_email("logsec-staff");
  ASSERT_EQ(authed(s.port(), "POST", "/api/v1/users", second.access,
                   core::to_json(boost::json::object{
                       {"email", staff_email}, {"password", staff_password}, {"name", "S"}, {"role", "staff"}}))
                .status,
            201);
  const auto staff = login(s.port(), staff_email, staff_password);
  found.pair(staff);

  const auto order = add_order(s.port(), second, "Log check");
  const auto lock_path = "/api/v1/orders/" + order + "/lock";
  EXPECT_EQ(authed(s.port(), "POST", lock_path, second.access, R"({"sessionId":"log-s"})").status, 201);
  EXPECT_EQ(authed(s.port(), "PUT", lock_path, second.access, R"({"sessionId":"log-s"})").status, 200);
  EXPECT_EQ(authed(s.port(), "PATCH", "/api/v1/orders/" + order, second.access, R"({"notes":"n"})",
                   "X-Lock-Session: log-s\r\n")
                .status,
            200);
  EXPECT_EQ(authed(s.port(), "POST", lock_path, staff.access, R"({"sessionId":"log-t"})").status, 409);
  EXPECT_EQ(authed(s.port(), "DELETE", lock_path + "?sessionId=log-t&force=true", staff.access).status, 403);
  EXPECT_EQ(authed(s.port(), "DELETE", lock_path + "?sessionId=log-s", second.access).status, 204);
  {
    ws_client by_query(s.port(), "/api/v1/ws?access_token=" + second.access);
    EXPECT_EQ(by_query.status(), 101);
    ws_client by_header(s.port(), "/api/v1/ws", bearer(staff.access));
    EXPECT_EQ(by_header.status(), 101);
    EXPECT_TRUE(by_header.send_text(R"({"type":"ping"})"));
  }

  // Refused tokens are secrets too: a forged one may be a real one, damaged.
  const auto forged = sign_jwt(hs256_header(), b64url_decode(split_jwt(staff.access).payload), k_other_secret);
  found.token(forged);
  EXPECT_EQ(me(s.port(), forged).status, 401);
  EXPECT_EQ(authed(s.port(), "POST", "/api/v1/auth/logout", staff.access,
                   core::to_json(boost::json::object{{"refreshToken", staff.refresh}}))
                .status,
            204);
  EXPECT_EQ(me(s.port(), staff.access).status, 401) << "revoked";
  EXPECT_EQ(authed(s.port(), "POST", "/api/v1/auth/logout-all", second.access).status, 204);
  EXPECT_EQ(refresh(s.port(), fresh_refresh).status, 401) << "revoked by logout-all";

  const auto hashes = sql(s.db, "SELECT password_hash FROM users");
  ASSERT_EQ(hashes.size(), 2u) << "the owner's and the staff member's";
  for (const auto& row : hashes) found.all.push_back(row.at(0));

  s.svc.process().signal(SIGTERM);
  EXPECT_EQ(s.svc.process().wait_for_exit(10s), 0);
  const auto log = s.svc.process().output();
  // LOG_LEVEL=trace writes every level, so this covers all of them.
  EXPECT_NE(log.find("/api/v1/auth/transfer/claim"), std::string::npos) << "the access log is there";
  EXPECT_TRUE(free_of(log, found.all));

  // Both store URLs are logged, passwords masked.
  EXPECT_NE(log.find("redis://:***@127.0.0.1:" + std::to_string(s.redis.port())), std::string::npos) << log;
  EXPECT_NE(log.find(with_password(s.db, "***")), std::string::npos) << log;
}

}  // namespace
}  // namespace bakewind::test::security_e2e
