// Issue 10, black-box: who may call what. Every authenticated route refuses
// a request without a valid token (401), another bakery's ids are answered
// exactly like ids that do not exist (404), staff may not add users or force
// a lock open (403), and no forged, expired, early or wrong-type JWT passes.
// Login rate limits across two instances: auth_limits_test.cpp
// (limits_hold_across_two_instances_sharing_redis).

#include "security_helpers.hpp"

#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

namespace bakewind::test::security_e2e {
namespace {

const char* k_missing_order = "00000000-0000-4000-8000-000000000000";

std::string order_count() { return sql_value(w().db, "SELECT count(*) FROM orders"); }
std::string user_count() { return sql_value(w().db, "SELECT count(*) FROM users"); }
std::string order_version(const std::string& id) {
  return sql_value(w().db, "SELECT version FROM orders WHERE id = '" + id + "'");
}

/// The lock on A's order is still A's owner's, session "a-session".
::testing::AssertionResult a_lock_intact() {
  const auto r = authed(w().port(), "GET", "/api/v1/orders/" + w().a_order + "/lock", w().a_owner.access);
  if (r.status != 200) return ::testing::AssertionFailure() << "lock status " << r.status << " " << r.body;
  const auto o = json_of(r);
  if (!o.at("locked").as_bool() || o.at("userId").as_string() != w().a_owner.id ||
      o.at("sessionId").as_string() != "a-session") {
    return ::testing::AssertionFailure() << "lock changed: " << r.body;
  }
  return ::testing::AssertionSuccess();
}

// ------------------------------------------------------------------ 401

TEST(security_routes, the_route_table_is_every_bearer_route_of_the_api_description) {
  const auto routes = authenticated_routes();
  EXPECT_EQ(routes.size(), 17u) << "API.md has 17 authenticated routes (WebSocket included)";
  for (const auto& r : routes) EXPECT_NO_THROW(body_for(r)) << r.method << " " << r.path;
}

TEST(security_routes, every_authenticated_route_without_a_valid_token_is_401_and_changes_nothing) {
  const auto orders = order_count();
  const auto users = user_count();
  const auto version = order_version(w().a_order);
  const std::vector<std::pair<std::string, std::string>> credentials{
      {"no Authorization header", ""},
      {"empty bearer", "Authorization: Bearer \r\n"},
      {"garbage bearer", "Authorization: Bearer not-a-token\r\n"},
      {"basic scheme", "Authorization: Basic YWRtaW46YWRtaW4=\r\n"},
      {"token without scheme", "Authorization: " + w().a_owner.access + "\r\n"},
      {"refresh token", bearer(w().a_owner.refresh)},
      {"token of another secret",
       bearer(sign_jwt(hs256_header(), b64url_decode(split_jwt(w().a_owner.access).payload), k_other_secret))},
  };
  for (const auto& r : authenticated_routes()) {
    for (const auto& [what, header] : credentials) {
      const auto reply = call(w().port(), r, w().a_order, header);
      EXPECT_TRUE(is_unauthorized(reply)) << r.method << " " << r.path << " with " << what;
    }
  }
  EXPECT_EQ(order_count(), orders);
  EXPECT_EQ(user_count(), users);
  EXPECT_EQ(order_version(w().a_order), version);
  EXPECT_TRUE(a_lock_intact());
}

TEST(security_routes, the_websocket_takes_no_invalid_token_from_the_query_either) {
  for (const std::string& token : {std::string("garbage"), w().a_owner.refresh, std::string()}) {
    ws_client ws(w().port(), "/api/v1/ws?access_token=" + token);
    EXPECT_EQ(ws.status(), 401) << token;
  }
  ws_client ok(w().port(), "/api/v1/ws?access_token=" + w().a_owner.access);
  EXPECT_EQ(ok.status(), 101) << "the valid token is let in: the refusals above were about the token";
}

// ------------------------------------------------------------------ 404

TEST(security_tenants, every_route_with_another_bakerys_order_answers_like_a_missing_order) {
  const auto version = order_version(w().a_order);
  int checked = 0;
  for (const auto& r : authenticated_routes()) {
    if (r.path.find("{id}") == std::string::npos) continue;
    for (const auto* caller : {&w().b_owner, &w().b_staff}) {
      const auto foreign = call(w().port(), r, w().a_order, bearer(caller->access));
      const auto missing = call(w().port(), r, k_missing_order, bearer(caller->access));
      // Staff may delete no order at all: 403 comes before the lookup.
      const bool staff_delete = caller == &w().b_staff && r.method == "DELETE" && r.path == "/api/v1/orders/{id}";
      EXPECT_EQ(foreign.status, staff_delete ? 403 : 404) << r.method << " " << r.path << ": " << foreign.body;
      EXPECT_EQ(foreign.status, missing.status) << r.method << " " << r.path;
      EXPECT_EQ(foreign.body, missing.body) << r.method << " " << r.path;
      ++checked;
    }
    // An owner forcing the release of another bakery's lock finds nothing either.
    if (r.method == "DELETE" && r.path.ends_with("/lock")) {
      const auto forced = call(w().port(), r, w().a_order, bearer(w().b_owner.access), "&force=true");
      EXPECT_EQ(forced.status, 404) << forced.body;
    }
  }
  EXPECT_EQ(checked, 2 * 7) << "seven routes take an order id";
  EXPECT_EQ(order_version(w().a_order), version) << "A's order untouched";
  EXPECT_TRUE(a_lock_intact());
}

TEST(security_tenants, lists_hold_only_the_callers_bakery) {
  const auto orders = authed(w().port(), "GET", "/api/v1/orders?limit=100", w().b_owner.access);
  const auto locks = authed(w().port(), "GET", "/api/v1/locks", w().b_owner.access);
  const auto users = authed(w().port(), "GET", "/api/v1/users", w().b_owner.access);
  ASSERT_EQ(orders.status, 200);
  ASSERT_EQ(locks.status, 200);
  ASSERT_EQ(users.status, 200);
  EXPECT_NE(orders.body.find(w().b_order), std::string::npos) << "B sees its own order";
  for (const auto* body : {&orders.body, &locks.body, &users.body}) {
    for (const auto& a_id : {w().a_order, w().a_owner.id, w().a_staff.id, w().a_owner.bakery_id}) {
      EXPECT_EQ(body->find(a_id), std::string::npos) << "A's id " << a_id << " in " << *body;
    }
  }
}

// ------------------------------------------------------------------ 403

TEST(security_roles, staff_cannot_add_users_of_any_role) {
  const auto users = user_count();
  for (const char* role : {"staff", "admin", "owner"}) {
    const auto body = core::to_json(boost::json::object{
        {"email", unique_email("by-staff")}, {"password", "password-123"}, {"name", "N"}, {"role", role}});
    EXPECT_TRUE(is_error(authed(w().port(), "POST", "/api/v1/users", w().a_staff.access, body), 403, "Forbidden",
                         "Forbidden"))
        << role;
  }
  EXPECT_EQ(user_count(), users);
}

TEST(security_roles, staff_cannot_force_release_or_delete) {
  const auto target = "/api/v1/orders/" + w().a_order;
  for (const std::string& session : std::vector<std::string>{"a-session", "other-session"}) {
    const auto r = authed(w().port(), "DELETE", target + "/lock?sessionId=" + session + "&force=true",
                          w().a_staff.access);
    EXPECT_TRUE(is_error(r, 403, "Forbidden", "Forbidden")) << session;
  }
  EXPECT_TRUE(is_error(authed(w().port(), "DELETE", target, w().a_staff.access), 403, "Forbidden", "Forbidden"));
  EXPECT_TRUE(a_lock_intact());
  EXPECT_EQ(sql_value(w().db, "SELECT count(*) FROM orders WHERE id = '" + w().a_order + "'"), "1");
}

// ------------------------------------------------------------------ JWTs

/// A's owner's access-token claims with `changes` applied, as JSON text.
std::string claims_with(const boost::json::object& changes, const std::vector<std::string>& removed = {}) {
  auto payload = jwt_payload(w().a_owner.access);
  for (const auto& [k, v] : changes) payload[k] = v;
  for (const auto& k : removed) payload.erase(k);
  return core::to_json(payload);
}

long long now_s() { return static_cast<long long>(now_epoch()); }

/// A fresh RSA key pair; the PEM of its public key in `public_pem`.
EVP_PKEY* rsa_key(std::string& public_pem) {
  EVP_PKEY* key = EVP_RSA_gen(2048);
  if (key == nullptr) throw std::runtime_error("RSA key generation failed");
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, key);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  public_pem.assign(data, static_cast<std::size_t>(len));
  BIO_free(bio);
  return key;
}

/// header.payload signed RS256 with `key`.
std::string sign_rs256(const std::string& header_json, const std::string& payload_json, EVP_PKEY* key) {
  const auto input = b64url_encode(header_json) + "." + b64url_encode(payload_json);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::size_t len = 0;
  EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key);
  EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()), input.size());
  std::string sig(len, '\0');
  EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                 reinterpret_cast<const unsigned char*>(input.data()), input.size());
  EVP_MD_CTX_free(ctx);
  sig.resize(len);
  return input + "." + b64url_encode(sig);
}

