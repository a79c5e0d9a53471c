#include "http/detail/ws_connection.hpp"

#include "core/log.hpp"
#include "http/detail/plain_allocator.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/websocket.hpp>

#include <algorithm>

namespace bakewind::http::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;

namespace {
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
// What the first read of a message asks for; a longer message gets a
// buffer that doubles with it. A ping of the API fits.
constexpr std::size_t first_read = 64;
// A buffer grown larger than this by a long message is given back after it.
constexpr std::size_t kept_capacity = 512;

// Ticks the loop's WebSockets while it has any: once a second, or ten times
// per idle timeout when that is short (tests). The wait holds the ticker
// weakly: once the server is gone, a tick does nothing.
void tick_websockets(const std::shared_ptr<ws_ticker>& ticker, loop_state& loop, std::chrono::milliseconds idle) {
  ticker->ticking = true;
  ticker->timer.expires_after(std::min<std::chrono::steady_clock::duration>(std::chrono::seconds(1), idle / 10));
  auto handler = [weak = std::weak_ptr(ticker), &loop, idle](const boost::system::error_code& ec) {
    const auto ticker = weak.lock();
    if (!ticker) return;  // the server, and the loop state with it, may be gone
    if (ec || loop.websockets == 0) {
      ticker->ticking = false;
      return;
    }
    const auto now = std::chrono::steady_clock::now();
    for (auto& c : loop.connections) {
      if (c.websocket != nullptr) c.websocket->tick(now, idle);  // ends nothing now: a closed socket fails a read later
    }
    tick_websockets(ticker, loop, idle);
  };
  ticker->timer.async_wait(asio::bind_allocator(plain_allocator<void>(), std::move(handler)));
}
}  // namespace

ws_connection::ws_connection(socket_type socket, ws_accept callbacks, double message_rate, registration entry)
    : ws_(std::move(socket)),
      on_open_(std::move(callbacks.on_open)),
      on_message_(std::move(callbacks.on_message)),
      on_close_(std::move(callbacks.on_close)),
      registration_(std::move(entry)),
      message_rate_(message_rate) {
  auto& e = registration_->entry();
  e.socket = &ws_.next_layer();
  e.websocket = this;
  e.cancel = nullptr;  // that signal belongs to the HTTP coroutine, which ends after the handshake
}

asio::awaitable<bool> ws_connection::accept(const beast_request& upgrade, std::string request_id) {
  // Beast's server settings for the handshake and the close (30 s). Its
  // idle timer would be one pending wait per socket for as long as the
  // socket lives: tick() does that work instead.
  auto options = websocket::stream_base::timeout::suggested(beast::role_type::server);
  options.idle_timeout = websocket::stream_base::none();
  options.keep_alive_pings = false;
  ws_.set_option(options);
  ws_.read_message_max(64 * 1024);
  // Pongs (and pings, closes) are read inside the pending read: hear them here.
  ws_.control_callback([this](websocket::frame_type, std::string_view) { heard(); });
  // The 101 carries the request's id too, as every answer does.
  ws_.set_option(websocket::stream_base::decorator(
      [id = std::move(request_id)](websocket::response_type& res) { res.set("X-Request-Id", id); }));
  auto [ec] = co_await ws_.async_accept(upgrade, use_tuple);
  // Only the 101 needed it: the stream would keep the id for its whole life.
  ws_.set_option(websocket::stream_base::decorator([](websocket::response_type&) {}));
  co_return !ec;
}

void ws_connection::start() {
  open_ = true;
  tokens_ = 2 * message_rate_;
  refilled_ = std::chrono::steady_clock::now();
  heard();
  if (on_open_) on_open_(shared_from_this());
  on_open_ = nullptr;  // what it captured (who the client is) is not needed again
  auto& loop = registration_->loop();
  ++loop.websockets;  // until finish()
  const auto ticker = loop.ticker.lock();
  if (ticker && !ticker->ticking) tick_websockets(ticker, loop, registration_->server()->options.ws_idle_timeout);
  read_next();
}

void ws_connection::read_next() {
  const std::size_t limit = std::max(first_read, buffer_.size());
  auto handler = [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) { self->on_read(ec); };
  ws_.async_read_some(buffer_, limit, asio::bind_allocator(plain_allocator<void>(), std::move(handler)));
}

void ws_connection::on_read(const boost::system::error_code& ec) {
  if (ec) {
    finish();
    return;
  }
  heard();
  if (ws_.is_message_done()) {
    try {
      handle_message();
    } catch (const std::exception& e) {
      // No coroutine to unwind into: end the connection here, as the HTTP one would be.
      core::log_error("connection failed", {{"detail", e.what()}});
      boost::system::error_code ignored;
      ws_.next_layer().close(ignored);  // the read below fails, and finish() tells the app
    }
    buffer_.consume(buffer_.size());
    if (buffer_.capacity() > kept_capacity) buffer_.shrink_to_fit();
  }
  read_next();
}

void ws_connection::handle_message() {
  if (closing_) return;  // we are closing: what the client still sends is not handled
  // A token bucket: `message_rate_` a second, up to twice that saved up.
  const double burst = 2 * message_rate_;
  const auto now = std::chrono::steady_clock::now();
  tokens_ = std::min(burst, tokens_ + std::chrono::duration<double>(now - refilled_).count() * message_rate_);
  refilled_ = now;
  if (tokens_ < 1) {
    core::log_info("websocket client over its message rate, closing it", {{"ratePerSecond", message_rate_}});
    begin_close(close_code::policy_violation, "message rate exceeded");
    return;  // read on: the close handshake ends the reader
  }
  tokens_ -= 1;
  if (ws_.got_text() && on_message_) {
    const auto data = buffer_.cdata();
    on_message_(shared_from_this(), std::string_view(static_cast<const char*>(data.data()), data.size()));
  }
}

void ws_connection::heard() noexcept {
  heard_ = std::chrono::steady_clock::now();
  pinged_ = false;
}

void ws_connection::tick(std::chrono::steady_clock::time_point now, std::chrono::milliseconds idle_timeout) {
  if (!open_ || closing_) return;  // a close under way has Beast's timeout
  if (now - heard_ < idle_timeout / 2) return;
  if (pinged_) {
    // Silent since the ping too: gone. Closing the socket fails the pending read.
    boost::system::error_code ignored;
    ws_.next_layer().close(ignored);
    return;
  }
  pinged_ = true;
  heard_ = now;  // the other half is counted from the ping
  if (pinging_) return;  // one ping at a time; the last one is still on its way
  pinging_ = true;
  auto done = [self = shared_from_this()](const boost::system::error_code&) { self->pinging_ = false; };
  ws_.async_ping({}, asio::bind_allocator(plain_allocator<void>(), std::move(done)));
}

void ws_connection::finish() {
  --registration_->loop().websockets;
  open_ = false;
  closing_ = true;
  queue_.clear();
  buffer_.clear();
  buffer_.shrink_to_fit();
  if (on_close_) on_close_(shared_from_this());
  // Nothing of the app may keep us alive through its callbacks now.
  on_message_ = nullptr;
  on_close_ = nullptr;
  registration_.reset();  // over for the server; the writer may still be closing
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
  pending_close_ =
      std::make_unique<websocket::close_reason>(static_cast<websocket::close_code>(code), std::string_view(reason));
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
