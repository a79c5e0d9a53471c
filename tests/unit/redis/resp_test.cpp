// RESP without a server: commands encoded to exact bytes, replies parsed from
// bytes fed one at a time and split at every position.

#include "redis/resp.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace bakewind::redis {
namespace {

using namespace std::string_literals;

std::string encode(std::initializer_list<std::string_view> args) {
  std::string out;
  append_command(out, args);
  return out;
}

// Every reply in `bytes`, fed one byte at a time; checks that no reply
// appears before its last byte has arrived.
std::vector<reply> parse_bytewise(const std::string& bytes) {
  resp_reader reader;
  std::vector<reply> out;
  for (char b : bytes) {
    reader.feed(&b, 1);
    while (auto r = reader.next()) out.push_back(std::move(*r));
  }
  return out;
}

// The single reply in `bytes`, fed byte by byte.
reply parse_one(const std::string& bytes) {
  auto all = parse_bytewise(bytes);
  EXPECT_EQ(all.size(), 1u) << bytes;
  return all.empty() ? reply{} : std::move(all.front());
}

// append_command ---------------------------------------------------------

TEST(append_command, writes_an_array_of_bulk_strings) {
  EXPECT_EQ(encode({"SET", "key", "value"}), "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n");
  EXPECT_EQ(encode({"PING"}), "*1\r\n$4\r\nPING\r\n");
}

TEST(append_command, is_binary_safe_for_crlf_and_nul_inside_values) {
  const std::string value = "a\r\nb\0c"s;
  ASSERT_EQ(value.size(), 6u);
  EXPECT_EQ(encode({"SET", "k", value}), "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$6\r\na\r\nb\0c\r\n"s);
}

TEST(append_command, encodes_empty_arguments) {
  EXPECT_EQ(encode({"SET", "k", ""}), "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n");
}

TEST(append_command, appends_to_what_is_already_in_the_buffer) {
  std::string out = "*1\r\n$4\r\nPING\r\n";
  append_command(out, {"GET", "k"});
  EXPECT_EQ(out, "*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
}

TEST(append_command, span_form_counts_many_arguments_and_long_values) {
  std::vector<std::string> owned(12, "x");
  owned[11] = std::string(1000, 'y');
  const std::vector<std::string_view> args(owned.begin(), owned.end());
  std::string out;
  append_command(out, args);
  EXPECT_EQ(out.substr(0, 5), "*12\r\n");
  EXPECT_NE(out.find("$1000\r\n" + std::string(1000, 'y') + "\r\n"), std::string::npos);
}

TEST(append_command, round_trips_through_the_reader) {
  const std::string value = "\0\r\n$3\r\n*\xff"s;
  const auto r = parse_one(encode({"SET", "k", value}));
  ASSERT_EQ(r.type, reply::kind::array);
  ASSERT_EQ(r.elements.size(), 3u);
  EXPECT_EQ(r.elements[2].type, reply::kind::string);
  EXPECT_EQ(r.elements[2].text, value);
}

// resp_reader: every kind, byte by byte -------------------------------------

TEST(resp_reader, status) {
  const auto r = parse_one("+OK\r\n");
  EXPECT_EQ(r.type, reply::kind::status);
  EXPECT_EQ(r.text, "OK");
  EXPECT_FALSE(r.is_error());
  EXPECT_EQ(r.error_code(), "");
}

TEST(resp_reader, error_with_its_code) {
  const auto r = parse_one("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
  EXPECT_EQ(r.type, reply::kind::error);
  EXPECT_TRUE(r.is_error());
  EXPECT_EQ(r.error_code(), "WRONGTYPE");
  EXPECT_EQ(r.text, "WRONGTYPE Operation against a key holding the wrong kind of value");
  EXPECT_EQ(parse_one("-NOSCRIPT No matching script.\r\n").error_code(), "NOSCRIPT");
  EXPECT_EQ(parse_one("-ERR\r\n").error_code(), "ERR");
}

TEST(resp_reader, integers) {
  EXPECT_EQ(parse_one(":0\r\n").integer, 0);
  EXPECT_EQ(parse_one(":1000\r\n").integer, 1000);
  EXPECT_EQ(parse_one(":-2\r\n").integer, -2);
  EXPECT_EQ(parse_one(":9223372036854775807\r\n").integer, 9223372036854775807LL);
  EXPECT_EQ(parse_one(":1\r\n").type, reply::kind::integer);
}

TEST(resp_reader, nil_bulk_is_nil) {
  const auto r = parse_one("$-1\r\n");
  EXPECT_EQ(r.type, reply::kind::nil);
  EXPECT_TRUE(r.is_nil());
}

TEST(resp_reader, empty_bulk_is_an_empty_string_not_nil) {
  const auto r = parse_one("$0\r\n\r\n");
  EXPECT_EQ(r.type, reply::kind::string);
  EXPECT_FALSE(r.is_nil());
  EXPECT_EQ(r.text, "");
}

TEST(resp_reader, bulk_with_crlf_and_nul_inside) {
  const auto r = parse_one("$6\r\na\r\nb\0c\r\n"s);
  EXPECT_EQ(r.type, reply::kind::string);
  EXPECT_EQ(r.text, "a\r\nb\0c"s);
}

TEST(resp_reader, nested_arrays_with_mixed_elements) {
  const auto r = parse_one("*4\r\n*2\r\n:1\r\n$1\r\na\r\n*0\r\n$-1\r\n+OK\r\n");
  ASSERT_EQ(r.type, reply::kind::array);
  ASSERT_EQ(r.elements.size(), 4u);
  ASSERT_EQ(r.elements[0].type, reply::kind::array);
  ASSERT_EQ(r.elements[0].elements.size(), 2u);
  EXPECT_EQ(r.elements[0].elements[0].integer, 1);
  EXPECT_EQ(r.elements[0].elements[1].text, "a");
  EXPECT_EQ(r.elements[1].type, reply::kind::array);
  EXPECT_TRUE(r.elements[1].elements.empty());
  EXPECT_TRUE(r.elements[2].is_nil());
  EXPECT_EQ(r.elements[3].type, reply::kind::status);
}

TEST(resp_reader, scan_shaped_reply) {
  const auto r = parse_one("*2\r\n$2\r\n17\r\n*2\r\n$3\r\nk:1\r\n$3\r\nk:2\r\n");
  ASSERT_EQ(r.elements.size(), 2u);
  EXPECT_EQ(r.elements[0].text, "17");
  ASSERT_EQ(r.elements[1].elements.size(), 2u);
  EXPECT_EQ(r.elements[1].elements[1].text, "k:2");
}

TEST(resp_reader, nil_array_is_nil) {
  const auto r = parse_one("*-1\r\n");
  EXPECT_EQ(r.type, reply::kind::nil);
}

TEST(resp_reader, empty_array) {
  const auto r = parse_one("*0\r\n");
  EXPECT_EQ(r.type, reply::kind::array);
  EXPECT_TRUE(r.elements.empty());
}

TEST(resp_reader, several_replies_in_one_feed_come_out_in_order) {
  resp_reader reader;
  const std::string bytes = "+OK\r\n:42\r\n$-1\r\n$3\r\nfoo\r\n-ERR bad\r\n*1\r\n:7\r\n";
  reader.feed(bytes.data(), bytes.size());
  std::vector<reply> got;
  while (auto r = reader.next()) got.push_back(std::move(*r));
  ASSERT_EQ(got.size(), 6u);
  EXPECT_EQ(got[0].text, "OK");
  EXPECT_EQ(got[1].integer, 42);
  EXPECT_TRUE(got[2].is_nil());
  EXPECT_EQ(got[3].text, "foo");
  EXPECT_EQ(got[4].error_code(), "ERR");
  EXPECT_EQ(got[5].elements.at(0).integer, 7);
  EXPECT_FALSE(reader.next().has_value());
}

TEST(resp_reader, nothing_comes_out_before_the_last_byte) {
  resp_reader reader;
  EXPECT_FALSE(reader.next().has_value());
  const std::string bytes = "$5\r\nhello\r\n";
  for (std::size_t i = 0; i + 1 < bytes.size(); ++i) {
    reader.feed(&bytes[i], 1);
    EXPECT_FALSE(reader.next().has_value()) << "after byte " << i;
  }
  reader.feed(&bytes.back(), 1);
  const auto r = reader.next();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->text, "hello");
}

TEST(resp_reader, a_reply_split_at_every_position_parses_the_same) {
  const std::string bytes = "*3\r\n$5\r\nhel\r\n\r\n:-12\r\n*2\r\n+OK\r\n$-1\r\n";
  for (std::size_t cut = 0; cut <= bytes.size(); ++cut) {
    resp_reader reader;
    reader.feed(bytes.data(), cut);
    auto early = reader.next();
    if (cut < bytes.size()) {
      EXPECT_FALSE(early.has_value()) << "cut " << cut;
    }
    reader.feed(bytes.data() + cut, bytes.size() - cut);
    auto r = early ? std::move(early) : reader.next();
    ASSERT_TRUE(r.has_value()) << "cut " << cut;
    ASSERT_EQ(r->elements.size(), 3u) << "cut " << cut;
    EXPECT_EQ(r->elements[0].text, "hel\r\n") << "cut " << cut;
    EXPECT_EQ(r->elements[1].integer, -12) << "cut " << cut;
    EXPECT_EQ(r->elements[2].elements.at(0).text, "OK") << "cut " << cut;
    EXPECT_TRUE(r->elements[2].elements.at(1).is_nil()) << "cut " << cut;
    EXPECT_FALSE(reader.next().has_value());
  }
}

TEST(resp_reader, a_large_bulk_fed_in_odd_chunks) {
  const std::string value(100000, 'z');
  const std::string bytes = "$100000\r\n" + value + "\r\n";
  resp_reader reader;
  std::optional<reply> r;
  for (std::size_t at = 0; at < bytes.size(); at += 4093) {
    reader.feed(bytes.data() + at, std::min<std::size_t>(4093, bytes.size() - at));
    if (auto got = reader.next()) r = std::move(got);
  }
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->text, value);
}

// resp_reader: malformed input and reset -------------------------------------

TEST(resp_reader, an_unknown_type_byte_throws_protocol_error) {
  for (const std::string bytes : {"?what\r\n", "hello\r\n", "+OK\r\nX\r\n"}) {
    resp_reader reader;
    reader.feed(bytes.data(), bytes.size());
    if (bytes.starts_with("+OK")) {
      ASSERT_TRUE(reader.next().has_value());
    }
    EXPECT_THROW(reader.next(), protocol_error) << bytes;
  }
}

TEST(resp_reader, too_deeply_nested_arrays_throw_protocol_error) {
  std::string bytes;
  for (int i = 0; i < 10; ++i) bytes += "*1\r\n";
  bytes += ":1\r\n";
  resp_reader reader;
  reader.feed(bytes.data(), bytes.size());
  EXPECT_THROW(reader.next(), protocol_error);
}

// Found by fuzz_resp_reader (fuzz/corpus/resp_reader/oom-huge-array-length):
// hiredis allocated the announced element array (4 GB) before any element.
TEST(resp_reader, an_array_longer_than_any_reply_is_a_protocol_error_not_an_allocation) {
  for (const std::string& bytes : {"*555555552\r\n+1\r\n"s, "*1\r\n*2147483647\r\n"s, "*1048577\r\n"s}) {
    resp_reader reader;
    reader.feed(bytes.data(), bytes.size());
    EXPECT_THROW(reader.next(), protocol_error) << bytes;
  }
}

TEST(resp_reader, an_array_of_a_million_elements_is_still_read) {
  std::string bytes = "*1048576\r\n";
  for (int i = 0; i < 1048576; ++i) bytes += ":1\r\n";
  resp_reader reader;
  reader.feed(bytes.data(), bytes.size());
  const auto r = reader.next();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->elements.size(), 1048576u);
}

TEST(resp_reader, reset_forgets_a_partial_reply) {
  resp_reader reader;
  const std::string partial = "$5\r\nhel";
  reader.feed(partial.data(), partial.size());
  EXPECT_FALSE(reader.next().has_value());
  reader.reset();
  const std::string next = "+PONG\r\n";
  reader.feed(next.data(), next.size());
  const auto r = reader.next();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->type, reply::kind::status);
  EXPECT_EQ(r->text, "PONG");
}

TEST(resp_reader, reset_makes_a_reader_usable_after_a_protocol_error) {
  resp_reader reader;
  const std::string bad = "?\r\n";
  reader.feed(bad.data(), bad.size());
  EXPECT_THROW(reader.next(), protocol_error);
  reader.reset();
  const std::string good = ":5\r\n";
  reader.feed(good.data(), good.size());
  const auto r = reader.next();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->integer, 5);
}

}  // namespace
}  // namespace bakewind::redis
