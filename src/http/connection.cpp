// One coroutine per connection: the socket part of serving HTTP. It reads
// bytes within the deadlines and feeds them to the same request_reader and
// answer_request the no-network exchange (exchange.cpp) drives, writes the
// answer, and repeats while keep-alive holds. Pipelined requests wait in
// `pending_` and are answered in order.
//
// What a connection holds while it waits is what 10,000 of them cost: in
// the middle of a request it waits for readability with no buffer, reads
// into its loop's scratch buffer, and keeps only the bytes the reader could
// not use yet (half a header, a pipelined request). Between requests it
// reads instead of waiting, into a small buffer of its own that lives only
// while it waits (see receive_start()). The parser exists only while a
// request is being read, and one watchdog timer (timed_socket) bounds every
// wait.

#include "core/log.hpp"
#include "http/detail/answer.hpp"
#include "http/detail/plain_allocator.hpp"
#include "http/detail/request_reader.hpp"
#include "http/detail/timed_socket.hpp"
#include "http/detail/ws_connection.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <memory>
#include <string_view>
#include <tuple>
#include <utility>

namespace bakewind::http::detail {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
// For the wait an idle connection leaves pending (see plain_allocator.hpp).
auto idle_tuple() { return asio::bind_allocator(plain_allocator<void>(), use_tuple); }

class connection {
 public:
  connection(std::shared_ptr<server_state> server, loop_state& loop, socket_type socket,
             asio::cancellation_signal* cancel)
      : server_(*server),
        loop_(loop),
        link_(std::make_shared<timed_socket>(std::move(socket))),
        registration_(std::move(server), loop, connection_entry{&link_->socket(), cancel, nullptr, false}),
        reader_(server_.options) {
    error_code ec;
    const auto peer = link_->socket().remote_endpoint(ec);
    if (!ec) remote_ = peer.address().to_string();
    // Reads happen after a wait for readability, and must not block then.
    link_->socket().non_blocking(true, ec);
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
      link_->expire_never();  // the handler may take its time; the answer gets a deadline again
      beast_request message = reader_.take();
      const bool keep = co_await serve(message);
      if (!keep) break;
    }
    error_code ignored;
    link_->socket().shutdown(tcp::socket::shutdown_both, ignored);
    link_->socket().close(ignored);
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
      asio::steady_timer wait(loop_.io, std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                            std::chrono::duration<double>((1 - tokens_) / rate)));
      co_await wait.async_wait(use_tuple);
      tokens_ = 1;
      refilled_ = std::chrono::steady_clock::now();
    }
    tokens_ -= 1;
  }

  // Waits, up to the idle timeout, for the first bytes of the next request
  // and feeds them. False when the connection should end instead.
  asio::awaitable<bool> await_request_start() {
    if (!pending_.empty()) co_return true;  // a pipelined request is already here
    if (server_.stopping) co_return false;
    registration_.entry().idle = true;
    link_->expire_after(server_.options.idle_timeout);
    const bool got = co_await receive_start();
    registration_.entry().idle = false;
    co_return got;
  }

  // The first bytes of the next request, fed to the reader; false when none
  // came. A read queued on a socket that the last read drained costs no
  // system call, where a wait for readability re-arms epoll (epoll_ctl)
  // every time: one system call a request fewer, about 5 % of a `me`
  // request's CPU. The buffer exists only while the connection waits; a
  // request bigger than it is read on from the scratch buffer at once.
  asio::awaitable<bool> receive_start() {
    static constexpr std::size_t first_read = 1024;  // a token and a refresh token fit
    std::unique_ptr<char[]> own;
    error_code ec;
    std::string_view got;
    if (more_) {
      std::tie(ec, got) = co_await receive();
    } else {
      own = std::make_unique_for_overwrite<char[]>(first_read);
      std::size_t n = 0;
      std::tie(ec, n) = co_await link_->socket().async_read_some(asio::buffer(own.get(), first_read), idle_tuple());
      more_ = !ec && n == first_read;
      got = std::string_view(own.get(), n);
    }
    if (ec) co_return false;
    take_in(got);
    co_return true;
  }

  // Feeds the reader until it has a request, or none can come: ready,
  // failed, or ended (the client went away, or the deadline passed).
  asio::awaitable<request_reader::state> read_request() {
    using state = request_reader::state;
    // One deadline for the whole request: a client that sends half of one is dropped.
    link_->expire_after(server_.options.request_timeout);
    for (feed_pending();; feed_pending()) {
      const state now = reader_.current();
      if (now == state::send_continue) {
        static constexpr std::string_view go_on = "HTTP/1.1 100 Continue\r\n\r\n";
        auto [wec, wn] = co_await asio::async_write(link_->socket(), asio::buffer(go_on), use_tuple);
        if (wec) co_return state::ended;
        reader_.continued();
        continue;
      }
      if (now != state::need_more) co_return now;
      auto [ec, got] = co_await receive();
      if (ec) {
        reader_.finish();
        co_return reader_.current();
      }
      take_in(got);
    }
  }

  // Waits until the socket has bytes (or the deadline closes it), then reads
  // what is there into the loop's scratch buffer without blocking; the
  // bytes read. They are only valid until the next suspension: take_in()
  // them first.
  asio::awaitable<std::pair<error_code, std::string_view>> receive() {
    auto& socket = link_->socket();
    for (bool wait = !more_;; wait = true) {
      if (wait) {
        auto [wec] = co_await socket.async_wait(socket_type::wait_read, idle_tuple());
        if (wec) co_return std::pair(wec, std::string_view());
      }
      error_code ec;
      const std::size_t n = socket.read_some(asio::buffer(loop_.scratch), ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again) continue;
      // A full read suggests more is waiting: the next read tries before waiting.
      more_ = !ec && n == loop_.scratch.size();
      co_return std::pair(ec, std::string_view(loop_.scratch.data(), n));
    }
  }

  // Feeds the bytes just read after those still pending, and keeps what
  // the reader did not use.
  void take_in(std::string_view got) {
    if (pending_.empty()) {
      pending_.assign(got.substr(reader_.feed(got)));  // most often nothing: no copy
    } else {
      pending_.append(got);
      feed_pending();
    }
  }

  void feed_pending() {
    if (pending_.empty()) return;
    pending_.erase(0, reader_.feed(pending_));
    if (pending_.empty()) pending_.shrink_to_fit();  // hold no memory while idle
  }

  // Answers one request; true to keep the connection. An accepted WebSocket
  // upgrade takes the connection over.
  asio::awaitable<bool> serve(beast_request& message) {
    request req;
    req.remote_address = remote_;
    answer a = co_await answer_request(loop_.routes, loop_.dispatch, message, req);
    if (a.upgrade) {
      co_await upgrade(message, std::move(*a.upgrade), req.request_id);
      co_return false;
    }
    const bool keep = a.keep && !server_.stopping;  // read after the handler: shutdown may have begun
    const bool ok = co_await write(a.res, a.version, keep, a.head_only);
    co_return ok && keep;
  }

  // Hands the socket and the registration to a WebSocket, which serves the
  // connection from the handshake on without this coroutine: none of the
  // HTTP state (frames, request, reader) stays alive under an idle socket.
  asio::awaitable<void> upgrade(beast_request& message, ws_accept accept, std::string request_id) {
    auto ws = std::make_shared<ws_connection>(std::move(link_->socket()), std::move(accept),
                                              server_.options.ws_message_rate, std::move(registration_));
    const bool opened = co_await ws->accept(message, std::move(request_id));
    if (opened) ws->start();
  }

  asio::awaitable<bool> write(const response& res, unsigned version, bool keep, bool head_only) {
    const std::string head = response_head(res, version, keep);
    link_->expire_after(server_.options.request_timeout);
    // Head and body in one gathered write: one system call, no copy of the body.
    const std::array<asio::const_buffer, 2> wire{asio::buffer(head),
                                                 asio::buffer(res.body.data(), sends_body(res, head_only) ? res.body.size() : 0)};
    auto [ec, n] = co_await asio::async_write(link_->socket(), wire, use_tuple);
    co_return !ec;
  }

  // Answers a request we could not read, then closes without resetting:
  // the client may still be sending, and a reset could destroy our answer.
  asio::awaitable<void> reject(unsigned status, std::string request_id) {
    response res = loop_.dispatch.unreadable(status, std::move(request_id), remote_);
    const bool ok = co_await write(res, 11, false, false);
    if (!ok) co_return;
    error_code ignored;
    link_->socket().shutdown(tcp::socket::shutdown_send, ignored);
    std::size_t drained = 0;
    link_->expire_after(std::chrono::seconds(2));
    while (drained < 16 * 1024 * 1024) {
      auto [ec, got] = co_await receive();
      if (ec) break;
      drained += got.size();
    }
  }

  server_state& server_;
  loop_state& loop_;
  std::shared_ptr<timed_socket> link_;
  registration registration_;
  request_reader reader_;
  std::string pending_;  ///< received, not used by the reader yet
  std::string remote_;
  bool more_ = false;  ///< the last read filled its buffer: see receive()
  double tokens_ = server_.options.request_rate;  // see pace()
  std::chrono::steady_clock::time_point refilled_ = std::chrono::steady_clock::now();
};

}  // namespace

asio::awaitable<void> serve_connection(std::shared_ptr<server_state> server, loop_state& loop, socket_type socket,
                                       asio::cancellation_signal* cancel) {
  try {
    connection c(std::move(server), loop, std::move(socket), cancel);
    co_await c.run();
  } catch (const boost::system::system_error& e) {
    // Cancelled by the shutdown (past its grace period): expected, not an error.
    if (e.code() != asio::error::operation_aborted) core::log_error("connection failed", {{"detail", e.what()}});
  } catch (const std::exception& e) {
    core::log_error("connection failed", {{"detail", e.what()}});
  }
}

}  // namespace bakewind::http::detail
