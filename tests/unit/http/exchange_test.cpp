// http::exchange, the no-network path: bytes of one connection in, the
// server's bytes out, through the real parser, dispatcher and router.

#include "http/exchange.hpp"

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

namespace bakewind::http {
namespace {

namespace asio = boost::asio;

class exchange_test : public ::testing::Test {
 protected:
  exchange_test() : cors({"http://localhost:3000"}), dispatch(routes, cors) {
    auto echo = [](request& r) -> asio::awaitable<response> {
      co_return json_response(200, r.json ? *r.json : boost::json::value("no json"));
    };
    auto ok = [](request&) -> asio::awaitable<response> {
      co_return json_response(200, boost::json::object{{"ok", true}});
    };
    auto refuse = [](request&) -> asio::awaitable<ws_accept> {
      throw http_error(401, "Unauthorized");
      co_return ws_accept{};
    };
    routes.add(method::post, "/echo", echo);
    routes.add(method::get, "/ok", ok);
    routes.add_websocket("/ws", refuse);
  }

  exchange_result run(std::string_view bytes) {
    asio::io_context io;
    auto f = asio::co_spawn(io, exchange(routes, dispatch, bytes, options), asio::use_future);
    io.run();
    return f.get();
  }

  router routes;
  cors_policy cors;
  dispatcher dispatch;
  server_options options;
};

std::string post_echo(std::string_view body, std::size_t length) {
  return "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(length) + "\r\n\r\n" + std::string(body);
}

TEST_F(exchange_test, pipelined_requests_are_answered_in_order) {
  const auto r = run("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n" + post_echo(R"({"a":1})", 7) + "PUT /ok HTTP/1.1\r\n\r\n");
  EXPECT_EQ(r.statuses, (std::vector<unsigned>{200, 200, 405}));
  EXPECT_EQ(r.written.find("HTTP/1.1 200 OK\r\n"), 0u);
  EXPECT_NE(r.written.find(R"({"a":1})"), std::string::npos);
  EXPECT_FALSE(r.upgraded);
}

// Found by fuzz_http_request (fuzz/corpus/http_request/timeout-incomplete-body):
// a body shorter than its Content-Length made the reader loop forever.
TEST_F(exchange_test, a_request_whose_body_never_ends_is_dropped_unanswered) {
  const auto r = run(post_echo(R"({"refreshToken":)", 17));
  EXPECT_TRUE(r.statuses.empty());
  EXPECT_TRUE(r.written.empty());
}

TEST_F(exchange_test, an_unreadable_request_is_answered_400_and_ends_the_connection) {
  const auto r = run("GET  /ok HTTP/1.1\r\n\r\nGET /ok HTTP/1.1\r\n\r\n");
  EXPECT_EQ(r.statuses, (std::vector<unsigned>{400}));
}

TEST_F(exchange_test, a_body_over_the_limit_is_413) {
  options.body_limit = 4;
  const auto r = run(post_echo("{}", 5));
  EXPECT_EQ(r.statuses, (std::vector<unsigned>{413}));
}

TEST_F(exchange_test, a_refused_upgrade_is_answered_and_ends_the_connection) {
  const auto r =
      run("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\nGET /ok HTTP/1.1\r\n\r\n");
  EXPECT_EQ(r.statuses, (std::vector<unsigned>{401}));
  EXPECT_FALSE(r.upgraded);
}

// The exchange answers through the same code as the socket connection, so
// what a connection counts, it counts: here an unreadable request and a
// target that is not a URL, each a 400 with no route (they were once
// counted on the socket path only).
TEST_F(exchange_test, unreadable_requests_are_counted_as_the_socket_path_counts_them) {
  request_metrics metrics;
  const dispatcher counting(routes, cors, &metrics);
  auto serve = [&](std::string_view bytes) {
    asio::io_context io;
    auto f = asio::co_spawn(io, exchange(routes, counting, bytes, options), asio::use_future);
    io.run();
    return f.get();
  };
  EXPECT_EQ(serve("GET  /ok HTTP/1.1\r\n\r\n").statuses, (std::vector<unsigned>{400}));
  EXPECT_EQ(serve("GET http://x/ok HTTP/1.1\r\n\r\n").statuses, (std::vector<unsigned>{400}));
  EXPECT_EQ(serve("GET /ok HTTP/1.1\r\n\r\n").statuses, (std::vector<unsigned>{200}));
  observability::registry r;
  metrics.register_with(r);
  const std::string text = r.render();
  EXPECT_NE(text.find("http_requests_total{method=\"OTHER\",route=\"unmatched\",status=\"400\"} 2\n"),
            std::string::npos)
      << text;
}

TEST_F(exchange_test, a_body_announced_with_expect_continue_is_read_and_answered) {
  const auto r = run("POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Type: application/json\r\n"
                     "Content-Length: 7\r\n\r\n{\"a\":1}");
  EXPECT_EQ(r.statuses, (std::vector<unsigned>{200}));
  EXPECT_EQ(r.written.find("HTTP/1.1 100"), std::string::npos) << "interim answers are not written here";
  EXPECT_NE(r.written.find(R"({"a":1})"), std::string::npos);
}

TEST_F(exchange_test, head_is_answered_without_a_body) {
  const auto r = run("HEAD /ok HTTP/1.1\r\n\r\n");
  EXPECT_EQ(r.statuses, (std::vector<unsigned>{200}));
  EXPECT_NE(r.written.find("Content-Length: 11\r\n"), std::string::npos);
  EXPECT_EQ(r.written.find(R"({"ok":true})"), std::string::npos);
  EXPECT_EQ(r.written.substr(r.written.size() - 4), "\r\n\r\n");
}

}  // namespace
}  // namespace bakewind::http
