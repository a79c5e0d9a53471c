// One coroutine per connection: the socket part of serving HTTP. It reads
// bytes within the deadlines into `buffer_` and feeds them to the same
// request_reader and answer_request the no-network exchange (exchange.cpp)
// drives, writes the answer, and repeats while keep-alive holds. Pipelined
// requests wait in `buffer_` and are answered in order.

#include "core/log.hpp"
#include "http/detail/answer.hpp"
#include "http/detail/request_reader.hpp"
#include "http/detail/server_state.hpp"
#include "http/detail/ws_connection.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

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
    using state = request_reader::state;
    while (co_await await_request_start()) {
      co_await pace();
      const state read = co_await read_request();
      if (read == state::failed) {
        co_await reject(reader_.failure_status(), reader_.failure_request_id());
        break;
      }
      if (read != state::ready) break;
      beast_request message = reader_.take();
      const bool keep = co_await serve(message);
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

  // Feeds the reader until it has a request, or none can come: ready,
  // failed, or ended (the client went away, or the deadline passed).
  asio::awaitable<request_reader::state> read_request() {
    using state = request_reader::state;
    // One deadline for the whole request: a client that sends half of one is dropped.
    stream_.expires_after(server_.options.request_timeout);
    for (;;) {
      const auto data = buffer_.data();
      buffer_.consume(reader_.feed(std::string_view(static_cast<const char*>(data.data()), data.size())));
      const state now = reader_.current();
      if (now == state::send_continue) {
        static constexpr std::string_view go_on = "HTTP/1.1 100 Continue\r\n\r\n";
        auto [wec, wn] = co_await asio::async_write(stream_, asio::buffer(go_on), use_tuple);
        if (wec) co_return state::ended;
        reader_.continued();
        continue;
      }
      if (now != state::need_more) co_return now;
      auto [ec, n] = co_await stream_.async_read_some(buffer_.prepare(16384), use_tuple);
      if (ec) {
        reader_.finish();
        co_return reader_.current();
      }
      buffer_.commit(n);
    }
  }

  // Answers one request; true to keep the connection. An accepted WebSocket
  // upgrade is served here to its end.
  asio::awaitable<bool> serve(beast_request& message) {
    request req;
    req.remote_address = remote_;
    answer a = co_await answer_request(loop_.routes, loop_.dispatch, message, req);
    if (a.upgrade) {
      auto ws = std::make_shared<ws_connection>(std::move(stream_), std::move(*a.upgrade),
                                                server_.options.ws_message_rate);
      entry_->stream = &ws->tcp();
      entry_->websocket = ws.get();
      co_await ws->run(std::move(message), req.request_id);
      entry_->websocket = nullptr;
      entry_->stream = &stream_;
      co_return false;
    }
    const bool keep = a.keep && !server_.stopping;  // read after the handler: shutdown may have begun
    const bool ok = co_await write(a.res, a.version, keep, a.head_only);
    co_return ok && keep;
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

  // Answers a request we could not read, then closes without resetting:
  // the client may still be sending, and a reset could destroy our answer.
  asio::awaitable<void> reject(unsigned status, std::string request_id) {
    response res = loop_.dispatch.unreadable(status, std::move(request_id), remote_);
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
  request_reader reader_{server_.options};
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
  } catch (const boost::system::system_error& e) {
    // Cancelled by the shutdown (past its grace period): expected, not an error.
    if (e.code() != asio::error::operation_aborted) core::log_error("connection failed", {{"detail", e.what()}});
  } catch (const std::exception& e) {
    core::log_error("connection failed", {{"detail", e.what()}});
  }
}

}  // namespace bakewind::http::detail
