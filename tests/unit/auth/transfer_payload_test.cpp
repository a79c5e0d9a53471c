// auth/transfer.hpp: the stored value of a hand-off, as written and as read
// back (by this build, from this build's and any other writer's value).

#include "auth/transfer.hpp"
#include "core/json.hpp"

#include <gtest/gtest.h>

namespace bakewind::auth {
namespace {

const std::string k_access = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJlLW9mLXRoZS1hY2Nlc3MtdG9rZW4";
const std::string k_refresh = "eyJhbGciOiJIUzI1NiJ9.eyJ0eXAiOiJyZWZyZXNoIn0.cmVmcmVzaC1zaWduYXR1cmUtMDEyMzQ1Njc4OQ";
const std::string k_user = "0190f3c2-7b1e-7c3d-8e4f-a1b2c3d4e5f6";
const std::string k_created = "2026-11-25T17:03:08.123Z";

// What the claim answers: the grant as core::to_json writes the object.
std::string grant_as_object(const std::string& a, const std::string& r, const std::string& u) {
  return core::to_json(boost::json::object{{"accessToken", a}, {"refreshToken", r}, {"userId", u}});
}

std::optional<std::string> grant_of(const std::string& stored) {
  auto grant = read_transfer_payload(stored);
  if (!grant) return std::nullopt;
  return grant->json;
}

TEST(transfer_payload, is_the_bytes_to_json_writes_for_the_object_so_older_instances_read_it) {
  for (const std::string& odd : {std::string("plain"), std::string("quote\" back\\slash"), std::string("ctl\x01\n"),
                                 std::string("caf\xc3\xa9"), std::string()}) {
    const auto expected = core::to_json(
        boost::json::object{{"accessToken", k_access}, {"refreshToken", odd}, {"userId", k_user}, {"createdAt", k_created}});
    EXPECT_EQ(transfer_payload(k_access, odd, k_user, k_created), expected) << odd;
  }
}

TEST(transfer_payload, written_value_reads_back_as_the_grant_without_created_at) {
  EXPECT_EQ(grant_of(transfer_payload(k_access, k_refresh, k_user, k_created)), grant_as_object(k_access, k_refresh, k_user));
}

TEST(transfer_payload, values_needing_escapes_or_utf8_read_back_the_same) {
  for (const std::string& odd : {std::string("quote\" back\\slash"), std::string("ctl\x01\x1f"),
                                 std::string("caf\xc3\xa9 \xe2\x82\xac"), std::string("del\x7f"), std::string()}) {
    EXPECT_EQ(grant_of(transfer_payload(odd, k_refresh, k_user, k_created)), grant_as_object(odd, k_refresh, k_user)) << odd;
    EXPECT_EQ(grant_of(transfer_payload(k_access, k_refresh, odd, k_created)), grant_as_object(k_access, k_refresh, odd)) << odd;
  }
}

TEST(transfer_payload, any_object_with_the_three_strings_is_read_whatever_its_layout) {
  const auto expected = grant_as_object(k_access, k_refresh, k_user);
  const std::string reordered =
      R"({"userId":")" + k_user + R"(","createdAt":"x","refreshToken":")" + k_refresh + R"(","accessToken":")" + k_access +
      R"("})";
  EXPECT_EQ(grant_of(reordered), expected);
  const std::string spaced = R"({ "accessToken" : ")" + k_access + R"(", "refreshToken": ")" + k_refresh +
                             R"(", "userId": ")" + k_user + R"(" })";
  EXPECT_EQ(grant_of(spaced), expected) << "no createdAt, whitespace";
  const std::string escaped = R"({"accessToken":"\u0065)" + k_access.substr(1) + R"(","refreshToken":")" + k_refresh +
                              R"(","userId":")" + k_user + R"(","createdAt":"x","extra":[1,{"a":null}]})";
  EXPECT_EQ(grant_of(escaped), expected) << "an escape where the written form has none";
}

TEST(transfer_payload, anything_but_an_object_with_the_three_strings_is_refused) {
  const std::string written = transfer_payload(k_access, k_refresh, k_user, k_created);
  for (const std::string& bad : std::vector<std::string>{
           std::string(), std::string("null"), std::string("[]"), std::string("\"x\""), written + "x", written + "}",
        "{\"accessToken\":\"a\",\"refreshToken\":\"r\"}", "{\"accessToken\":1,\"refreshToken\":\"r\",\"userId\":\"u\"}",
        "{\"accessToken\":\"a\",\"refreshToken\":\"r\",\"userId\":null}",
        "{\"accessToken\":\"a\x01\",\"refreshToken\":\"r\",\"userId\":\"u\",\"createdAt\":\"c\"}",
        "{\"accessToken\":\"a\xff\",\"refreshToken\":\"r\",\"userId\":\"u\",\"createdAt\":\"c\"}"}) {
    EXPECT_FALSE(read_transfer_payload(bad)) << bad;
  }
}

// The server that stored a session (claim() refuses it from any other).
TEST(transfer_payload, the_storing_server_is_written_last_and_read_back_by_both_readers) {
  const std::string run_id = "3f1c9a0b7d2e4f6a8b0c1d2e3f4a5b6c7d8e9f01";
  const std::string written = transfer_payload(k_access, k_refresh, k_user, k_created, run_id);
  EXPECT_EQ(written, core::to_json(boost::json::object{{"accessToken", k_access},
                                                       {"refreshToken", k_refresh},
                                                       {"userId", k_user},
                                                       {"createdAt", k_created},
                                                       {"storedOn", run_id}}));
  const auto grant = read_transfer_payload(written);
  ASSERT_TRUE(grant);
  EXPECT_EQ(grant->json, grant_as_object(k_access, k_refresh, k_user));
  EXPECT_EQ(grant->stored_on, run_id);
  const std::string reordered = R"({"storedOn":")" + run_id + R"(","userId":")" + k_user + R"(","refreshToken":")" +
                                k_refresh + R"(","accessToken":")" + k_access + R"("})";
  const auto parsed = read_transfer_payload(reordered);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->json, grant->json);
  EXPECT_EQ(parsed->stored_on, run_id) << "the parser's reading";
  EXPECT_EQ(read_transfer_payload(transfer_payload(k_access, k_refresh, k_user, k_created))->stored_on, "")
      << "an older build's value: no server to compare";
  for (std::size_t n = 0; n < written.size(); ++n) EXPECT_FALSE(read_transfer_payload(written.substr(0, n))) << n;
}

TEST(transfer_payload, every_truncation_of_a_written_value_is_refused) {
  const std::string written = transfer_payload(k_access, k_refresh, k_user, k_created);
  for (std::size_t n = 0; n < written.size(); ++n) {
    EXPECT_FALSE(read_transfer_payload(written.substr(0, n))) << n;
  }
}

}  // namespace
}  // namespace bakewind::auth