/// `token` must be refused with 401 Unauthorized as an access token (me,
/// orders, the WebSocket) and as a refresh token.
void expect_refused(const std::string& token, const std::string& what) {
  EXPECT_TRUE(is_unauthorized(me(w().port(), token))) << what;
  EXPECT_TRUE(is_unauthorized(authed(w().port(), "GET", "/api/v1/orders", token))) << what;
  ws_client ws(w().port(), "/api/v1/ws", bearer(token));
  EXPECT_EQ(ws.status(), 401) << what;
  EXPECT_TRUE(is_unauthorized(refresh(w().port(), token), "Invalid refresh token")) << what;
}

TEST(security_jwt, a_token_re_signed_by_the_test_with_the_service_secret_is_accepted) {
  // The control for the refusals below: the test's own signing is right.
  const auto token = sign_jwt(hs256_header(), claims_with({}), k_secret);
  EXPECT_EQ(me(w().port(), token).status, 200);
}

TEST(security_jwt, alg_none_in_any_spelling_is_401) {
  for (const std::string& alg : std::vector<std::string>{"none", "None", "NONE", "nOnE"}) {
    const auto input =
        b64url_encode(R"({"alg":")" + alg + R"(","typ":"JWT"})") + "." + b64url_encode(claims_with({}));
    expect_refused(input + ".", "alg " + alg + ", no signature");
    expect_refused(input + "." + split_jwt(w().a_owner.access).signature, "alg " + alg + ", old signature");
  }
}

