// The HTTP server in-process on a free port, spoken to over real sockets with
// raw bytes: keep-alive, pipelining, limits, timeouts, graceful shutdown.

#include "core/json.hpp"
#include "http/server.hpp"
#include "support/http_client.hpp"
#include "support/ws_client.hpp"

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <thread>

namespace bakewind::http {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using test::http_call;
using test::raw_connection;

// A server on two event loops with a few test routes.
class running_server {
 public:
  explicit running_server(server_options options = {}) {
    options.port = 0;
    add_routes();
    srv_ = std::make_unique<server>(options, std::vector<loop_binding>{{io1_, routes_}, {io2_, routes_}});
    srv_->listen();
    srv_->start();
    t1_ = std::thread([this] { io1_.run(); });
    t2_ = std::thread([this] { io2_.run(); });
  }

  ~running_server() {
    // As the service does: drain first, so that no accept is pending on one
    // loop for a socket of another when the loops are torn down.
    if (!shut_down_) shutdown(0ms).wait_for(3s);
    guard1_.reset();
    guard2_.reset();
    io1_.stop();
    io2_.stop();
    t1_.join();
    t2_.join();
  }

  std::uint16_t port() const { return srv_->port(); }

  // Starts a graceful shutdown; the future completes when it is done.
  std::future<void> shutdown(std::chrono::milliseconds grace) {
    shut_down_ = true;
    return asio::co_spawn(io1_, srv_->shutdown(grace), asio::use_future);
  }

  std::size_t connections() const { return srv_->connections(); }

 private:
  void add_routes() {
    routes_.add(method::get, "/hello", [](request&) -> asio::awaitable<response> {
      co_return json_response(200, boost::json::object{{"hello", "world"}});
    });
    routes_.add(method::get, "/items/{id}", [](request& r) -> asio::awaitable<response> {
      co_return json_response(200, boost::json::object{{"id", r.param("id")}, {"q", r.query("q").value_or("")}});
    });
    routes_.add(method::post, "/echo", [](request& r) -> asio::awaitable<response> {
      co_return json_response(200, r.json ? *r.json : boost::json::value(r.body.size()));
    });
    // A WebSocket that echoes, closes with 4001 on "bye", floods on "flood",
    // and refuses upgrades without ?ok.
    routes_.add_websocket("/ws", [](request& r) -> asio::awaitable<ws_accept> {
      ws_accept accept;
      if (!r.query("ok")) {
        accept.reject = error_response(401, "Unauthorized");
        co_return accept;
      }
      accept.on_message = [](const std::shared_ptr<ws_channel>& ch, std::string_view text) {
        if (text == "bye") {
          ch->close(close_code::unauthorized, "bye");
        } else if (text == "flood") {
          for (int i = 0; i < 100000; ++i) ch->send(std::string(1024, 'x'));
        } else {
          ch->send("echo:" + std::string(text));
        }
      };
      co_return accept;
    });
    routes_.add(method::get, "/slow", [](request& r) -> asio::awaitable<response> {
      asio::steady_timer timer(co_await asio::this_coro::executor);
      timer.expires_after(std::chrono::milliseconds(std::stoi(std::string(r.query("ms").value_or("500")))));
      co_await timer.async_wait(asio::use_awaitable);
      co_return json_response(200, boost::json::object{{"slept", true}});
    });
  }

  asio::io_context io1_{1};
  asio::io_context io2_{1};
  asio::executor_work_guard<asio::io_context::executor_type> guard1_ = asio::make_work_guard(io1_);
  asio::executor_work_guard<asio::io_context::executor_type> guard2_ = asio::make_work_guard(io2_);
  router routes_;
  std::unique_ptr<server> srv_;
  std::thread t1_;
  std::thread t2_;
  bool shut_down_ = false;
};

boost::json::object json_of(const test::http_reply& r) {
  return core::parse_json(r.body).value().as_object();
}

// Sends `text` on the /ws route and expects its echo.
void expect_echo(test::ws_client& ws, const std::string& text) {
  ASSERT_TRUE(ws.send_text(text));
  const auto echo = ws.read(3s);
  ASSERT_TRUE(echo && !echo->closed);
  EXPECT_EQ(echo->text, "echo:" + text);
}

TEST(http_server, serves_json_with_request_id_and_length) {
  running_server s;
  const auto r = http_call(s.port(), "GET", "/hello", "", "X-Request-Id: rid-1\r\n");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"hello":"world"})");
  EXPECT_EQ(r.header("content-type"), "application/json; charset=utf-8");
  EXPECT_EQ(r.header("x-request-id"), "rid-1");
}

