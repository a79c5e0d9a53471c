// Black-box tests of issue 4, part 3: one-time transfer sessions (the SSO
// hand-off between the two web apps), and that no secret ever leaks into a
// response or a log line.

#include "auth_helpers.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <csignal>
#include <latch>
#include <regex>
#include <thread>

namespace bakewind::test::auth_e2e {
namespace {

using namespace std::chrono_literals;

http_reply claim(std::uint16_t port, const std::string& session_id) {
  return post(port, "/api/v1/auth/transfer/claim", core::to_json(boost::json::object{{"sessionId", session_id}}));
}

bool is_session_id(const std::string& s) {
  static const std::regex re("^[0-9a-f]{64}$");
  return std::regex_match(s, re);
}

// A service on its own Redis (so tests can look at keys) and one owner.
using setup = solo_service;

std::string session_of(const http_reply& r) {
  if (r.status != 201) throw std::runtime_error("transfer: " + std::to_string(r.status) + " " + r.body);
  return std::string(json_of(r).at("sessionId").as_string());
}

TEST(auth_transfer, creates_a_session_and_claim_hands_over_the_callers_tokens_once) {
  setup s("transfer_ok");
  const auto r = transfer(s.port(), s.owner.access, s.owner.refresh);
  ASSERT_EQ(r.status, 201) << r.body;
  const auto body = json_of(r);
  ASSERT_TRUE(body.at("sessionId").is_string() && body.at("expiresAt").is_string()) << r.body;
  const auto id = std::string(body.at("sessionId").as_string());
  EXPECT_TRUE(is_session_id(id)) << id;
  const auto expires = std::string(body.at("expiresAt").as_string());
  ASSERT_TRUE(is_iso_ms(expires)) << expires;
  EXPECT_NEAR(iso_to_epoch(expires) - now_epoch(), 60.0, 5.0) << "60 s from now";
  EXPECT_TRUE(free_of(r.body, {s.owner.refresh, s.owner.password}));

  const auto c = claim(s.port(), id);
  ASSERT_EQ(c.status, 200) << c.body;
  const auto claimed = json_of(c);
  EXPECT_EQ(claimed.at("accessToken").as_string(), s.owner.access) << "the access token of the transfer call";
  EXPECT_EQ(claimed.at("refreshToken").as_string(), s.owner.refresh);
  EXPECT_EQ(claimed.at("userId").as_string(), s.owner.id);
  const auto who = me(s.port(), std::string(claimed.at("accessToken").as_string()));
  EXPECT_EQ(who.status, 200) << who.body;

  EXPECT_TRUE(is_unauthorized(claim(s.port(), id), "Invalid or expired transfer session")) << "one time only";
}

TEST(auth_transfer, session_lives_in_redis_for_at_most_60_seconds_and_is_gone_after_the_claim) {
  setup s("transfer_key");
  const auto id = session_of(transfer(s.port(), s.owner.access, s.owner.refresh));
  const auto key = "auth:transfer:" + id;
  const auto ttl = redis_command(s.redis.port(), {"TTL", key});
  EXPECT_GT(ttl.integer, 0) << key << " missing or without expiry";
  EXPECT_LE(ttl.integer, 60);
  const auto value = redis_command(s.redis.port(), {"GET", key});
  ASSERT_FALSE(value.null);
  const auto parsed = core::parse_json(value.text);
  ASSERT_TRUE(parsed && parsed->is_object()) << value.text;
  const auto& o = parsed->as_object();
  EXPECT_EQ(o.at("accessToken").as_string(), s.owner.access);
  EXPECT_EQ(o.at("refreshToken").as_string(), s.owner.refresh);
  EXPECT_EQ(o.at("userId").as_string(), s.owner.id);
  EXPECT_TRUE(o.contains("createdAt"));

  ASSERT_EQ(claim(s.port(), id).status, 200);
  EXPECT_EQ(redis_command(s.redis.port(), {"EXISTS", key}).integer, 0);
}

TEST(auth_transfer, every_session_id_is_new) {
  setup s("transfer_unique");
  const auto a = session_of(transfer(s.port(), s.owner.access, s.owner.refresh));
  const auto b = session_of(transfer(s.port(), s.owner.access, s.owner.refresh));
  EXPECT_NE(a, b);
  EXPECT_EQ(claim(s.port(), b).status, 200);
  EXPECT_EQ(claim(s.port(), a).status, 200);
}

TEST(auth_transfer, of_fifty_concurrent_claims_exactly_one_succeeds) {
  setup s("transfer_race");
  const auto id = session_of(transfer(s.port(), s.owner.access, s.owner.refresh));
  constexpr int n = 50;
  // Connect first, then send all at once.
  std::vector<std::unique_ptr<raw_connection>> conns;
  for (int i = 0; i < n; ++i) conns.push_back(std::make_unique<raw_connection>(s.port()));
  const auto body = core::to_json(boost::json::object{{"sessionId", id}});
  const auto request = "POST /api/v1/auth/transfer/claim HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                       "application/json\r\nContent-Length: " +
                       std::to_string(body.size()) + "\r\n\r\n" + body;
  std::latch go(n);
  std::vector<http_reply> replies(n);
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      go.arrive_and_wait();
      if (!conns[i]->send(request)) return;
      if (auto r = conns[i]->read_reply(15s)) replies[i] = *r;
    });
  }
  for (auto& t : threads) t.join();
  int ok = 0, unauthorized = 0;
  for (const auto& r : replies) {
    if (r.status == 200) {
      ++ok;
      EXPECT_EQ(json_of(r).at("refreshToken").as_string(), s.owner.refresh);
    } else if (is_unauthorized(r, "Invalid or expired transfer session")) {
      ++unauthorized;
    } else {
      ADD_FAILURE() << "unexpected reply " << r.status << " " << r.body;
    }
  }
  EXPECT_EQ(ok, 1);
  EXPECT_EQ(unauthorized, n - 1);
}

