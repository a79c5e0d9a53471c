#include "redis/transport.hpp"

#include "core/error.hpp"
#include "redis/errors.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace bakewind::redis {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;
namespace {
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
}

std::shared_ptr<asio::ssl::context> make_tls_context(const options& o) {
  if (!o.tls) return nullptr;
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
  if (o.tls_insecure) {
    ctx->set_verify_mode(asio::ssl::verify_none);
    return ctx;
  }
  ctx->set_verify_mode(asio::ssl::verify_peer);
  boost::system::error_code ec;
  if (o.tls_ca_file.empty()) {
    ctx->set_default_verify_paths(ec);
  } else {
    ctx->load_verify_file(o.tls_ca_file, ec);
  }
  if (ec) throw core::config_error("REDIS_TLS_CA", "could not be loaded: " + ec.message());
  return ctx;
}

transport::transport(asio::any_io_executor ex, const options& o, asio::ssl::context* tls)
    : executor_(ex), options_(o), tls_context_(tls), plain_(ex) {}

tcp::socket& transport::socket() noexcept { return tls_ ? tls_->next_layer() : plain_; }
const tcp::socket& transport::socket() const noexcept { return tls_ ? tls_->next_layer() : plain_; }

asio::awaitable<boost::system::error_code> transport::connect(std::chrono::steady_clock::time_point deadline) {
  close();
  tls_.reset();
  plain_ = tcp::socket(executor_);
  asio::steady_timer timer(executor_, deadline);

  tcp::resolver resolver(executor_);
  auto resolved = co_await (resolver.async_resolve(options_.host, std::to_string(options_.port), use_tuple) ||
                            timer.async_wait(use_tuple));
  if (resolved.index() == 1) co_return make_error_code(error::timeout);
  auto [rec, endpoints] = std::get<0>(resolved);
  if (rec) co_return rec;

  if (tls_context_ != nullptr) tls_ = std::make_unique<asio::ssl::stream<tcp::socket>>(executor_, *tls_context_);
  auto connected = co_await (asio::async_connect(socket(), endpoints, use_tuple) || timer.async_wait(use_tuple));
  if (connected.index() == 1) {
    close();
    co_return make_error_code(error::timeout);
  }
  if (auto [cec, ep] = std::get<0>(connected); cec) co_return cec;
  boost::system::error_code ignored;
  socket().set_option(tcp::no_delay(true), ignored);
  socket().set_option(asio::socket_base::keep_alive(true), ignored);

  if (tls_) {
    // Certificates name the host: check it unless verification is off.
    if (!options_.tls_insecure) {
      tls_->set_verify_callback(asio::ssl::host_name_verification(options_.host));
      SSL_set_tlsext_host_name(tls_->native_handle(), options_.host.c_str());
    }
    auto shaken = co_await (tls_->async_handshake(asio::ssl::stream_base::client, use_tuple) ||
                            timer.async_wait(use_tuple));
    if (shaken.index() == 1) {
      close();
      co_return make_error_code(error::timeout);
    }
    if (auto [hec] = std::get<0>(shaken); hec) co_return hec;
  }
  co_return boost::system::error_code{};
}

asio::awaitable<std::pair<boost::system::error_code, std::size_t>> transport::read_some(asio::mutable_buffer buffer) {
  if (tls_) {
    auto [ec, n] = co_await tls_->async_read_some(buffer, use_tuple);
    co_return std::pair{ec, n};
  }
  auto [ec, n] = co_await plain_.async_read_some(buffer, use_tuple);
  co_return std::pair{ec, n};
}

asio::awaitable<boost::system::error_code> transport::write(std::string_view bytes) {
  if (tls_) {
    auto [ec, n] = co_await asio::async_write(*tls_, asio::buffer(bytes), use_tuple);
    co_return ec;
  }
  auto [ec, n] = co_await asio::async_write(plain_, asio::buffer(bytes), use_tuple);
  co_return ec;
}

void transport::close() noexcept {
  boost::system::error_code ignored;
  socket().shutdown(tcp::socket::shutdown_both, ignored);
  socket().close(ignored);
}

asio::awaitable<boost::system::error_code> exchange(transport& t, resp_reader& reader, const std::string& commands,
                                                    std::size_t count, std::vector<reply>& out,
                                                    std::chrono::steady_clock::time_point deadline) {
  out.clear();
  if (count == 0) co_return boost::system::error_code{};
  asio::steady_timer timer(co_await asio::this_coro::executor, deadline);
  auto written = co_await (t.write(commands) || timer.async_wait(use_tuple));
  if (written.index() == 1) co_return make_error_code(error::timeout);
  if (auto ec = std::get<0>(written); ec) co_return ec;
  char buffer[4096];
  while (out.size() < count) {
    try {
      while (out.size() < count) {
        auto r = reader.next();
        if (!r) break;
        out.push_back(std::move(*r));
      }
    } catch (const protocol_error&) {
      co_return make_error_code(error::protocol);
    }
    if (out.size() == count) break;
    auto got = co_await (t.read_some(asio::buffer(buffer)) || timer.async_wait(use_tuple));
    if (got.index() == 1) co_return make_error_code(error::timeout);
    auto [ec, n] = std::get<0>(got);
    if (ec) co_return ec;
    reader.feed(buffer, n);
  }
  co_return boost::system::error_code{};
}

asio::awaitable<std::string> open_connection(transport& t, resp_reader& reader, const options& o) {
  const auto deadline = std::chrono::steady_clock::now() + o.connect_timeout;
  const auto ec = co_await t.connect(deadline);
  if (ec) co_return ec.message();
  reader.reset();
  auto [commands, count] = handshake_commands(o);
  std::vector<reply> replies;
  const auto hec = co_await exchange(t, reader, commands, count, replies, deadline);
  if (hec) co_return hec.message();
  co_return handshake_failure(replies, o);
}

std::pair<std::string, std::size_t> handshake_commands(const options& o) {
  std::string out;
  std::size_t count = 0;
  if (!o.password.empty()) {
    if (o.username.empty()) {
      append_command(out, {"AUTH", o.password});
    } else {
      append_command(out, {"AUTH", o.username, o.password});
    }
    ++count;
  }
  if (o.database != 0) {
    const auto db = std::to_string(o.database);
    append_command(out, {"SELECT", db});
    ++count;
  }
  if (!o.client_name.empty()) {
    append_command(out, {"CLIENT", "SETNAME", o.client_name});
    ++count;
  }
  return {std::move(out), count};
}

std::string handshake_failure(const std::vector<reply>& replies, const options& o) {
  std::size_t i = 0;
  if (!o.password.empty()) {
    // Say what failed without the server's text, which may echo the user name.
    if (replies.at(i).is_error()) return "authentication failed (" + std::string(replies[i].error_code()) + ")";
    ++i;
  }
  if (o.database != 0) {
    if (replies.at(i).is_error()) return "SELECT " + std::to_string(o.database) + " failed";
    ++i;
  }
  // CLIENT SETNAME may be forbidden to a restricted ACL user (NOPERM): not
  // fatal. Any other error (NOAUTH, "max number of clients reached", ...)
  // means the server will not serve us on this connection.
  if (i < replies.size() && replies[i].is_error()) {
    const auto code = replies[i].error_code();
    if (code == "NOAUTH") return "authentication required (NOAUTH): set a password in REDIS_URL";
    if (code != "NOPERM") return "handshake refused (" + std::string(code) + ")";
  }
  return {};
}

}  // namespace bakewind::redis
