#include "auth/jwt.hpp"
#include "auth/base64url.hpp"
#include "core/ids.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <gtest/gtest.h>

#include <limits>

namespace bakewind::auth {
namespace {

using std::chrono::system_clock;
const std::string secret(32, 's');

claims sample(long long now_s) {
  return claims{"user-1", "bakery-1", "owner", token_type::access, "jti-1", now_s, now_s + 900};
}

long long seconds(system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

// A token of this payload JSON, HS256-signed with `secret`.
std::string hs256(const std::string& payload_json) {
  const auto input = base64url_encode(R"({"alg":"HS256","typ":"JWT"})") + "." + base64url_encode(payload_json);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &len);
  return input + "." + base64url_encode(std::string(reinterpret_cast<const char*>(mac), len));
}

// Replaces one dot-separated part of a token.
std::string with_part(const std::string& token, int index, const std::string& part) {
  const auto a = token.find('.');
  const auto b = token.find('.', a + 1);
  if (index == 0) return part + token.substr(a);
  if (index == 1) return token.substr(0, a + 1) + part + token.substr(b);
  return token.substr(0, b + 1) + part;
}

TEST(base64url, round_trips_every_length) {
  std::string bytes;
  for (int i = 0; i < 40; ++i) {
    EXPECT_EQ(base64url_decode(base64url_encode(bytes)), bytes);
    bytes += static_cast<char>(i * 37);
  }
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
}

TEST(base64url, rejects_padding_foreign_characters_and_bad_lengths) {
  EXPECT_FALSE(base64url_decode("ab=="));
  EXPECT_FALSE(base64url_decode("a+b/"));
  EXPECT_FALSE(base64url_decode("abcde"));
  EXPECT_FALSE(base64url_decode("-_9"));  // non-zero leftover bits
}

TEST(jwt, signs_and_verifies_its_own_token) {
  const jwt_codec codec(secret, "");
  const auto now = system_clock::now();
  jwt_error why{};
  const auto c = codec.verify(codec.sign(sample(seconds(now))), now, why);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->sub, "user-1");
  EXPECT_EQ(c->bky, "bakery-1");
  EXPECT_EQ(c->role, "owner");
  EXPECT_EQ(c->typ, token_type::access);
  EXPECT_EQ(c->jti, "jti-1");
  EXPECT_EQ(c->exp - c->iat, 900);
}

TEST(jwt, header_is_hs256) {
  const jwt_codec codec(secret, "");
  const auto token = codec.sign(sample(1000));
  EXPECT_EQ(base64url_decode(token.substr(0, token.find('.'))), R"({"alg":"HS256","typ":"JWT"})");
}

TEST(jwt, other_secret_is_a_bad_signature) {
  const auto now = system_clock::now();
  const auto token = jwt_codec(std::string(32, 'x'), "").sign(sample(seconds(now)));
  jwt_error why{};
  EXPECT_FALSE(jwt_codec(secret, "").verify(token, now, why));
  EXPECT_EQ(why, jwt_error::bad_signature);
}

TEST(jwt, previous_secret_still_verifies_during_rotation) {
  const auto now = system_clock::now();
  const std::string old_secret(32, 'o');
  const auto token = jwt_codec(old_secret, "").sign(sample(seconds(now)));
  jwt_error why{};
  EXPECT_TRUE(jwt_codec(secret, old_secret).verify(token, now, why));
  EXPECT_FALSE(jwt_codec(secret, "").verify(token, now, why));
}

TEST(jwt, alg_none_and_other_algorithms_are_refused) {
  const jwt_codec codec(secret, "");
  const auto now = system_clock::now();
  const auto token = codec.sign(sample(seconds(now)));
  jwt_error why{};
  for (const char* header : {R"({"alg":"none","typ":"JWT"})", R"({"alg":"RS256","typ":"JWT"})",
                             R"({"alg":"HS512","typ":"JWT"})", R"({"typ":"JWT"})"}) {
    EXPECT_FALSE(codec.verify(with_part(token, 0, base64url_encode(header)), now, why)) << header;
    EXPECT_EQ(why, jwt_error::wrong_algorithm) << header;
  }
  const auto unsigned_token = with_part(with_part(token, 0, base64url_encode(R"({"alg":"none"})")), 2, "");
  EXPECT_FALSE(codec.verify(unsigned_token, now, why));
}

TEST(jwt, tampered_payload_is_a_bad_signature) {
  const jwt_codec codec(secret, "");
  const auto now = system_clock::now();
  const auto token = codec.sign(sample(seconds(now)));
  auto forged = sample(seconds(now));
  forged.role = "admin";
  const auto other = codec.sign(forged);
  const auto payload = other.substr(other.find('.') + 1, other.rfind('.') - other.find('.') - 1);
  jwt_error why{};
  EXPECT_FALSE(codec.verify(with_part(token, 1, payload), now, why));
  EXPECT_EQ(why, jwt_error::bad_signature);
}

TEST(jwt, expired_token_is_refused) {
  const jwt_codec codec(secret, "");
  const auto now = system_clock::now();
  auto c = sample(seconds(now) - 1000);
  c.exp = seconds(now);  // exp == now: already expired
  jwt_error why{};
  EXPECT_FALSE(codec.verify(codec.sign(c), now, why));
  EXPECT_EQ(why, jwt_error::expired);
}

TEST(jwt, token_issued_in_the_future_or_not_before_a_later_time_is_refused) {
  const jwt_codec codec(secret, "");
  const auto now = system_clock::now();
  const auto now_s = seconds(now);
  jwt_error why{};
  auto c = sample(now_s + 3600);
  EXPECT_FALSE(codec.verify(codec.sign(c), now, why)) << "iat an hour ahead";
  EXPECT_EQ(why, jwt_error::not_yet_valid);

  c = sample(now_s + k_jwt_clock_skew_s);  // within the skew instances may have
  EXPECT_TRUE(codec.verify(codec.sign(c), now, why));

  // nbf is not a claim we write; a token carrying one is held to it.
  const auto payload = [&](const std::string& nbf) {
    return R"({"sub":"u","bky":"b","role":"owner","typ":"access","jti":"j","iat":)" + std::to_string(now_s) +
           R"(,"exp":)" + std::to_string(now_s + 900) + R"(,"nbf":)" + nbf + "}";
  };
  const auto later = payload(std::to_string(now_s + 3600));
  EXPECT_FALSE(codec.verify(hs256(later), now, why)) << later;
  EXPECT_EQ(why, jwt_error::not_yet_valid);
  EXPECT_FALSE(codec.verify(hs256(payload(R"("soon")")), now, why)) << "nbf not a number";
  EXPECT_TRUE(codec.verify(hs256(payload(std::to_string(now_s))), now, why));
}

TEST(jwt, garbage_is_malformed) {
  const jwt_codec codec(secret, "");
  jwt_error why{};
  for (const char* t : {"", "abc", "a.b", "a.b.c.d", "....", "eyJ.eyJ.sig", "Bearer x"}) {
    EXPECT_FALSE(codec.verify(t, system_clock::now(), why)) << t;
  }
}

// Found by fuzz_jwt (fuzz/corpus/jwt/huge_iat_signed_part): verify() accepts
// any int64 `iat`, and turning it into milliseconds overflowed.
TEST(jwt, issued_ms_saturates_an_iat_too_large_for_milliseconds) {
  claims c = sample(1795651200);
  c.jti = "not-a-uuid";
  EXPECT_EQ(issued_ms(c), 1795651200000LL);
  c.iat = 4611686018427387903LL;
  EXPECT_EQ(issued_ms(c), std::numeric_limits<long long>::max() / 1000 * 1000);
  c.iat = std::numeric_limits<long long>::min();
  EXPECT_EQ(issued_ms(c), -(std::numeric_limits<long long>::max() / 1000 * 1000));
}

TEST(jwt, issued_ms_is_the_time_a_uuid_v7_jti_carries) {
  claims c = sample(1795651200);
  const auto at = system_clock::time_point(std::chrono::milliseconds(1795651200123LL));
  c.jti = core::random_uuid_v7(at);
  EXPECT_EQ(issued_ms(c), 1795651200123LL);
}

TEST(uuid_v7, carries_its_millisecond_and_sorts_by_time) {
  const auto t = system_clock::time_point(std::chrono::milliseconds(1795971788123));
  const auto id = core::random_uuid_v7(t);
  EXPECT_TRUE(core::is_uuid(id));
  EXPECT_EQ(id[14], '7');
  EXPECT_EQ(core::uuid_v7_millis(id), 1795971788123);
  EXPECT_LT(id, core::random_uuid_v7(t + std::chrono::milliseconds(1)));
  EXPECT_FALSE(core::uuid_v7_millis(core::random_uuid()));
}

}  // namespace
}  // namespace bakewind::auth
