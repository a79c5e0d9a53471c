// Black-box tests of issue 4, part 5: rate limits (API.md "Rate limits"),
// counted in Redis, per client IP (X-Forwarded-For only from TRUSTED_PROXIES).
// Each test has its own Redis so that counters never carry over.

#include "auth_helpers.hpp"

#include <gtest/gtest.h>

namespace bakewind::test::auth_e2e {
namespace {

std::string from(const std::string& ip) { return "X-Forwarded-For: " + ip + "\r\n"; }

http_reply try_login(std::uint16_t port, const std::string& email, const std::string& password,
                     const std::string& headers = {}) {
  return post(port, "/api/v1/auth/login", login_body(email, password), headers);
}

struct limited {
  explicit limited(const std::string& prefix, env_list extra)
      : db(migrated_database(prefix)), svc(service_env(db, redis.url(), with_on(std::move(extra)))) {}
  static env_list with_on(env_list extra) {
    extra.emplace_back("RATE_LIMITS", "on");
    return extra;
  }
  std::uint16_t port() const { return svc.port(); }
  redis_server redis;
  std::string db;
  service svc;
};

TEST(auth_limits, login_is_limited_per_ip_and_email) {
  limited s("rl_login", {{"RATE_LIMIT_LOGIN_PER_MIN", "3"},
                         {"RATE_LIMIT_LOGIN_IP_PER_MIN", "100"},
                         {"TRUSTED_PROXIES", "127.0.0.1"}});
  const auto a = register_owner(s.port(), "rl");
  EXPECT_EQ(try_login(s.port(), a.email, a.password).status, 200);
  EXPECT_EQ(try_login(s.port(), a.email, "wrong-password").status, 401);
  EXPECT_EQ(try_login(s.port(), a.email, "wrong-password").status, 401);
  EXPECT_TRUE(is_too_many(try_login(s.port(), a.email, a.password))) << "the 4th, even with the right password";
  std::string upper = a.email;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_TRUE(is_too_many(try_login(s.port(), upper, a.password))) << "the same email in capitals";

  // Another email from the same IP is not limited by this counter.
  EXPECT_TRUE(is_unauthorized(try_login(s.port(), unique_email("other"), "wrong-password"), "Invalid credentials"));
  // The same email from another client IP (through a trusted proxy) is counted apart.
  EXPECT_EQ(try_login(s.port(), a.email, a.password, from("203.0.113.7")).status, 200);
}

TEST(auth_limits, login_is_limited_per_ip_across_emails) {
  limited s("rl_login_ip", {{"RATE_LIMIT_LOGIN_PER_MIN", "3"},
                            {"RATE_LIMIT_LOGIN_IP_PER_MIN", "5"},
                            {"TRUSTED_PROXIES", "127.0.0.1"}});
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(is_unauthorized(try_login(s.port(), unique_email("ip"), "wrong-password"), "Invalid credentials"))
        << "attempt " << i + 1;
  }
  EXPECT_TRUE(is_too_many(try_login(s.port(), unique_email("ip"), "wrong-password"))) << "the 6th email from one IP";
  EXPECT_TRUE(is_unauthorized(try_login(s.port(), unique_email("ip"), "wrong-password", from("198.51.100.9")),
                              "Invalid credentials"))
      << "another client IP behind the trusted proxy";
}

TEST(auth_limits, forwarded_for_from_an_untrusted_peer_is_ignored) {
  limited s("rl_xff", {{"RATE_LIMIT_LOGIN_PER_MIN", "3"}, {"RATE_LIMIT_LOGIN_IP_PER_MIN", "100"}});
  const auto email = unique_email("xff");
  const char* ips[] = {"192.0.2.1", "192.0.2.2", "192.0.2.3"};
  for (const char* ip : ips) EXPECT_EQ(try_login(s.port(), email, "wrong-password", from(ip)).status, 401) << ip;
  EXPECT_TRUE(is_too_many(try_login(s.port(), email, "wrong-password", from("192.0.2.4"))))
      << "X-Forwarded-For honoured without TRUSTED_PROXIES: a client could pick its own IP";
}

TEST(auth_limits, forwarded_for_is_ignored_when_the_peer_is_not_a_listed_proxy) {
  limited s("rl_xff_other",
            {{"RATE_LIMIT_LOGIN_PER_MIN", "3"}, {"RATE_LIMIT_LOGIN_IP_PER_MIN", "100"}, {"TRUSTED_PROXIES", "10.1.2.3"}});
  const auto email = unique_email("xff2");
  for (const char* ip : {"192.0.2.11", "192.0.2.12", "192.0.2.13"}) {
    EXPECT_EQ(try_login(s.port(), email, "wrong-password", from(ip)).status, 401) << ip;
  }
  EXPECT_TRUE(is_too_many(try_login(s.port(), email, "wrong-password", from("192.0.2.14"))));
}

TEST(auth_limits, claim_is_limited_per_ip) {
  limited s("rl_claim", {{"RATE_LIMIT_CLAIM_PER_MIN", "3"}, {"TRUSTED_PROXIES", "127.0.0.1"}});
  const auto body = core::to_json(boost::json::object{{"sessionId", std::string(64, 'c')}});
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(is_unauthorized(post(s.port(), "/api/v1/auth/transfer/claim", body),
                                "Invalid or expired transfer session"))
        << "claim " << i + 1;
  }
  EXPECT_TRUE(is_too_many(post(s.port(), "/api/v1/auth/transfer/claim", body)));
  EXPECT_TRUE(is_unauthorized(post(s.port(), "/api/v1/auth/transfer/claim", body, from("203.0.113.50")),
                              "Invalid or expired transfer session"))
      << "another client IP";
}

