// One coroutine per connection: read a request within the deadline, hand it
// to the loop's dispatcher, write the answer, repeat while keep-alive holds.
// Pipelined requests wait in `buffer` and are answered in order.

#include "core/log.hpp"
#include "http/detail/message.hpp"
#include "http/detail/server_state.hpp"
#include "http/detail/ws_connection.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <algorithm>
#include <chrono>

namespace bakewind::http::detail {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

class connection {
 public:
  connection(server_state& server, loop_state& loop, tcp::socket socket, asio::cancellation_signal* cancel)
      : server_(server), loop_(loop), stream_(std::move(socket)) {
    boost::system::error_code ec;
    const auto peer = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_ = peer.address().to_string();
    entry_ = loop_.connections.insert(loop_.connections.end(), connection_entry{&stream_, cancel, nullptr, false});
  }

  ~connection() {
    loop_.connections.erase(entry_);
    --server_.open;
  }

  asio::awaitable<void> run() {
    while (co_await await_request_start()) {
      co_await pace();
      bhttp::request_parser<bhttp::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(server_.options.header_limit));
      parser.body_limit(server_.options.body_limit);
      const auto ec = co_await read_request(parser);
      if (ec) {
        const unsigned status = status_for_read_error(ec);
        if (status != 0) co_await reject(status, request_id_of(parser.get()));
        break;
      }
      auto message = parser.release();
      const bool keep = co_await answer(message);
      if (!keep) break;
    }
    boost::system::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
  }

