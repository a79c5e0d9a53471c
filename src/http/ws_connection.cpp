#include "http/detail/ws_connection.hpp"

#include "core/log.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

#include <algorithm>
#include <chrono>

namespace bakewind::http::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;

namespace {
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
}

ws_connection::ws_connection(beast::tcp_stream stream, ws_accept callbacks, double message_rate)
    : ws_(std::move(stream)), callbacks_(std::move(callbacks)), message_rate_(message_rate) {}

asio::awaitable<void> ws_connection::run(beast::http::request<beast::http::string_body> upgrade,
                                         std::string request_id) {
  auto self = shared_from_this();
  // Beast's server defaults: 30 s for the handshake and the close, and pings
  // when idle so that a vanished client is noticed.
  ws_.next_layer().expires_never();
  ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
  ws_.read_message_max(64 * 1024);
  // The 101 carries the request's id too, as every answer does.
  ws_.set_option(websocket::stream_base::decorator(
      [id = std::move(request_id)](websocket::response_type& res) { res.set("X-Request-Id", id); }));
  auto [aec] = co_await ws_.async_accept(upgrade, use_tuple);
  if (aec) co_return;
  open_ = true;
  if (callbacks_.on_open) callbacks_.on_open(self);
  beast::flat_buffer buffer;
  // A token bucket: `message_rate_` a second, up to twice that saved up.
  const double burst = 2 * message_rate_;
  double tokens = burst;
  auto refilled = std::chrono::steady_clock::now();
  while (true) {
    auto [ec, n] = co_await ws_.async_read(buffer, use_tuple);
    if (ec) break;
    if (closing_) {
      buffer.consume(buffer.size());
      continue;  // we are closing: what the client still sends is not handled
    }
    const auto now = std::chrono::steady_clock::now();
    tokens = std::min(burst, tokens + std::chrono::duration<double>(now - refilled).count() * message_rate_);
    refilled = now;
    if (tokens < 1) {
      core::log_info("websocket client over its message rate, closing it", {{"ratePerSecond", message_rate_}});
      begin_close(close_code::policy_violation, "message rate exceeded");
      buffer.consume(buffer.size());
      continue;  // read on: the close handshake ends the loop
    }
    tokens -= 1;
    if (ws_.got_text() && callbacks_.on_message) {
      const auto data = buffer.cdata();
      callbacks_.on_message(self, std::string_view(static_cast<const char*>(data.data()), data.size()));
    }
    buffer.consume(buffer.size());
  }
  open_ = false;
  closing_ = true;
  queue_.clear();
  if (callbacks_.on_close) callbacks_.on_close(self);
  // Nothing of the app may keep us alive through its callbacks now.
  callbacks_ = {};
}

void ws_connection::send(std::string text) {
  asio::post(ws_.get_executor(), [self = shared_from_this(), t = std::move(text)]() mutable {
    self->enqueue(std::move(t));
  });
}

void ws_connection::close(std::uint16_t code, std::string reason) {
  asio::post(ws_.get_executor(), [self = shared_from_this(), code, r = std::move(reason)]() mutable {
    self->begin_close(code, std::move(r));
  });
}

void ws_connection::enqueue(std::string text) {
  if (!open_ || closing_) return;
  if (queue_.size() >= max_queue) {
    core::log_warn("websocket client too slow, closing it", {{"queued", queue_.size()}});
    begin_close(close_code::policy_violation, "too slow");
    return;
  }
  queue_.push_back(std::move(text));
  if (!writing_) {
    writing_ = true;
    asio::co_spawn(ws_.get_executor(), write_queue(), asio::detached);
  }
}

void ws_connection::begin_close(std::uint16_t code, std::string reason) {
  if (!open_ || closing_) return;
  closing_ = true;
  queue_.clear();
  pending_close_ = websocket::close_reason(static_cast<websocket::close_code>(code), reason);
  // One write-type operation at a time: the writer closes after its write.
  if (!writing_) {
    writing_ = true;
    asio::co_spawn(ws_.get_executor(), write_queue(), asio::detached);
  }
}

asio::awaitable<void> ws_connection::write_queue() {
  auto self = shared_from_this();
  while (!queue_.empty() && !closing_) {
    std::string message = std::move(queue_.front());
    queue_.pop_front();
    ws_.text(true);
    auto [ec, n] = co_await ws_.async_write(asio::buffer(message), use_tuple);
    if (ec) {
      closing_ = true;
      break;
    }
  }
  if (pending_close_) {
    const auto reason = *pending_close_;
    pending_close_.reset();
    auto [ec] = co_await ws_.async_close(reason, use_tuple);
    (void)ec;
  }
  writing_ = false;
}

}  // namespace bakewind::http::detail
