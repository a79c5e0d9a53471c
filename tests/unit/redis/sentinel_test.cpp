// Sentinel without a server: the lookup sent to a Sentinel and its answers
// (an address, an unknown name, refused AUTH), ROLE replies, and
// +switch-master messages, well-formed and not.

#include "redis/resp.hpp"
#include "redis/sentinel.hpp"
#include "replies.hpp"

#include <gtest/gtest.h>

namespace bakewind::redis {
namespace {

using namespace replies;

// Parses RESP bytes, as they come from a server.
reply parsed(std::string_view bytes) {
  resp_reader reader;
  reader.feed(bytes.data(), bytes.size());
  auto r = reader.next();
  EXPECT_TRUE(r.has_value());
  return r.value_or(reply{});
}

options data_options() {
  options o;
  o.host = "ignored";
  o.port = 6379;
  o.username = "app";
  o.password = "data-secret";
  o.database = 3;
  o.sentinels = {{"10.0.0.1", 26379}, {"10.0.0.2", 26380}};
  o.sentinel_master = "mymaster";
  o.sentinel_password = "sentinel-secret";
  o.sentinel_timeout = std::chrono::milliseconds(300);
  return o;
}

TEST(sentinel_options, speak_to_the_sentinel_with_its_own_credentials_and_no_database) {
  const auto o = sentinel_options(data_options(), {"10.0.0.2", 26380});
  EXPECT_EQ(o.host, "10.0.0.2");
  EXPECT_EQ(o.port, 26380);
  EXPECT_EQ(o.username, "");
  EXPECT_EQ(o.password, "sentinel-secret");
  EXPECT_EQ(o.database, 0);
  EXPECT_EQ(o.connect_timeout, std::chrono::milliseconds(300));
  EXPECT_TRUE(o.sentinels.empty());
  EXPECT_EQ(o.sentinel_master, "mymaster");
}

TEST(lookup_commands, auth_then_name_then_the_question) {
  const auto o = sentinel_options(data_options(), {"10.0.0.1", 26379});
  const auto [bytes, count] = lookup_commands(o);
  EXPECT_EQ(count, 3u);
  std::string expected;
  append_command(expected, {"AUTH", "sentinel-secret"});
  append_command(expected, {"CLIENT", "SETNAME", "bakewind"});
  append_command(expected, {"SENTINEL", "get-master-addr-by-name", "mymaster"});
  EXPECT_EQ(bytes, expected);
}

TEST(lookup_commands, without_password_or_name_only_the_question) {
  auto data = data_options();
  data.sentinel_password.clear();
  data.client_name.clear();
  const auto [bytes, count] = lookup_commands(sentinel_options(data, {"h", 1}));
  EXPECT_EQ(count, 1u);
  std::string expected;
  append_command(expected, {"SENTINEL", "get-master-addr-by-name", "mymaster"});
  EXPECT_EQ(bytes, expected);
}

TEST(read_lookup, an_address_is_the_master) {
  const auto o = sentinel_options(data_options(), {"h", 1});
  const auto address = parsed("*2\r\n$9\r\n127.0.0.1\r\n$4\r\n6380\r\n");
  const auto found = read_lookup({ok(), ok(), address}, o);
  ASSERT_TRUE(found.address.has_value()) << found.failure;
  EXPECT_EQ(found.address->host, "127.0.0.1");
  EXPECT_EQ(found.address->port, 6380);
  EXPECT_EQ(found.failure, "");
}

TEST(read_lookup, nil_means_the_sentinel_does_not_know_the_name) {
  const auto o = sentinel_options(data_options(), {"h", 1});
  const auto found = read_lookup({ok(), ok(), parsed("*-1\r\n")}, o);
  EXPECT_FALSE(found.address);
  EXPECT_EQ(found.failure, "Sentinel does not know master 'mymaster'");
}

TEST(read_lookup, refused_auth_names_the_variable_and_not_the_server_text) {
  const auto o = sentinel_options(data_options(), {"h", 1});
  const auto found =
      read_lookup({error_reply("WRONGPASS invalid username-password pair"), error_reply("NOAUTH x"), error_reply("NOAUTH y")}, o);
  EXPECT_FALSE(found.address);
  EXPECT_EQ(found.failure, "Sentinel authentication failed (WRONGPASS): check REDIS_SENTINEL_PASSWORD");
}

TEST(read_lookup, noauth_without_a_password_asks_for_one) {
  auto data = data_options();
  data.sentinel_password.clear();
  const auto o = sentinel_options(data, {"h", 1});
  const auto found = read_lookup({error_reply("NOAUTH Authentication required."), error_reply("NOAUTH Authentication required.")}, o);
  EXPECT_EQ(found.failure, "Sentinel requires a password (NOAUTH): set REDIS_SENTINEL_PASSWORD");
}

TEST(read_lookup, a_failed_client_setname_does_not_matter) {
  auto data = data_options();
  data.sentinel_password.clear();
  const auto o = sentinel_options(data, {"h", 1});
  const auto found = read_lookup({error_reply("ERR unknown command"), array({text("::1"), text("7000")})}, o);
  ASSERT_TRUE(found.address.has_value()) << found.failure;
  EXPECT_EQ(found.address->host, "::1");
}

TEST(read_lookup, too_few_replies_or_another_error_fail) {
  const auto o = sentinel_options(data_options(), {"h", 1});
  EXPECT_FALSE(read_lookup({ok()}, o).failure.empty());
  EXPECT_EQ(read_lookup({ok(), ok(), error_reply("ERR no such command")}, o).failure, "Sentinel refused the lookup (ERR)");
}

TEST(parse_master_address, malformed_answers_are_refused) {
  EXPECT_FALSE(parse_master_address(nil()));
  EXPECT_FALSE(parse_master_address(text("127.0.0.1:6379")));
  EXPECT_FALSE(parse_master_address(array({text("127.0.0.1")})));
  EXPECT_FALSE(parse_master_address(array({text("127.0.0.1"), text("0")})));
  EXPECT_FALSE(parse_master_address(array({text("127.0.0.1"), text("65536")})));
  EXPECT_FALSE(parse_master_address(array({text("127.0.0.1"), text("63a")})));
  EXPECT_FALSE(parse_master_address(array({text(""), text("6379")})));
  EXPECT_FALSE(parse_master_address(array({text("127.0.0.1"), text("6379"), text("x")})));
  const auto ok_address = parse_master_address(array({text("10.1.2.3"), text("65535")}));
  ASSERT_TRUE(ok_address);
  EXPECT_EQ(ok_address->text(), "10.1.2.3:65535");
}

TEST(role_failure, only_a_master_is_written_to) {
  EXPECT_EQ(role_failure(parsed("*3\r\n$6\r\nmaster\r\n:3129659\r\n*0\r\n")), "");
  EXPECT_EQ(role_failure(parsed("*5\r\n$5\r\nslave\r\n$9\r\n127.0.0.1\r\n:9538\r\n$9\r\nconnected\r\n:3167038\r\n")),
            "ROLE is slave, not master");
  EXPECT_EQ(role_failure(parsed("*2\r\n$8\r\nsentinel\r\n*1\r\n$8\r\nmymaster\r\n")), "ROLE is sentinel, not master");
  EXPECT_EQ(role_failure(error_reply("ERR unknown command 'ROLE'")), "ROLE failed (ERR)");
  EXPECT_EQ(role_failure(array({})), "ROLE gave a malformed reply");
  EXPECT_EQ(role_failure(text("master")), "ROLE gave a malformed reply");
}

TEST(role_failure, an_acl_user_without_role_is_accepted) {
  EXPECT_EQ(role_failure(error_reply("NOPERM this user has no permissions to run the 'role' command")), "");
}

TEST(parse_switch_master, reads_name_and_both_addresses) {
  const auto s = parse_switch_master("mymaster 127.0.0.1 6379 10.0.0.9 6380");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->name, "mymaster");
  EXPECT_EQ(s->from, (server_address{"127.0.0.1", 6379}));
  EXPECT_EQ(s->to, (server_address{"10.0.0.9", 6380}));
}

TEST(parse_switch_master, malformed_messages_are_refused) {
  for (const char* bad : {"", "mymaster", "mymaster 127.0.0.1 6379 10.0.0.9", "mymaster 127.0.0.1 6379 10.0.0.9 6380 x",
                          "mymaster 127.0.0.1 6379 10.0.0.9 0", "mymaster 127.0.0.1 x 10.0.0.9 6380",
                          "mymaster  127.0.0.1 6379 10.0.0.9 6380", "mymaster 127.0.0.1 6379 10.0.0.9 6380 ",
                          " mymaster 127.0.0.1 6379 10.0.0.9 6380", "mymaster 127.0.0.1 6379 10.0.0.9 99999"}) {
    EXPECT_FALSE(parse_switch_master(bad)) << '"' << bad << '"';
  }
}

}  // namespace
}  // namespace bakewind::redis