TEST(auth_transfer, claim_with_missing_or_non_string_session_id_is_400) {
  setup s("claim_400");
  for (const std::string b : {R"({})", R"({"sessionId":42})", R"({"sessionId":null})", R"({"sessionId":["a"]})",
                              R"({"sessionId":)", "[]", ""}) {
    EXPECT_TRUE(is_bad_request(post(s.port(), "/api/v1/auth/transfer/claim", b))) << b;
  }
}

TEST(auth_transfer, claim_of_anything_but_a_live_session_is_401) {
  setup s("claim_401");
  const std::string random(64, 'a');
  for (const std::string& id : {random, std::string("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"),
                               std::string("not-hex"), std::string("*"), std::string("../../etc/passwd"),
                               std::string(1000, 'f')}) {
    EXPECT_TRUE(is_unauthorized(claim(s.port(), id), "Invalid or expired transfer session")) << id;
  }
  // A claim with an auth header is still judged by the session alone.
  const auto with_header = http_call(s.port(), "POST", "/api/v1/auth/transfer/claim",
                                     core::to_json(boost::json::object{{"sessionId", random}}),
                                     "Content-Type: application/json\r\n" + bearer(s.owner.access));
  EXPECT_TRUE(is_unauthorized(with_header, "Invalid or expired transfer session"));
}

TEST(auth_transfer, an_expired_session_cannot_be_claimed) {
  setup s("transfer_expiry", {{"TRANSFER_TTL", "1"}});
  const auto id = session_of(transfer(s.port(), s.owner.access, s.owner.refresh));
  std::this_thread::sleep_for(2100ms);
  EXPECT_TRUE(is_unauthorized(claim(s.port(), id), "Invalid or expired transfer session"));
}

