// The HTTP request path up to the handler, without a socket: the input is
// what a client sends on one connection (one or more pipelined requests),
// served by http::exchange through the real dispatcher (request id, CORS,
// routing, JSON body, error mapping, access log) and the API's route table
// with stub handlers (stub_routes). Checks what API.md promises whatever the
// client sends: never a 500.

#include "http/cors.hpp"
#include "http/dispatcher.hpp"
#include "http/exchange.hpp"
#include "quiet_logs.hpp"
#include "stub_routes.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {

using namespace bakewind;

struct harness {
  auth::jwt_codec codec{std::string(32, 's'), ""};
  // 2026-11-26T00:00Z: the seeds' access token (fuzz/corpus) is valid then.
  http::router routes =
      fuzz::stub_routes(codec, std::chrono::system_clock::time_point(std::chrono::seconds(1795651200)));
  http::cors_policy cors{std::vector<std::string>{"http://localhost:3000", "http://localhost:3001"}};
  http::dispatcher dispatch{routes, cors};
  http::server_options options;
  boost::asio::io_context io;
};

// API.md: "never a 500 for anything a client can send"; and something was
// written for each answer.
void check(const http::exchange_result& result) {
  for (const unsigned status : result.statuses) {
    if (status < 100 || status >= 500) std::abort();
  }
  const bool only_upgrade = result.statuses.size() == 1 && result.statuses[0] == 101;
  if (result.written.empty() != (result.statuses.empty() || only_upgrade)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::quiet_logs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static harness h;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  http::exchange_result result;
  auto serve = [&]() -> boost::asio::awaitable<void> {
    result = co_await http::exchange(h.routes, h.dispatch, bytes, h.options);
  };
  boost::asio::co_spawn(h.io, serve, boost::asio::detached);
  h.io.restart();
  h.io.run();
  check(result);
  return 0;
}