 private:
  // At most options.request_rate requests a second on this connection (as
  // many saved up): a client pipelining faster waits, its requests held
  // back by TCP, so that it cannot take a loop from the other connections.
  asio::awaitable<void> pace() {
    const double rate = server_.options.request_rate;
    const auto now = std::chrono::steady_clock::now();
    tokens_ = std::min(rate, tokens_ + std::chrono::duration<double>(now - refilled_).count() * rate);
    refilled_ = now;
    if (tokens_ < 1) {
      asio::steady_timer wait(stream_.get_executor(),
                              std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                  std::chrono::duration<double>((1 - tokens_) / rate)));
      co_await wait.async_wait(use_tuple);
      tokens_ = 1;
      refilled_ = std::chrono::steady_clock::now();
    }
    tokens_ -= 1;
  }

  // Waits, up to the idle timeout, for the first byte of the next request.
  // False when the connection should end instead.
  asio::awaitable<bool> await_request_start() {
    if (buffer_.size() > 0) co_return true;  // a pipelined request is already here
    if (server_.stopping) co_return false;
    entry_->idle = true;
    stream_.expires_after(server_.options.idle_timeout);
    auto [ec, n] = co_await stream_.async_read_some(buffer_.prepare(4096), use_tuple);
    entry_->idle = false;
    if (ec) co_return false;
    buffer_.commit(n);
    co_return true;
  }

  asio::awaitable<boost::system::error_code> read_request(bhttp::request_parser<bhttp::string_body>& parser) {
    // One deadline for the whole request: a client that sends half of one is dropped.
    stream_.expires_after(server_.options.request_timeout);
    auto [ec, n] = co_await bhttp::async_read_header(stream_, buffer_, parser, use_tuple);
    if (ec || parser.is_done()) co_return ec;
    const auto expect = parser.get().find(bhttp::field::expect);
    if (expect != parser.get().end() && beast::iequals(expect->value(), "100-continue")) {
      static constexpr std::string_view go_on = "HTTP/1.1 100 Continue\r\n\r\n";
      auto [wec, wn] = co_await asio::async_write(stream_, asio::buffer(go_on), use_tuple);
      if (wec) co_return wec;
    }
    auto [bec, bn] = co_await bhttp::async_read(stream_, buffer_, parser, use_tuple);
    co_return bec;
  }

  // Hands an upgrade request to its WebSocket route: false when there is
  // none (it is then answered as plain HTTP). Serves the WebSocket to its end.
  asio::awaitable<bool> try_upgrade(beast_request& message, request& req, bool& keep) {
    const ws_handler* handler = loop_.routes.websocket_for(req);
    if (handler == nullptr) co_return false;
    ws_accept accept = co_await loop_.dispatch.upgrade(req, *handler);
    if (accept.reject) {
      keep = co_await write(*accept.reject, message.version(), false, false);
      keep = false;
      co_return true;
    }
    auto ws = std::make_shared<ws_connection>(std::move(stream_), std::move(accept), server_.options.ws_message_rate);
    entry_->stream = &ws->tcp();
    entry_->websocket = ws.get();
    co_await ws->run(std::move(message), req.request_id);
    entry_->websocket = nullptr;
    entry_->stream = &stream_;
    keep = false;
    co_return true;
  }

  // Dispatches one request and writes the answer; true to keep the connection.
  asio::awaitable<bool> answer(beast_request& message) {
    request req;
    req.remote_address = remote_;
    response res;
    const bool parsed = to_request(message, req);
    if (parsed && beast::websocket::is_upgrade(message)) {
      bool keep = false;
      const bool upgraded = co_await try_upgrade(message, req, keep);
      if (upgraded) co_return keep;
    }
    if (parsed) {
      res = co_await loop_.dispatch.handle(req);
    } else {
      res = unreadable_request_response(400, request_id_of(message));
      res.close = true;
      server_.metrics.observe(method::other, {}, 400, {});
    }
    const bool keep = message.keep_alive() && !res.close && !server_.stopping;
    const bool head = message.method() == bhttp::verb::head;
    const bool ok = co_await write(res, message.version(), keep, head);
    co_return ok&& keep;
  }

  asio::awaitable<bool> write(response& res, unsigned version, bool keep, bool head_only) {
    beast_response out = to_beast(res, version, keep);
    stream_.expires_after(server_.options.request_timeout);
    if (head_only) {
      bhttp::response_serializer<bhttp::string_body> sr(out);
      auto [ec, n] = co_await bhttp::async_write_header(stream_, sr, use_tuple);
      co_return !ec;
    }
    auto [ec, n] = co_await bhttp::async_write(stream_, out, use_tuple);
    co_return !ec;
  }

  // Answers a request we could not read, then closes without resetting: the
  // client may still be sending, and a reset could destroy our answer.
  asio::awaitable<void> reject(unsigned status, std::string request_id) {
    // An access-log line of its own (no route), under ACCESS_LOG's rule.
    if (core::access_logged(server_.options.access_log, status)) {
      core::log_info("request rejected", {{"status", status}, {"requestId", request_id}, {"remote", remote_}});
    }
    response res = unreadable_request_response(status, std::move(request_id));
    server_.metrics.observe(method::other, {}, static_cast<int>(status), {});
    const bool ok = co_await write(res, 11, false, false);
    if (!ok) co_return;
    boost::system::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    std::array<char, 16384> sink{};
    std::size_t drained = 0;
    stream_.expires_after(std::chrono::seconds(2));
    while (drained < 16 * 1024 * 1024) {
      auto [ec, n] = co_await stream_.async_read_some(asio::buffer(sink), use_tuple);
      if (ec) break;
      drained += n;
    }
  }

  server_state& server_;
  loop_state& loop_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::string remote_;
  std::list<connection_entry>::iterator entry_;
  double tokens_ = server_.options.request_rate;  // see pace()
  std::chrono::steady_clock::time_point refilled_ = std::chrono::steady_clock::now();
};

}  // namespace

asio::awaitable<void> serve_connection(std::shared_ptr<server_state> server, loop_state& loop, tcp::socket socket,
                                       asio::cancellation_signal* cancel) {
  try {
    connection c(*server, loop, std::move(socket), cancel);
    co_await c.run();
  } catch (const std::exception& e) {
    core::log_error("connection failed", {{"detail", e.what()}});
  }
}

}  // namespace bakewind::http::detail
