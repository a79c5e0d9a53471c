#include "service.hpp"

#include "support/http_client.hpp"
#include "support/net.hpp"
#include "support/postgres_server.hpp"

#include <stdexcept>
#include <thread>

namespace bakewind::test {

// The paths CMake knows are compiled into this one file only, so that the
// test files that use them are the same in every checkout (ccache).
std::string bakewind_binary() { return BAKEWIND_BINARY; }

std::string source_dir() { return BAKEWIND_SOURCE_DIR; }

std::pair<int, std::string> run_bakewind(std::vector<std::string> args,
                                         std::vector<std::pair<std::string, std::string>> env) {
  std::vector<std::string> argv{bakewind_binary()};
  for (auto& a : args) argv.push_back(std::move(a));
  env.emplace_back("LOG_FORMAT", "json");
  child_process p(child_options{.argv = std::move(argv), .env = std::move(env)});
  const auto code = p.wait_for_exit(std::chrono::seconds(60));
  if (!code) throw std::runtime_error("bakewind did not exit: " + p.output());
  return {*code, p.output()};
}

std::string migrated_database(const std::string& prefix) {
  const auto url = postgres_server::shared().fresh_database(prefix);
  const auto [code, output] = run_bakewind({"migrate"}, {{"DATABASE_URL", url}});
  if (code != 0) throw std::runtime_error("migrate failed: " + output);
  return url;
}

child_process service::start(std::uint16_t port, std::vector<std::pair<std::string, std::string>> env) {
  auto has = [&](const std::string& name) {
    for (const auto& [k, v] : env) {
      if (k == name) return true;
    }
    return false;
  };
  env.emplace_back("PORT", std::to_string(port));
  if (!has("HOST")) env.emplace_back("HOST", "127.0.0.1");
  if (!has("LOG_FORMAT")) env.emplace_back("LOG_FORMAT", "json");
  if (!has("THREADS")) env.emplace_back("THREADS", "2");
  // The web apps' servers too, so that services started side by side (and
  // one a developer runs on 3000/3001) never collide.
  if (!has("SITE_PORT")) env.emplace_back("SITE_PORT", "0");
  if (!has("ADMIN_PORT")) env.emplace_back("ADMIN_PORT", "0");
  return child_process(child_options{.argv = {bakewind_binary(), "serve"}, .env = std::move(env)});
}

service::service(std::vector<std::pair<std::string, std::string>> env)
    : port_(free_port()), process_(start(port_, std::move(env))) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (std::chrono::steady_clock::now() < deadline) {
    if (!process_.running()) throw std::runtime_error("bakewind exited at start:\n" + process_.output());
    if (port_accepts(port_)) {
      try {
        if (http_call(port_, "GET", "/health/live").status == 200) return;
      } catch (const std::exception&) {
        // not serving yet
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  throw std::runtime_error("bakewind did not come up:\n" + process_.output());
}

}  // namespace bakewind::test
