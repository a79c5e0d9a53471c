// core/json: parsing untrusted text and writing JSON the way JSON.stringify
// does (numbers in logs, /health and every response).

#include "core/json.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <random>

namespace bakewind::core {
namespace {

TEST(json, parse_rejects_bad_documents_and_deep_nesting) {
  EXPECT_TRUE(parse_json(R"({"a":[1,2,{"b":null}]})"));
  EXPECT_FALSE(parse_json("{"));
  EXPECT_FALSE(parse_json("{} {}"));
  EXPECT_FALSE(parse_json(""));
  EXPECT_FALSE(parse_json(std::string(100000, '[') + std::string(100000, ']')));
}

// A number's text (to_json has overloads for objects and arrays too).
std::string text_of(boost::json::value v) {
  return to_json(v);
}

TEST(json, writes_numbers_as_javascript_does) {
  EXPECT_EQ(text_of(26.295), "26.295");
  EXPECT_EQ(text_of(0.121), "0.121");
  EXPECT_EQ(text_of(5.0), "5");
  EXPECT_EQ(text_of(-0.5), "-0.5");
  EXPECT_EQ(text_of(0.0), "0");
  EXPECT_EQ(text_of(1e6), "1000000");
  EXPECT_EQ(text_of(123456789012.5), "123456789012.5");
  EXPECT_EQ(text_of(0.000001), "0.000001");
  EXPECT_EQ(text_of(1e21), "1e+21");
  EXPECT_EQ(text_of(1.5e-7), "1.5e-07");
  EXPECT_EQ(text_of(std::numeric_limits<double>::quiet_NaN()), "null");
  EXPECT_EQ(text_of(std::numeric_limits<double>::infinity()), "null");
  EXPECT_EQ(text_of(std::numeric_limits<std::int64_t>::min()), "-9223372036854775808");
  EXPECT_EQ(text_of(std::numeric_limits<std::uint64_t>::max()), "18446744073709551615");
}

TEST(json, every_double_reads_back_the_same) {
  std::mt19937_64 random(42);
  std::uniform_real_distribution<double> exponent(-30, 30);
  for (int i = 0; i < 20000; ++i) {
    const double d = std::pow(10.0, exponent(random)) * (i % 2 ? 1 : -1);
    const auto text = text_of(d);
    EXPECT_EQ(text.find('E'), std::string::npos) << text;
    ASSERT_TRUE(parse_json(text)) << text;
    // strtod rounds exactly (Boost.JSON 1.81's parser may be one unit off).
    EXPECT_EQ(std::strtod(text.c_str(), nullptr), d) << text;
  }
}

TEST(json, escapes_what_json_requires_and_passes_utf8_through) {
  const std::string s = std::string("q\"b\\s/ \b\f\n\r\t") + '\x01' + '\x1f' + "\x7f é €";
  const auto text = to_json(boost::json::value(s));
  EXPECT_EQ(text, "\"q\\\"b\\\\s/ \\b\\f\\n\\r\\t\\u0001\\u001f\x7f é €\"");
  EXPECT_EQ(parse_json(text)->as_string(), s);
  EXPECT_EQ(to_json(boost::json::value(std::string("a\0b", 3))), "\"a\\u0000b\"");
}

// Texts are scanned eight bytes at a time, their last few bytes as one
// padded word: every byte value, at every position of a text of every
// length up to three words, alone or after a quote, is escaped as it is alone.
TEST(json, escapes_each_byte_the_same_wherever_it_stands) {
  for (int b = 0; b < 256; ++b) {
    const char c = static_cast<char>(b);
    const auto alone = to_json(boost::json::value(std::string(1, c)));
    const auto inner = alone.substr(1, alone.size() - 2);
    for (std::size_t n = 1; n <= 24; ++n) {
      for (std::size_t at = 0; at < n; ++at) {
        std::string text(n, 'a');
        text[at] = c;
        EXPECT_EQ(to_json(boost::json::value(text)), "\"" + std::string(at, 'a') + inner + std::string(n - 1 - at, 'a') + "\"")
            << "byte " << b << " at " << at << " of " << n;
        if (at == 0) continue;
        text[0] = '"';
        EXPECT_EQ(to_json(boost::json::value(text)),
                  "\"\\\"" + std::string(at - 1, 'a') + inner + std::string(n - 1 - at, 'a') + "\"")
            << "byte " << b << " at " << at << " of " << n << " after a quote";
      }
    }
  }
  EXPECT_EQ(to_json(boost::json::value("")), "\"\"");
}

TEST(json, keeps_the_order_and_shape_of_objects_and_arrays) {
  const boost::json::value v = {{"z", 1}, {"a", boost::json::array{true, nullptr, "x", 2.5}}, {"e", boost::json::object{}},
                                {"k\"ey", boost::json::array{}}};
  const auto text = to_json(v);
  EXPECT_EQ(text, R"({"z":1,"a":[true,null,"x",2.5],"e":{},"k\"ey":[]})");
  EXPECT_EQ(*parse_json(text), v);
  std::string appended = "x=";
  append_json(appended, v);
  EXPECT_EQ(appended, "x=" + text);
}

}  // namespace
}  // namespace bakewind::core