TEST(http_server, decodes_path_parameters_and_query) {
  running_server s;
  const auto r = http_call(s.port(), "GET", "/items/a%20b/?q=x%26y");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(json_of(r).at("id"), "a b");
  EXPECT_EQ(json_of(r).at("q"), "x&y");
}

TEST(http_server, keep_alive_serves_several_requests_on_one_connection) {
  running_server s;
  raw_connection c(s.port());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(c.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
    const auto r = c.read_reply();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
  }
}

TEST(http_server, pipelined_requests_are_answered_in_order) {
  running_server s;
  raw_connection c(s.port());
  ASSERT_TRUE(
      c.send("GET /slow?ms=200 HTTP/1.1\r\nHost: x\r\n\r\nGET /items/2 HTTP/1.1\r\nHost: x\r\n\r\n"
             "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"));
  const auto first = c.read_reply();
  const auto second = c.read_reply();
  const auto third = c.read_reply();
  ASSERT_TRUE(first && second && third);
  EXPECT_EQ(first->body, R"({"slept":true})");
  EXPECT_EQ(json_of(*second).at("id"), "2");
  EXPECT_EQ(third->status, 404);
}

TEST(http_server, body_over_one_mib_is_413) {
  running_server s;
  const std::string body(1024 * 1024 + 1, 'a');
  const auto r = http_call(s.port(), "POST", "/echo", body, "Content-Type: text/plain\r\n");
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(json_of(r).at("statusCode"), 413);
  EXPECT_EQ(json_of(r).at("error"), "Payload Too Large");
}

TEST(http_server, body_of_exactly_one_mib_is_accepted) {
  running_server s;
  const std::string body(1024 * 1024, 'a');
  const auto r = http_call(s.port(), "POST", "/echo", body, "Content-Type: text/plain\r\n");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, std::to_string(body.size()));
}

TEST(http_server, chunked_body_over_limit_is_413) {
  running_server s;
  raw_connection c(s.port());
  std::string req = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string chunk(256 * 1024, 'b');
  for (int i = 0; i < 5; ++i) req += "40000\r\n" + chunk + "\r\n";
  req += "0\r\n\r\n";
  c.send(req);
  const auto r = c.read_reply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
}

TEST(http_server, oversized_headers_are_431) {
  running_server s;
  const auto r = http_call(s.port(), "GET", "/hello", "", "X-Big: " + std::string(20000, 'h') + "\r\n");
  EXPECT_EQ(r.status, 431);
  EXPECT_EQ(json_of(r).at("error"), "Request Header Fields Too Large");
}

TEST(http_server, garbage_request_is_400_and_closed) {
  running_server s;
  raw_connection c(s.port());
  c.send("HELLO THERE\r\n\r\n");
  const auto r = c.read_reply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(json_of(*r).at("statusCode"), 400);
  EXPECT_TRUE(c.wait_closed(3s));
}

TEST(http_server, malformed_json_is_400) {
  running_server s;
  const auto r = http_call(s.port(), "POST", "/echo", "{\"a\": [1,", "Content-Type: application/json\r\n");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json_of(r).at("message"), "Malformed JSON body");
}

TEST(http_server, expect_continue_gets_100_then_the_answer) {
  running_server s;
  raw_connection c(s.port());
  c.send(
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 7\r\n"
      "Expect: 100-continue\r\n\r\n");
  const auto interim = c.read_reply(3s);
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->status, 100);
  c.send(R"({"a":1})");
  const auto r = c.read_reply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, R"({"a":1})");
}

