#pragma once
// What the redis tests share: a local io_context, coroutines run on it with a
// limit, client options for a test server, and redis-cli as the "second
// client" that inspects or disturbs the server behind our client's back.

#include "redis/client.hpp"
#include "redis/service.hpp"
#include "support/child_process.hpp"
#include "support/redis_server.hpp"
#include "support/run.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace bakewind::redis_test {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using clock = std::chrono::steady_clock;

/// Milliseconds since `start`.
inline long long ms_since(clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - start).count();
}

/// Client options for `server`, with the defaults of production.
inline redis::options options_for(const test::redis_server& server) { return redis::parse_url(server.url()); }

using test::sleep_for;

/// Runs redis-cli against 127.0.0.1:`port` and returns its output without the
/// last newline (raw mode: one line per reply element). `auth` goes before the
/// command (e.g. {"--user", "alice", "--pass", "pw"} or {"-n", "2"}). Blocks;
/// throws when it does not exit within 5 s.
inline std::string cli(std::uint16_t port, const std::vector<std::string>& command,
                       const std::vector<std::string>& auth = {}) {
  test::child_options o;
  o.argv = {"redis-cli", "-h", "127.0.0.1", "-p", std::to_string(port), "--no-auth-warning"};
  o.argv.insert(o.argv.end(), auth.begin(), auth.end());
  o.argv.insert(o.argv.end(), command.begin(), command.end());
  o.stderr_path = "/dev/null";
  test::child_process p(std::move(o));
  if (!p.wait_for_exit(5s)) throw std::runtime_error("redis-cli did not exit");
  std::string out = p.output();
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

/// Starts redis-cli in the background (e.g. DEBUG SLEEP 3); the caller keeps it alive.
inline test::child_process cli_in_background(std::uint16_t port, const std::vector<std::string>& command) {
  test::child_options o;
  o.argv = {"redis-cli", "-h", "127.0.0.1", "-p", std::to_string(port)};
  o.argv.insert(o.argv.end(), command.begin(), command.end());
  o.stderr_path = "/dev/null";
  return test::child_process(std::move(o));
}

/// The CLIENT LIST ids of connections named `name` (ours are "bakewind").
inline std::vector<std::string> client_ids(std::uint16_t port, const std::string& name = "bakewind",
                                           const std::vector<std::string>& auth = {}) {
  std::istringstream lines(cli(port, {"CLIENT", "LIST"}, auth));
  std::vector<std::string> ids;
  for (std::string line; std::getline(lines, line);) {
    if (line.find(" name=" + name + " ") == std::string::npos) continue;
    const auto start = line.find("id=") + 3;
    ids.push_back(line.substr(start, line.find(' ', start) - start));
  }
  return ids;
}

/// Kills our connection(s) from a second client; how many were killed.
inline int kill_our_connections(std::uint16_t port, const std::vector<std::string>& auth = {}) {
  int killed = 0;
  for (const auto& id : client_ids(port, "bakewind", auth)) {
    if (cli(port, {"CLIENT", "KILL", "ID", id}, auth) == "1") ++killed;
  }
  return killed;
}

/// A test with its own io_context; `run` runs a coroutine on it to completion.
class redis_test : public ::testing::Test {
 protected:
  template <class T>
  T run(asio::awaitable<T> task, std::chrono::milliseconds limit = 30s) {
    return test::run(io_, std::move(task), limit);
  }

  /// Runs io_ for `d` (lets background work proceed).
  void run_for(std::chrono::milliseconds d) {
    io_.restart();
    io_.run_for(d);
  }

  asio::io_context io_;
};

}  // namespace bakewind::redis_test