TEST(security_jwt, rs256_and_hs_rs_confusion_are_401) {
  std::string public_pem;
  EVP_PKEY* key = rsa_key(public_pem);
  const auto payload = claims_with({});
  expect_refused(sign_rs256(R"({"alg":"RS256","typ":"JWT"})", payload, key), "RS256 with our claims");
  // The classic confusion: HS256 keyed with an RSA public key a verifier might hold.
  expect_refused(sign_jwt(hs256_header(), payload, public_pem), "HS256 keyed with a public key");
  // Our HMAC, but the header names another algorithm.
  for (const std::string& alg : std::vector<std::string>{"RS256", "HS512", "ES256", "PS256", "hs256"}) {
    expect_refused(sign_jwt(R"({"alg":")" + alg + R"(","typ":"JWT"})", payload, k_secret), "alg " + alg);
  }
  EVP_PKEY_free(key);
}

TEST(security_jwt, expired_and_not_yet_valid_tokens_are_401) {
  const auto t = now_s();
  expect_refused(sign_jwt(hs256_header(), claims_with({{"iat", t - 1000}, {"exp", t - 1}}), k_secret), "expired");
  expect_refused(sign_jwt(hs256_header(), claims_with({{"iat", t + 3600}, {"exp", t + 7200}}), k_secret),
                 "issued an hour from now");
  expect_refused(sign_jwt(hs256_header(), claims_with({{"nbf", t + 3600}}), k_secret), "not before an hour from now");
  expect_refused(sign_jwt(hs256_header(), claims_with({}, {"exp"}), k_secret), "no exp");
  expect_refused(sign_jwt(hs256_header(), claims_with({{"exp", "never"}}), k_secret), "exp not a number");
}

TEST(security_jwt, wrong_typ_is_401_both_ways) {
  EXPECT_TRUE(is_unauthorized(me(w().port(), w().a_owner.refresh))) << "refresh token as access token";
  EXPECT_TRUE(is_unauthorized(refresh(w().port(), w().a_owner.access), "Invalid refresh token"))
      << "access token as refresh token";
  for (const std::string& typ : std::vector<std::string>{"Access", "id", "", "access "}) {
    expect_refused(sign_jwt(hs256_header(), claims_with({{"typ", typ}}), k_secret), "typ '" + typ + "'");
  }
  expect_refused(sign_jwt(hs256_header(), claims_with({}, {"typ"}), k_secret), "no typ");
}

TEST(security_jwt, a_wrong_or_tampered_signature_is_401) {
  const auto parts = split_jwt(w().a_owner.access);
  auto flipped = parts.signature;
  flipped[0] = flipped[0] == 'A' ? 'B' : 'A';
  expect_refused(parts.header + "." + parts.payload + "." + flipped, "one signature character changed");
  expect_refused(parts.header + "." + parts.payload + "." + parts.signature.substr(0, 20), "truncated signature");
  expect_refused(sign_jwt(hs256_header(), claims_with({{"role", "owner"}, {"bky", w().b_owner.bakery_id}}),
                          k_other_secret),
                 "another bakery, another secret");
  const auto elevated = b64url_encode(claims_with({{"role", "owner"}, {"sub", w().b_owner.id}}));
  expect_refused(parts.header + "." + elevated + "." + parts.signature, "payload swapped under the old signature");
}

}  // namespace
}  // namespace bakewind::test::security_e2e