TEST(auth_transfer, needs_a_valid_unrevoked_refresh_token_of_the_caller) {
  setup s("transfer_401");
  const auto other = register_owner(s.port(), "transfer_other");
  auto unauthorized = [](const http_reply& r) { return r.status == 401 && json_of(r).at("statusCode") == 401; };

  const auto as_access = transfer(s.port(), s.owner.access, s.owner.access);
  EXPECT_TRUE(unauthorized(as_access)) << "an access token as refreshToken: " << as_access.status << " " << as_access.body;
  const auto foreign = transfer(s.port(), s.owner.access, other.refresh);
  EXPECT_TRUE(unauthorized(foreign)) << "another user's refresh token: " << foreign.status << " " << foreign.body;
  const auto garbage = transfer(s.port(), s.owner.access, "garbage");
  EXPECT_TRUE(unauthorized(garbage)) << garbage.status << " " << garbage.body;
  const auto forged =
      transfer(s.port(), s.owner.access,
               sign_jwt(hs256_header(), b64url_decode(split_jwt(s.owner.refresh).payload), k_other_secret));
  EXPECT_TRUE(unauthorized(forged)) << forged.status << " " << forged.body;

  // Revoked by logout (of another login of the same user).
  const auto second = login(s.port(), s.owner.email, s.owner.password);
  ASSERT_EQ(authed(s.port(), "POST", "/api/v1/auth/logout", second.access,
                   core::to_json(boost::json::object{{"refreshToken", second.refresh}}))
                .status,
            204);
  const auto revoked = transfer(s.port(), s.owner.access, second.refresh);
  EXPECT_TRUE(unauthorized(revoked)) << "a revoked refresh token: " << revoked.status << " " << revoked.body;

  // Revoked by rotation.
  const auto third = login(s.port(), s.owner.email, s.owner.password);
  ASSERT_EQ(refresh(s.port(), third.refresh).status, 200);
  const auto rotated = transfer(s.port(), s.owner.access, third.refresh);
  EXPECT_TRUE(unauthorized(rotated)) << "a rotated refresh token: " << rotated.status << " " << rotated.body;

  // No auth header, or a garbage one.
  const auto body = core::to_json(boost::json::object{{"refreshToken", s.owner.refresh}});
  EXPECT_TRUE(is_unauthorized(post(s.port(), "/api/v1/auth/transfer", body)));
  EXPECT_TRUE(is_unauthorized(transfer(s.port(), "garbage", s.owner.refresh)));
  // The good pair still works after all that.
  EXPECT_EQ(transfer(s.port(), s.owner.access, s.owner.refresh).status, 201);
}

TEST(auth_transfer, missing_or_non_string_refresh_token_is_400) {
  setup s("transfer_400");
  for (const std::string b : {R"({})", R"({"refreshToken":1})", R"({"refreshToken":)"}) {
    EXPECT_TRUE(is_bad_request(authed(s.port(), "POST", "/api/v1/auth/transfer", s.owner.access, b))) << b;
  }
}

// ------------------------------------------------------------------- leaks

