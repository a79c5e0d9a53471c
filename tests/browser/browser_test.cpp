// The browser suite of issue 8 as one ctest test: starts real Redis and
// PostgreSQL (tests/support) and `bakewind serve` with the two web apps on
// free ports, then runs tests/browser/web.test.mjs under Node, which drives
// Debian's chromium through playwright-core (npm, in web/node_modules).
// Screenshots of the main screens land in <build>/screenshots (git-ignored).

#include "../e2e/auth_helpers.hpp"
#include "support/child_process.hpp"
#include "support/net.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>

namespace bakewind::test {
namespace {

namespace fs = std::filesystem;
using auth_e2e::env_list;

const fs::path web_dir = BAKEWIND_WEB_DIR;
const fs::path chromium = "/usr/bin/chromium";

TEST(browser, web_apps_in_chromium) {
  ASSERT_TRUE(fs::exists(chromium)) << chromium << " is missing: scripts/test installs the Debian package chromium";
  ASSERT_TRUE(fs::exists(web_dir / "node_modules" / "playwright-core" / "package.json"))
      << "playwright-core is missing: scripts/test runs npm ci in " << web_dir;

  const auto database = auth_e2e::migrated_database("browser");
  const auto site_port = free_port();
  const auto admin_port = free_port();
  const std::string site = "http://localhost:" + std::to_string(site_port);
  const std::string admin = "http://localhost:" + std::to_string(admin_port);
  service api(auth_e2e::service_env(
      database, auth_e2e::shared_redis().url(),
      {{"SITE_PORT", std::to_string(site_port)}, {"ADMIN_PORT", std::to_string(admin_port)}, {"LOG_LEVEL", "warn"}}));

  // A second instance whose access tokens live 8 s and locks 4 s: the dashboard must
  // refresh its tokens unaided, and see a lock expire.
  const auto short_site_port = free_port();
  const auto short_admin_port = free_port();
  service short_lived(auth_e2e::service_env(database, auth_e2e::shared_redis().url(),
                                            {{"SITE_PORT", std::to_string(short_site_port)},
                                             {"ADMIN_PORT", std::to_string(short_admin_port)},
                                             {"JWT_ACCESS_TTL", "8"},
                                             {"ORDER_LOCK_TTL", "4"},
                                             {"LOG_LEVEL", "warn"}}));

  child_process suite(child_options{
      .argv = {"node", "--test", "--test-reporter=spec",
               std::string(BAKEWIND_SOURCE_DIR) + "/tests/browser/web.test.mjs"},
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
  ASSERT_TRUE(code.has_value()) << "the browser suite did not finish in 4 minutes";
  EXPECT_EQ(*code, 0) << "bakewind's output:\n" << api.process().output();
}

}  // namespace
}  // namespace bakewind::test
