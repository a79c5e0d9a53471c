#pragma once
// One byte stream to a Redis server: TCP, or TLS over TCP for rediss://.
// Bounded connect; reads and writes are bounded by their callers (the
// supervisor's silence rule closes a stream that stays silent).

#include "redis/options.hpp"
#include "redis/reply.hpp"
#include "redis/resp.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>

#include <chrono>
#include <memory>
#include <span>
#include <string>

namespace bakewind::redis {

/// The TLS context for `o` (verification per tls_ca_file / tls_insecure);
/// nullptr when `o.tls` is off. Throws core::config_error on a bad CA file.
std::shared_ptr<boost::asio::ssl::context> make_tls_context(const options& o);

class transport {
 public:
  /// `tls` may be null (plain TCP); it must outlive the transport.
  transport(boost::asio::any_io_executor ex, const options& o, boost::asio::ssl::context* tls);

  /// Resolves, connects and (for TLS) handshakes, all before `deadline`.
  boost::asio::awaitable<boost::system::error_code> connect(std::chrono::steady_clock::time_point deadline);

  /// Reads what is available (at least one byte).
  boost::asio::awaitable<std::pair<boost::system::error_code, std::size_t>> read_some(
      boost::asio::mutable_buffer buffer);

  /// Writes all of `bytes`.
  boost::asio::awaitable<boost::system::error_code> write(std::string_view bytes);

  /// Closes the stream; pending reads and writes complete with an error.
  void close() noexcept;

  bool is_open() const noexcept { return socket().is_open(); }

 private:
  boost::asio::ip::tcp::socket& socket() noexcept;
  const boost::asio::ip::tcp::socket& socket() const noexcept;

  boost::asio::any_io_executor executor_;
  const options& options_;
  boost::asio::ssl::context* tls_context_;
  std::unique_ptr<boost::asio::ssl::stream<boost::asio::ip::tcp::socket>> tls_;
  boost::asio::ip::tcp::socket plain_;
};

/// Connects `t` and runs the handshake (AUTH, SELECT, CLIENT SETNAME) within
/// o.connect_timeout, with a fresh `reader`. "" on success, else why not.
boost::asio::awaitable<std::string> open_connection(transport& t, resp_reader& reader, const options& o);

/// Sends `commands` (already encoded) and reads exactly `count` replies into
/// `out`, before `deadline`. Used for handshakes; `reader` keeps any excess.
boost::asio::awaitable<boost::system::error_code> exchange(transport& t, resp_reader& reader,
                                                           const std::string& commands, std::size_t count,
                                                           std::vector<reply>& out,
                                                           std::chrono::steady_clock::time_point deadline);

/// The AUTH / SELECT / CLIENT SETNAME a new connection needs, encoded, and
/// how many replies they produce.
std::pair<std::string, std::size_t> handshake_commands(const options& o);

/// The first failure among handshake replies (AUTH refused, bad database), or "".
std::string handshake_failure(const std::vector<reply>& replies, const options& o);

}  // namespace bakewind::redis