TEST(auth_leaks, no_response_body_and_no_log_line_contains_a_password_hash_refresh_token_or_session_id) {
  setup s("leaks", {{"LOG_LEVEL", "debug"}});
  std::vector<std::string> secrets{s.owner.password, s.owner.refresh};
  std::vector<std::string> bodies;  // responses that must not carry any secret
  auto keep = [&](const http_reply& r) {
    bodies.push_back(r.body);
    return r;
  };

  const std::string wrong_password = "Wr0ng-Pa55word-ZqX";
  const std::string short_password = "Qz7$kLm";
  secrets.push_back(wrong_password);
  secrets.push_back(short_password);
  keep(post(s.port(), "/api/v1/auth/login", login_body(s.owner.email, wrong_password)));
  keep(post(s.port(), "/api/v1/auth/login", login_body(unique_email("ghost"), wrong_password)));
  keep(post(s.port(), "/api/v1/auth/register", register_body(unique_email("short"), short_password, "N", "B")));
  keep(post(s.port(), "/api/v1/auth/register",
            R"({"email":"x@example.com","password":")" + wrong_password + R"(","name":)"));
  keep(post(s.port(), "/api/v1/auth/login", R"({"email":"x@example.com","password":")" + wrong_password));
  keep(post(s.port(), "/api/v1/auth/register", register_body(s.owner.email, wrong_password, "N", "B")));

  const auto second = login(s.port(), s.owner.email, s.owner.password);
  secrets.push_back(second.refresh);
  const auto rotated = refresh(s.port(), second.refresh);
  ASSERT_EQ(rotated.status, 200);
  const auto third_refresh = std::string(json_of(rotated).at("refreshToken").as_string());
  secrets.push_back(third_refresh);
  keep(refresh(s.port(), second.refresh));  // reuse: revokes the family
  keep(refresh(s.port(), third_refresh));
  keep(refresh(s.port(), s.owner.access));
  keep(me(s.port(), s.owner.access));

  const auto t1 = transfer(s.port(), s.owner.access, s.owner.refresh);  // carries the id: not kept
  const auto id1 = session_of(t1);
  secrets.push_back(id1);
  ASSERT_EQ(claim(s.port(), id1).status, 200);
  keep(claim(s.port(), id1));  // second claim fails
  const std::string unknown_id(64, 'e');
  secrets.push_back(unknown_id);
  keep(claim(s.port(), unknown_id));
  keep(transfer(s.port(), s.owner.access, third_refresh));  // revoked refresh token

  const auto staff_password = "Staff-Pa55-word-Yw";
  secrets.push_back(staff_password);
  keep(authed(s.port(), "POST", "/api/v1/users", s.owner.access,
              core::to_json(boost::json::object{
                  {"email", unique_email("staff")}, {"password", staff_password}, {"name", "S"}, {"role", "staff"}})));
  keep(authed(s.port(), "POST", "/api/v1/users", s.owner.access,
              core::to_json(boost::json::object{
                  {"email", unique_email("chef")}, {"password", staff_password}, {"name", "S"}, {"role", "chef"}})));
  keep(authed(s.port(), "GET", "/api/v1/users", s.owner.access));
  keep(authed(s.port(), "POST", "/api/v1/auth/logout", s.owner.access,
              core::to_json(boost::json::object{{"refreshToken", s.owner.refresh}})));
  keep(authed(s.port(), "POST", "/api/v1/auth/logout", s.owner.access,
              core::to_json(boost::json::object{{"refreshToken", s.owner.refresh}})));

  for (std::size_t i = 0; i < bodies.size(); ++i) EXPECT_TRUE(free_of(bodies[i], secrets)) << "response " << i;

  // Also the signature part alone of every refresh token (a truncated token in a log is still a leak).
  auto log_secrets = secrets;
  for (const auto& t : {s.owner.refresh, second.refresh, third_refresh}) log_secrets.push_back(split_jwt(t).signature);
  // Stopped, so that the log holds every line of these requests.
  s.svc.process().signal(SIGTERM);
  ASSERT_EQ(s.svc.process().wait_for_exit(10s), 0) << s.svc.process().output();
  const auto log = s.svc.process().output();
  EXPECT_NE(log.find("/api/v1/auth/transfer/claim"), std::string::npos) << "the access log is there to be searched";
  EXPECT_TRUE(free_of(log, log_secrets));
}

// The transfer's refresh-token check is the revocation check, answered by
// Redis: every way a refresh token dies puts it there at once.
TEST(auth_transfer, a_refresh_token_rotated_logged_out_or_of_a_reused_family_is_revoked_in_redis) {
  setup s("transfer_redis");
  auto in_redis = [&](const std::string& token) {
    const auto key = revoked_key(s.owner.id, jti_of(token));
    const auto ttl = redis_command(s.redis.port(), {"TTL", key}).integer;
    const auto exp = jwt_payload(token).at("exp").to_number<double>();
    // Kept until the token's own expiry, and no longer.
    return ttl > 0 && std::abs(static_cast<double>(ttl) - (exp - now_epoch())) < 5;
  };

  // Rotated: the presented token is used up.
  const auto first = login(s.port(), s.owner.email, s.owner.password);
  const auto rotated = refresh(s.port(), first.refresh);
  ASSERT_EQ(rotated.status, 200) << rotated.body;
  const auto next = std::string(json_of(rotated).at("refreshToken").as_string());
  EXPECT_TRUE(in_redis(first.refresh));
  EXPECT_FALSE(in_redis(next));
  EXPECT_TRUE(is_unauthorized(transfer(s.port(), s.owner.access, first.refresh), "Invalid refresh token"));
  EXPECT_EQ(transfer(s.port(), s.owner.access, next).status, 201);

  // Reused: the whole family goes, the live successor too.
  EXPECT_TRUE(is_revoked(refresh(s.port(), first.refresh)));
  EXPECT_TRUE(in_redis(next)) << "the family's live token";
  EXPECT_TRUE(is_unauthorized(transfer(s.port(), s.owner.access, next), "Invalid refresh token"));

  // Logged out with its refresh token.
  const auto second = login(s.port(), s.owner.email, s.owner.password);
  ASSERT_EQ(authed(s.port(), "POST", "/api/v1/auth/logout", second.access,
                   core::to_json(boost::json::object{{"refreshToken", second.refresh}}))
                .status,
            204);
  EXPECT_TRUE(in_redis(second.refresh));
  EXPECT_TRUE(is_unauthorized(transfer(s.port(), s.owner.access, second.refresh), "Invalid refresh token"));

  // Redis is what answers: a revocation only Redis holds refuses a live token,
  // and the token is accepted again once it is gone.
  const auto forged = revoked_key(s.owner.id, jti_of(s.owner.refresh));
  ASSERT_EQ(redis_command(s.redis.port(), {"SET", forged, s.owner.id, "EX", "60"}).text, "OK");
  EXPECT_TRUE(is_unauthorized(transfer(s.port(), s.owner.access, s.owner.refresh), "Invalid refresh token"));
  ASSERT_EQ(redis_command(s.redis.port(), {"DEL", forged}).integer, 1);
  EXPECT_EQ(transfer(s.port(), s.owner.access, s.owner.refresh).status, 201);
}

// What a build before refresh tokens were recorded left: its marker, and no
// key for a refresh token it rotated. The service must not trust it.
TEST(auth_transfer, a_redis_filled_before_refresh_tokens_were_recorded_is_refilled_first) {
  setup s("transfer_upgrade");
  const auto first = login(s.port(), s.owner.email, s.owner.password);
  ASSERT_EQ(refresh(s.port(), first.refresh).status, 200);
  ASSERT_EQ(redis_command(s.redis.port(), {"FLUSHALL"}).text, "OK");
  ASSERT_EQ(redis_command(s.redis.port(), {"SET", "auth:revocation:ready:v3", "2024-01-01T00:00:00.000Z"}).text, "OK");
  EXPECT_TRUE(is_unauthorized(transfer(s.port(), s.owner.access, first.refresh), "Invalid refresh token"));
  for (int i = 0; i < 50 && redis_command(s.redis.port(), {"EXISTS", k_revocation_marker}).integer == 0; ++i) {
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(redis_command(s.redis.port(), {"EXISTS", k_revocation_marker}).integer, 1) << "refilled";
  const auto jti = jti_of(first.refresh);
  EXPECT_EQ(redis_command(s.redis.port(), {"EXISTS", revoked_key(s.owner.id, jti)}).integer, 1);
  EXPECT_TRUE(redis_command(s.redis.port(), {"GET", "auth:revocation:ready:v3"}).null) << "the older marker left";
  EXPECT_TRUE(is_unauthorized(transfer(s.port(), s.owner.access, first.refresh), "Invalid refresh token"));
  EXPECT_EQ(transfer(s.port(), s.owner.access, s.owner.refresh).status, 201);
}

// Redis replicates asynchronously: a server that took over (a promoted
// replica, a restarted one) may still hold a session whose claim's GETDEL it
// never saw. Made here by hand: the claimed session's value written again
// into a restarted Redis (another run_id).
TEST(auth_transfer, a_session_back_on_another_redis_server_after_its_claim_is_not_claimed_again) {
  solo_service s("transfer_failover");
  const auto made = transfer(s.port(), s.owner.access, s.owner.refresh);
  ASSERT_EQ(made.status, 201) << made.body;
  const std::string id(json_of(made).at("sessionId").as_string());
  const std::string key = "auth:transfer:" + id;
  const std::string stored = redis_command(s.redis.port(), {"GET", key}).text;
  ASSERT_NE(stored.find("\"storedOn\":\""), std::string::npos) << stored;
  ASSERT_EQ(claim(s.port(), id).status, 200);

  s.redis.stop();
  s.redis.start();
  ASSERT_EQ(redis_command(s.redis.port(), {"SET", key, stored, "EX", "60"}).text, "OK");
  // Until the service has connected again (its backoff grew while Redis was
  // down), a claim answers 503 and asks nothing: a client sends it again.
  auto answer = claim(s.port(), id);
  for (int i = 0; i < 50 && answer.status == 503; ++i) {
    std::this_thread::sleep_for(100ms);
    answer = claim(s.port(), id);
  }
  EXPECT_TRUE(is_unauthorized(answer, "Invalid or expired transfer session")) << "claimed twice";
  EXPECT_EQ(redis_command(s.redis.port(), {"EXISTS", key}).integer, 0) << "taken all the same";

  // A hand-off stored on the server now answering is claimed as ever, once.
  const auto again = transfer(s.port(), s.owner.access, s.owner.refresh);
  ASSERT_EQ(again.status, 201) << again.body;
  const std::string id2(json_of(again).at("sessionId").as_string());
  EXPECT_EQ(claim(s.port(), id2).status, 200);
  EXPECT_TRUE(is_unauthorized(claim(s.port(), id2), "Invalid or expired transfer session"));
}

}  // namespace
}  // namespace bakewind::test::auth_e2e