TEST(auth_limits, register_is_limited_per_ip_per_hour) {
  limited s("rl_register", {{"RATE_LIMIT_REGISTER_PER_HOUR", "2"}});
  for (int i = 0; i < 2; ++i) {
    const auto r = post(s.port(), "/api/v1/auth/register",
                        register_body(unique_email("rlreg"), "password-123", "N", "B"));
    EXPECT_EQ(r.status, 201) << r.body;
  }
  const auto third =
      post(s.port(), "/api/v1/auth/register", register_body(unique_email("rlreg"), "password-123", "N", "B"));
  EXPECT_TRUE(is_too_many(third, 1, 3600));
  EXPECT_EQ(sql_value(s.db, "SELECT count(*) FROM users"), "2") << "nothing created over the limit";
}

TEST(auth_limits, limits_hold_across_two_instances_sharing_redis) {
  redis_server redis;
  const auto db = migrated_database("rl_two");
  const env_list extra{{"RATE_LIMITS", "on"}, {"RATE_LIMIT_LOGIN_PER_MIN", "3"}, {"RATE_LIMIT_LOGIN_IP_PER_MIN", "100"}};
  service a(service_env(db, redis.url(), extra));
  service b(service_env(db, redis.url(), extra));
  const auto email = unique_email("two");
  EXPECT_EQ(try_login(a.port(), email, "wrong-password").status, 401);
  EXPECT_EQ(try_login(b.port(), email, "wrong-password").status, 401);
  EXPECT_EQ(try_login(a.port(), email, "wrong-password").status, 401);
  EXPECT_TRUE(is_too_many(try_login(b.port(), email, "wrong-password")));
  EXPECT_TRUE(is_too_many(try_login(a.port(), email, "wrong-password")));
}

TEST(auth_limits, rate_limits_off_never_answers_429) {
  redis_server redis;
  const auto db = migrated_database("rl_off");
  service s(service_env(db, redis.url(),
                        {{"RATE_LIMITS", "off"}, {"RATE_LIMIT_LOGIN_PER_MIN", "1"}, {"RATE_LIMIT_LOGIN_IP_PER_MIN", "1"},
                         {"RATE_LIMIT_CLAIM_PER_MIN", "1"}}));
  const auto email = unique_email("off");
  for (int i = 0; i < 4; ++i) EXPECT_EQ(try_login(s.port(), email, "wrong-password").status, 401) << i;
  const auto body = core::to_json(boost::json::object{{"sessionId", std::string(64, 'd')}});
  for (int i = 0; i < 4; ++i) EXPECT_EQ(post(s.port(), "/api/v1/auth/transfer/claim", body).status, 401) << i;
}

}  // namespace
}  // namespace bakewind::test::auth_e2e
