// The browser suites as one ctest test: starts real Redis and PostgreSQL
// (tests/support) and `bakewind serve` with the two web apps on free ports,
// then runs tests/browser/web.test.mjs and pages.test.mjs under Node, which
// drive Debian's chromium through playwright-core (npm, in web/node_modules).
// Screenshots of the main screens land in <build>/screenshots (git-ignored).

#include "../e2e/auth_helpers.hpp"
#include "support/child_process.hpp"
#include "support/net.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>
#include <memory>
#include <stdexcept>

namespace bakewind::test {
namespace {

namespace fs = std::filesystem;
using auth_e2e::env_list;

const fs::path web_dir = fs::path(source_dir()) / "web";
const fs::path chromium = "/usr/bin/chromium";

TEST(browser, web_apps_in_chromium) {
  ASSERT_TRUE(fs::exists(chromium)) << chromium << " is missing: scripts/test installs the Debian package chromium";
  for (const char* package : {"playwright-core", "axe-core"}) {
    ASSERT_TRUE(fs::exists(web_dir / "node_modules" / package / "package.json"))
        << package << " is missing: scripts/test runs npm ci in " << web_dir;
  }

  // This run's screenshots only: none left over from an earlier (failed) run.
  fs::remove_all(BAKEWIND_SCREENSHOTS_DIR);
  fs::create_directories(BAKEWIND_SCREENSHOTS_DIR);
  const auto database = auth_e2e::migrated_database("browser");
  // Ports picked free may be taken by another test's socket before the
  // service binds them (ctest -j2): then pick again, up to three times.
  struct started {
    std::unique_ptr<service> svc;
    std::uint16_t site_port = 0;
    std::uint16_t admin_port = 0;
  };
  auto start = [&](env_list extra) {
    for (int attempt = 1;; ++attempt) {
      started s;
      s.site_port = free_port();
      s.admin_port = free_port();
      env_list env = extra;
      env.emplace_back("SITE_PORT", std::to_string(s.site_port));
      env.emplace_back("ADMIN_PORT", std::to_string(s.admin_port));
      env.emplace_back("LOG_LEVEL", "warn");
      try {
        s.svc = std::make_unique<service>(auth_e2e::service_env(database, auth_e2e::shared_redis().url(), env));
        return s;
      } catch (const std::runtime_error& e) {
        if (attempt == 3 || std::string(e.what()).find("Address already in use") == std::string::npos) throw;
      }
    }
  };
  const started main_instance = start({});
  service& api = *main_instance.svc;
  const std::string site = "http://localhost:" + std::to_string(main_instance.site_port);
  const std::string admin = "http://localhost:" + std::to_string(main_instance.admin_port);

  // A second instance whose access tokens live 8 s and locks 4 s: the dashboard must
  // refresh its tokens unaided, and see a lock expire.
  const started short_instance = start({{"JWT_ACCESS_TTL", "8"}, {"ORDER_LOCK_TTL", "4"}});
  service& short_lived = *short_instance.svc;
  const auto short_site_port = short_instance.site_port;
  const auto short_admin_port = short_instance.admin_port;

  // The suites one after the other (each takes the machine's two cores):
  // web.test.mjs, the flows of issue 8, then pages.test.mjs, every address at
  // three widths with an accessibility audit (issue 17).
  for (const char* file : {"web.test.mjs", "pages.test.mjs"}) {
    child_process suite(child_options{
        .argv = {"node", "--test", "--test-reporter=spec", source_dir() + "/tests/browser/" + file},
        .env = {{"BW_API_URL", "http://localhost:" + std::to_string(api.port())},
                {"BW_SITE_URL", site},
                {"BW_ADMIN_URL", admin},
                {"BW_SHORT_API_URL", "http://localhost:" + std::to_string(short_lived.port())},
                {"BW_SHORT_SITE_URL", "http://localhost:" + std::to_string(short_site_port)},
                {"BW_SHORT_ADMIN_URL", "http://localhost:" + std::to_string(short_admin_port)},
                {"BW_WEB_DIR", web_dir.string()},
                {"BW_SCREENSHOTS", BAKEWIND_SCREENSHOTS_DIR},
                {"BW_CHROMIUM", chromium.string()}},
    });
    const auto code = suite.wait_for_exit(std::chrono::minutes(4));
    std::cout << suite.output() << std::flush;
    ASSERT_TRUE(code.has_value()) << file << " did not finish in 4 minutes";
    EXPECT_EQ(*code, 0) << file << " failed; bakewind's output:\n" << api.process().output();
  }
}

}  // namespace
}  // namespace bakewind::test
