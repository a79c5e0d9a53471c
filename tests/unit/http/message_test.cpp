// response_head against Beast's own serializer: the bytes a client gets did
// not change when the server stopped using it.
#include "http/detail/message.hpp"

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <gtest/gtest.h>

#include <sstream>
#include <string>

namespace bakewind::http::detail {
namespace {

namespace bhttp = boost::beast::http;

// What connection.cpp wrote before: a Beast response, keep_alive, then prepare_payload.
std::string beast_wire(const response& res, unsigned version, bool keep, bool head_only) {
  bhttp::response<bhttp::string_body> out{static_cast<bhttp::status>(res.status), version};
  if (!res.content_type.empty()) out.set(bhttp::field::content_type, res.content_type);
  for (const auto& [name, value] : res.headers) out.insert(name, value);
  out.keep_alive(keep);
  out.body() = res.body;
  out.prepare_payload();
  std::ostringstream text;
  if (head_only) {
    text << out.base();
  } else {
    text << out;
  }
  return text.str();
}

std::string our_wire(const response& res, unsigned version, bool keep, bool head_only) {
  std::string out = response_head(res, version, keep);
  if (sends_body(res, head_only)) out += res.body;
  return out;
}

TEST(response_head, writes_what_beast_wrote_for_every_status_and_connection) {
  for (const unsigned status : {200u, 201u, 204u, 301u, 304u, 400u, 401u, 403u, 404u, 405u, 408u, 409u, 413u, 415u,
                                429u, 431u, 500u, 503u, 505u}) {
    response res;
    res.status = status;
    if (status != 204 && status != 304) res.body = R"({"statusCode":)" + std::to_string(status) + "}";
    res.headers = {{"X-Request-Id", "req-1"}, {"Retry-After", "2"}};
    for (const unsigned version : {10u, 11u}) {
      for (const bool keep : {true, false}) {
        for (const bool head_only : {false, true}) {
          std::string want = beast_wire(res, version, keep, head_only);
          // Beast wrote "Content-Length: 0" on a 204 and a 304, which RFC
          // 9110 (8.6) forbids on a 204 and Express leaves out of both.
          if (status == 204 || status == 304) want.erase(want.find("Content-Length: 0\r\n"), 19);
          EXPECT_EQ(our_wire(res, version, keep, head_only), want)
              << status << " HTTP/" << version << " keep " << keep << " head " << head_only;
        }
      }
    }
  }
}

TEST(response_head, keeps_the_header_order_and_leaves_out_an_empty_type) {
  response res;
  res.content_type = {};
  res.body = "<svg/>";
  res.headers = {{"ETag", "\"abc\""}, {"Cache-Control", "no-cache"}, {"Vary", "Origin, Access-Control-Request-Headers"}};
  EXPECT_EQ(our_wire(res, 11, true, false), beast_wire(res, 11, true, false));
  EXPECT_EQ(response_head(res, 11, true),
            "HTTP/1.1 200 OK\r\nETag: \"abc\"\r\nCache-Control: no-cache\r\n"
            "Vary: Origin, Access-Control-Request-Headers\r\nContent-Length: 6\r\n\r\n");
}

TEST(response_head, a_bodiless_status_sends_no_length_and_no_body) {
  response res = empty_response(204);
  EXPECT_EQ(response_head(res, 11, false), "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
  EXPECT_FALSE(sends_body(res, false));
  res.status = 200;
  res.body = "{}";
  EXPECT_TRUE(sends_body(res, false));
  EXPECT_FALSE(sends_body(res, true)) << "HEAD";
  EXPECT_NE(response_head(res, 11, true).find("Content-Length: 2\r\n"), std::string::npos) << "HEAD tells GET's length";
}

}  // namespace
}  // namespace bakewind::http::detail
