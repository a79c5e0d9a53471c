// bakewind: serve | migrate | version | --help. Thin on purpose: parse the
// command line and the environment, then hand over to app/.

#include "app/app.hpp"
#include "app/build_info.hpp"
#include "core/config.hpp"
#include "core/error.hpp"
#include "core/log.hpp"

#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <string_view>

namespace {

constexpr const char* usage =
    "usage: bakewind <command>\n"
    "\n"
    "commands:\n"
    "  serve      run the HTTP + WebSocket API (configuration from the environment)\n"
    "  migrate    apply the bundled database migrations to DATABASE_URL and exit\n"
    "  demo       load the demo bakery (once) and print its logins\n"
    "  version    print the version and exit\n"
    "  --help     print this text\n"
    "\n"
    "See README.md for the environment variables.\n";

}  // namespace

int main(int argc, char** argv) {
  const std::string_view command = argc > 1 ? argv[1] : "";
  if (command == "--help" || command == "-h" || command == "help") {
    std::fputs(usage, stdout);
    return 0;
  }
  if (command == "version" || command == "--version") {
    std::printf("bakewind %s (%s)\n", bakewind::app::build_version, bakewind::app::build_commit);
    return 0;
  }
  if (command != "serve" && command != "migrate" && command != "demo") {
    std::fprintf(stderr, "bakewind: unknown command '%s'\n\n%s", argv[argc > 1 ? 1 : 0], usage);
    return 2;
  }

  bakewind::core::config cfg;
  try {
    cfg = bakewind::core::load_config();
  } catch (const bakewind::core::config_error& e) {
    std::fprintf(stderr, "bakewind: invalid configuration: %s\n", e.what());
    return 2;
  }
  bakewind::core::init_logging(cfg.level, cfg.format);
  std::signal(SIGPIPE, SIG_IGN);

  try {
    if (command == "migrate") return bakewind::app::migrate(cfg);
    if (command == "demo") return bakewind::app::load_demo(cfg);
    std::unique_ptr<bakewind::app::application> app;
    try {
      app = std::make_unique<bakewind::app::application>(std::move(cfg));
    } catch (const bakewind::core::config_error& e) {
      // Checks that need a layer's own parser (REDIS_URL, REDIS_TLS_CA).
      std::fprintf(stderr, "bakewind: invalid configuration: %s\n", e.what());
      return 2;
    }
    return app->serve();
  } catch (const std::exception& e) {
    bakewind::core::log_error("fatal", {{"detail", e.what()}});
    return 1;
  }
}
