// The raw ceiling of bench/compare.sh (issue 20): the least an HTTP server
// built from our stack can do per request, so that BakeWind's `me` can be
// read as a share of what this machine allows. One thread, Beast's parser
// and serializer over Asio coroutines, keep-alive, and a fixed small JSON
// answer to any GET; no router, no middleware, no timers, no log. Built with
// the server's flags (bakewind_options, the same build type), so the gap to
// BakeWind is our own code's cost, not the compiler's.
//
//   raw_ceiling PORT      # listens on 127.0.0.1:PORT until SIGTERM or SIGINT

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cstdio>
#include <cstdlib>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr auto as_tuple = asio::as_tuple(asio::use_awaitable);

// Answers requests on one connection until the peer closes it or asks to.
asio::awaitable<void> serve(tcp::socket socket) {
  beast::flat_buffer buffer;
  for (;;) {
    http::request<http::string_body> request;
    auto [read_error, read_bytes] = co_await http::async_read(socket, buffer, request, as_tuple);
    if (read_error) break;
    const bool get = request.method() == http::verb::get;
    http::response<http::string_body> response{get ? http::status::ok : http::status::method_not_allowed,
                                               request.version()};
    response.set(http::field::content_type, "application/json");
    response.keep_alive(request.keep_alive());
    if (get) response.body() = R"({"ok":true})";
    response.prepare_payload();
    auto [write_error, written] = co_await http::async_write(socket, response, as_tuple);
    if (write_error || !response.keep_alive()) break;
  }
  beast::error_code ignored;
  socket.shutdown(tcp::socket::shutdown_send, ignored);
}

asio::awaitable<void> accept(tcp::acceptor& acceptor) {
  for (;;) {
    auto [error, socket] = co_await acceptor.async_accept(as_tuple);
    if (error == asio::error::operation_aborted) co_return;
    // Out of descriptors or a connection reset while queued: the next one may work.
    if (error) continue;
    asio::co_spawn(acceptor.get_executor(), serve(std::move(socket)), asio::detached);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: raw_ceiling PORT\n");
    return 2;
  }
  // Concurrency hint 1: one thread runs this context, so Asio can leave out
  // its locks, as the best one-thread server would.
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  const tcp::endpoint endpoint{asio::ip::address_v4::loopback(), static_cast<unsigned short>(std::atoi(argv[1]))};
  acceptor.open(endpoint.protocol());
  acceptor.set_option(asio::socket_base::reuse_address(true));
  acceptor.bind(endpoint);
  acceptor.listen(asio::socket_base::max_listen_connections);

  asio::signal_set signals{io, SIGINT, SIGTERM};
  signals.async_wait([&](const beast::error_code&, int) { io.stop(); });
  asio::co_spawn(io, accept(acceptor), asio::detached);
  io.run();
  return 0;
}
