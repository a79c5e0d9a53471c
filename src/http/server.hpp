#pragma once
// The HTTP/1.1 server: one acceptor, connections spread round-robin over the
// event loops, each connection served by one coroutine on its loop. Beast
// stays behind this header.

#include "core/log.hpp"
#include "http/cors.hpp"
#include "http/request_metrics.hpp"
#include "http/router.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace bakewind::http {

struct server_options {
  std::string host = "127.0.0.1";                    ///< address to bind
  std::uint16_t port = 8080;                         ///< 0 picks a free port (see server::port)
  std::chrono::milliseconds request_timeout{10000};  ///< to receive one whole request, or to write a response
  std::chrono::milliseconds idle_timeout{65000};     ///< keep-alive wait for the next request
  std::size_t header_limit = 16 * 1024;              ///< request line + headers; over it: 431
  std::size_t body_limit = 1024 * 1024;              ///< over it: 413
  std::size_t max_connections = 10000;               ///< open connections (WebSockets too); more are closed at once
  double request_rate = 2000;                        ///< requests a second on one connection (as many saved up); faster ones wait
  double ws_message_rate = 20;                       ///< a WebSocket client's messages per second (twice in a burst); more: closed 1008
  std::chrono::milliseconds ws_idle_timeout{300000};  ///< a WebSocket silent half of it is pinged; silent all of it, closed
  std::vector<std::string> cors_origins;             ///< CORS_ORIGINS
  core::access_log access_log = core::access_log::on;  ///< ACCESS_LOG: which requests get a log line
};

/// One event loop and the routes its connections are served with.
struct loop_binding {
  boost::asio::io_context& io;
  const router& routes;
};

class server {
 public:
  /// `loops` must outlive the server; loops[0] runs the acceptor.
  server(server_options options, std::vector<loop_binding> loops);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// Binds and listens; throws std::system_error (e.g. address in use).
  void listen();

  /// The bound port (after listen).
  std::uint16_t port() const;

  /// Starts accepting on loops[0].
  void start();

  /// Graceful stop, awaited on loops[0]: stops accepting, closes idle
  /// connections, lets in-flight requests finish (each answered with
  /// `Connection: close`), and after `grace` closes whatever is left.
  boost::asio::awaitable<void> shutdown(std::chrono::milliseconds grace);

  /// Open connections over all loops.
  std::size_t connections() const;

  /// Requests answered, by route and status; lives as long as the server.
  const request_metrics& metrics() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace bakewind::http