TEST(http_server, head_has_headers_but_no_body) {
  running_server s;
  raw_connection c(s.port());
  c.send("HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\nGET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  const auto head = c.read_reply(5s, true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->header("content-length"), "17");
  const auto get = c.read_reply();
  ASSERT_TRUE(get);  // the body of HEAD was not sent, so this parses cleanly
  EXPECT_EQ(get->body, R"({"hello":"world"})");
}

TEST(http_server, half_a_request_is_dropped_after_the_request_timeout) {
  server_options o;
  o.request_timeout = 600ms;
  running_server s(o);
  raw_connection c(s.port());
  c.send("GET /hello HTTP/1.1\r\nHost: x\r\n");
  const auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(c.wait_closed(5s));
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_GE(took, 500ms);
  EXPECT_LT(took, 4s);
}

// A connection holds no read buffer while it waits (connection.cpp): what
// arrives after a silence, or in pieces, is read and answered all the same.
TEST(http_server, a_connection_silent_for_a_while_then_asking_is_answered) {
  running_server s;
  raw_connection c(s.port());
  for (int i = 0; i < 2; ++i) {
    std::this_thread::sleep_for(300ms);  // before the first request, then between two
    ASSERT_TRUE(c.send("GET /items/" + std::to_string(i) + " HTTP/1.1\r\nHost: x\r\n\r\n"));
    const auto r = c.read_reply(3s);
    ASSERT_TRUE(r) << i;
    EXPECT_EQ(json_of(*r).at("id"), boost::json::value(std::to_string(i)));
  }
}

TEST(http_server, requests_trickled_a_few_bytes_at_a_time_are_answered_in_order) {
  running_server s;
  raw_connection c(s.port());
  const std::string bytes =
      "GET /items/1 HTTP/1.1\r\nHost: x\r\n\r\n"
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 9\r\n\r\n{\"a\":[1]}"
      "GET /items/2 HTTP/1.1\r\nHost: x\r\n\r\n";
  for (std::size_t at = 0; at < bytes.size(); at += 3) {
    ASSERT_TRUE(c.send(bytes.substr(at, 3)));
    std::this_thread::sleep_for(2ms);
  }
  const auto first = c.read_reply(3s);
  const auto second = c.read_reply(3s);
  const auto third = c.read_reply(3s);
  ASSERT_TRUE(first && second && third);
  EXPECT_EQ(json_of(*first).at("id"), "1");
  EXPECT_EQ(second->body, R"({"a":[1]})");
  EXPECT_EQ(json_of(*third).at("id"), "2");
}

TEST(http_server, a_client_trickling_header_lines_is_still_cut_at_the_request_timeout) {
  server_options o;
  o.request_timeout = 600ms;
  running_server s(o);
  raw_connection c(s.port());
  const auto started = std::chrono::steady_clock::now();
  bool open = c.send("GET /hello HTTP/1.1\r\nHost: x\r\n");
  // Slowloris: each line is news, but the deadline is the whole request's.
  while (open && std::chrono::steady_clock::now() - started < 3s) {
    std::this_thread::sleep_for(100ms);
    open = c.send("X-Slow: 1\r\n") && !c.wait_closed(1ms);
  }
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_FALSE(open);
  EXPECT_GE(took, 500ms);
  EXPECT_LT(took, 2s);
}

TEST(http_server, a_handler_slower_than_the_request_timeout_is_still_answered) {
  server_options o;
  o.request_timeout = 300ms;  // bounds reading the request and writing the answer, not the handler
  running_server s(o);
  raw_connection c(s.port());
  c.send("GET /slow?ms=700 HTTP/1.1\r\nHost: x\r\n\r\n");
  const auto r = c.read_reply(3s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, R"({"slept":true})");
}

TEST(http_server, idle_keep_alive_connection_is_closed_after_idle_timeout) {
  server_options o;
  o.idle_timeout = 300ms;
  running_server s(o);
  raw_connection c(s.port());
  c.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(c.read_reply());
  EXPECT_TRUE(c.wait_closed(3s));
}

TEST(http_server, connection_close_is_honoured) {
  running_server s;
  raw_connection c(s.port());
  c.send("GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  const auto r = c.read_reply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header("connection"), "close");
  EXPECT_TRUE(c.wait_closed(2s));
}

TEST(http_server, shutdown_lets_in_flight_request_finish_and_closes_idle_ones) {
  running_server s;
  raw_connection idle(s.port());
  idle.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(idle.read_reply());
  raw_connection busy(s.port());
  busy.send("GET /slow?ms=700 HTTP/1.1\r\nHost: x\r\n\r\n");
  std::this_thread::sleep_for(100ms);  // the request is in the handler now
  auto done = s.shutdown(5s);
  EXPECT_TRUE(idle.wait_closed(2s));
  const auto r = busy.read_reply();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, R"({"slept":true})");
  EXPECT_EQ(r->header("connection"), "close");
  EXPECT_EQ(done.wait_for(3s), std::future_status::ready);
  EXPECT_EQ(s.connections(), 0u);
  EXPECT_THROW(raw_connection late(s.port()), std::runtime_error);
}

TEST(http_server, shutdown_closes_what_outlives_the_grace_period) {
  running_server s;
  raw_connection busy(s.port());
  busy.send("GET /slow?ms=30000 HTTP/1.1\r\nHost: x\r\n\r\n");
  std::this_thread::sleep_for(100ms);
  const auto started = std::chrono::steady_clock::now();
  auto done = s.shutdown(300ms);
  ASSERT_EQ(done.wait_for(5s), std::future_status::ready);
  // The handler's wait was cancelled: nothing lingers past the grace period.
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1500ms);
  EXPECT_EQ(s.connections(), 0u);
  EXPECT_TRUE(busy.wait_closed(2s));
}

TEST(http_server, many_concurrent_connections_are_all_served) {
  running_server s;
  std::vector<std::thread> clients;
  std::atomic<int> ok{0};
  for (int i = 0; i < 16; ++i) {
    clients.emplace_back([&] {
      raw_connection c(s.port());
      for (int j = 0; j < 50; ++j) {
        c.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
        const auto r = c.read_reply();
        if (r && r->status == 200) ++ok;
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(ok.load(), 16 * 50);
}

TEST(http_server, websocket_echoes_and_closes_with_the_code_asked) {
  running_server s;
  test::ws_client ws(s.port(), "/ws?ok=1");
  ASSERT_EQ(ws.status(), 101);
  ASSERT_TRUE(ws.send_text("hello"));
  const auto echo = ws.read(3s);
  ASSERT_TRUE(echo);
  EXPECT_EQ(echo->text, "echo:hello");
  ws.send_text("bye");
  const auto closed = ws.read(3s);
  ASSERT_TRUE(closed);
  EXPECT_TRUE(closed->closed);
  EXPECT_EQ(closed->close_code, 4001);
}

TEST(http_server, websocket_silent_for_a_while_then_a_long_message_is_echoed_whole) {
  running_server s;
  test::ws_client ws(s.port(), "/ws?ok=1");
  ASSERT_EQ(ws.status(), 101);
  std::this_thread::sleep_for(300ms);
  // Far longer than the few bytes an idle WebSocket's first read asks for
  // (and shorter than a frame of the echo: the test client reads no fragments).
  expect_echo(ws, std::string(4000, 'w'));
  expect_echo(ws, "short");
}

TEST(http_server, websocket_answering_pings_stays_open_and_a_silent_one_is_closed_at_the_idle_timeout) {
  server_options o;
  o.ws_idle_timeout = 1s;  // a ping after 0.5 s of silence, the end after 1 s
  running_server s(o);
  test::ws_client silent(s.port(), "/ws?ok=1");
  test::ws_client answering(s.port(), "/ws?ok=1");
  ASSERT_EQ(silent.status(), 101);
  ASSERT_EQ(answering.status(), 101);
  const auto pinged = answering.read(2500ms);
  EXPECT_FALSE(pinged.has_value()) << "nothing but pings, each answered; got: "
                                   << (pinged && pinged->closed ? "close " + std::to_string(pinged->close_code) : "text");
  const auto gone = silent.read(1s);  // it read nothing, so answered nothing
  ASSERT_TRUE(gone);
  EXPECT_TRUE(gone->closed);
  EXPECT_EQ(gone->close_code, 1006) << "timed out: closed without a close frame";
  expect_echo(answering, "still here");
}

TEST(http_server, websocket_upgrade_can_be_refused_and_plain_get_is_426) {
  running_server s;
  test::ws_client refused(s.port(), "/ws");
  EXPECT_EQ(refused.status(), 401);
  const auto plain = http_call(s.port(), "GET", "/ws");
  EXPECT_EQ(plain.status, 426);
  EXPECT_EQ(json_of(plain).at("error"), "Upgrade Required");
}

TEST(http_server, websocket_client_that_never_reads_is_dropped_without_stalling_others) {
  running_server s;
  test::ws_client silent(s.port(), "/ws?ok=1");
  ASSERT_EQ(silent.status(), 101);
  silent.send_text("flood");  // and never read what comes back
  test::ws_client other(s.port(), "/ws?ok=1");
  ASSERT_EQ(other.status(), 101);
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 20; ++i) {
    other.send_text("ping" + std::to_string(i));
    const auto r = other.read(2s);
    ASSERT_TRUE(r && !r->closed) << i;
    EXPECT_EQ(r->text, "echo:ping" + std::to_string(i));
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
  // The flooded client was closed with 1008 once its queue filled.
  bool saw_close = false;
  for (int i = 0; i < 200000 && !saw_close; ++i) {
    const auto f = silent.read(2s);
    if (!f) break;
    if (f->closed) {
      saw_close = true;
      EXPECT_TRUE(f->close_code == 1008 || f->close_code == 1006) << f->close_code;
    }
  }
  EXPECT_TRUE(saw_close);
}

TEST(http_server, shutdown_closes_websockets_with_1001) {
  running_server s;
  test::ws_client ws(s.port(), "/ws?ok=1");
  ASSERT_EQ(ws.status(), 101);
  auto done = s.shutdown(5s);
  const auto f = ws.read(3s);
  ASSERT_TRUE(f);
  EXPECT_TRUE(f->closed);
  EXPECT_EQ(f->close_code, 1001);
  EXPECT_EQ(done.wait_for(5s), std::future_status::ready);
}

}  // namespace
}  // namespace bakewind::http
