// Black-box tests of the web apps' static servers (issue 8): `bakewind serve`
// serves WEB_DIR/site on SITE_PORT and WEB_DIR/admin on ADMIN_PORT, with the
// generated /config.js, an index.html fallback for app routes, and nothing
// outside the folders. A temporary WEB_DIR; Redis and PostgreSQL are not needed.

#include "core/json.hpp"
#include "service.hpp"
#include "support/http_client.hpp"
#include "support/net.hpp"
#include "support/temp_dir.hpp"
#include "web_helpers.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace bakewind::test {
namespace {

namespace fs = std::filesystem;

void write(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary) << text;
}

// One service over a made-up WEB_DIR, shared by the tests below.
struct web_fixture {
  web_fixture() : dir("bakewind-web-apps"), site_port(free_port()), admin_port(free_port()), svc(start(*this)) {}

  static service start(web_fixture& f) {
    const auto root = f.dir.path();
    write(root / "site" / "index.html", "<!doctype html><title>site</title>");
    write(root / "site" / "site.js", "export const x = 1;");
    write(root / "admin" / "index.html", "<!doctype html><title>admin</title>");
    write(root / "admin" / "admin.css", "body{}");
    write(root / "admin" / "js" / "app.js", "import config from '/config.js';");
    write(root / "admin" / "logo.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>");
    write(root / "admin" / ".hidden.html", "hidden-bytes");
    write(root / "admin" / "notes.exe", "MZ");
    write(root / "secret.html", "outside-bytes");
    fs::create_symlink(root / "secret.html", root / "admin" / "link.html");
    return service({{"REDIS_URL", "redis://127.0.0.1:" + std::to_string(free_port())},
                    {"DATABASE_URL", "postgres://bakewind:x@127.0.0.1:" + std::to_string(free_port()) + "/bakewind"},
                    {"WEB_DIR", root.string()},
                    {"SITE_PORT", std::to_string(f.site_port)},
                    {"ADMIN_PORT", std::to_string(f.admin_port)},
                    {"PUBLIC_ADMIN_URL", "https://admin.bakewind.test/"}});
  }

  temp_dir dir;
  std::uint16_t site_port;
  std::uint16_t admin_port;
  service svc;
};

web_fixture& web() {
  static web_fixture f;
  return f;
}

TEST(web_apps, each_port_serves_its_own_folder_with_types_and_revalidation) {
  const auto site = http_call(web().site_port, "GET", "/");
  ASSERT_EQ(site.status, 200) << site.body;
  EXPECT_EQ(site.body, "<!doctype html><title>site</title>");
  EXPECT_EQ(site.header("content-type"), "text/html; charset=utf-8");
  EXPECT_EQ(site.header("cache-control"), "no-cache");
  EXPECT_FALSE(site.header("etag").empty());
  EXPECT_EQ(site.header("referrer-policy"), "no-referrer");
  EXPECT_TRUE(contains(site.header("content-security-policy"), "frame-ancestors 'none'"));

  const auto admin = http_call(web().admin_port, "GET", "/");
  EXPECT_EQ(admin.body, "<!doctype html><title>admin</title>");
  EXPECT_EQ(http_call(web().site_port, "GET", "/site.js").header("content-type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(http_call(web().admin_port, "GET", "/js/app.js").header("content-type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(http_call(web().admin_port, "GET", "/admin.css").header("content-type"), "text/css; charset=utf-8");
  EXPECT_EQ(http_call(web().admin_port, "GET", "/logo.svg").header("content-type"), "image/svg+xml");
  expect_nest_404(http_call(web().site_port, "GET", "/admin.css"), "/admin.css");  // the dashboard's file, asked of the site

  const auto again =
      http_call(web().admin_port, "GET", "/admin.css", "",
                "If-None-Match: " + http_call(web().admin_port, "GET", "/admin.css").header("etag") + "\r\n");
  EXPECT_EQ(again.status, 304);
  // The API's own routes are not on these ports.
  EXPECT_EQ(http_call(web().admin_port, "GET", "/health/live").body, admin.body);
}

TEST(web_apps, app_routes_fall_back_to_index_html_but_missing_files_do_not) {
  for (const std::string target :
       {"/auth/callback?session=abc", "/orders", "/orders/6f1c1f3e-0000-4000-8000-000000000001", "/staff/"}) {
    const auto r = http_call(web().admin_port, "GET", target);
    EXPECT_EQ(r.status, 200) << target;
    EXPECT_EQ(r.body, "<!doctype html><title>admin</title>") << target;
  }
  raw_connection head(web().admin_port);
  ASSERT_TRUE(head.send("HEAD /orders/abc HTTP/1.1\r\nHost: x\r\n\r\n"));
  const auto answer = head.read_reply(std::chrono::seconds(10), true);
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 200);
  EXPECT_EQ(answer->header("content-type"), "text/html; charset=utf-8");
  EXPECT_TRUE(answer->body.empty());
  expect_nest_404(http_call(web().admin_port, "GET", "/missing.js"), "/missing.js");
  expect_nest_404(http_call(web().admin_port, "GET", "/js/missing.css"), "/js/missing.css");
  EXPECT_EQ(http_call(web().admin_port, "POST", "/orders").status, 404);
}

TEST(web_apps, nothing_outside_the_folder_or_hidden_or_of_unknown_type_is_served) {
  for (const std::string target :
       {"/../secret.html", "/%2e%2e/secret.html", "/..%2Fsecret.html", "/js/..%2F..%2Fsecret.html",
        "/%2E%2E%5Csecret.html", "/link.html", "/.hidden.html", "/notes.exe", "/%2Fetc%2Fpasswd"}) {
    const auto r = http_call(web().admin_port, "GET", target);
    EXPECT_EQ(r.status, 404) << target << " " << r.body;
    EXPECT_FALSE(contains(r.body, "outside-bytes")) << target;
    EXPECT_FALSE(contains(r.body, "hidden-bytes")) << target;
  }
}

TEST(web_apps, config_js_tells_the_pages_where_the_api_and_the_apps_are) {
  for (const auto port : {web().site_port, web().admin_port}) {
    const auto r = http_call(port, "GET", "/config.js");
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.header("content-type"), "text/javascript; charset=utf-8");
    EXPECT_EQ(r.header("cache-control"), "no-cache");
    EXPECT_TRUE(contains(r.body, "\"apiUrl\":\"http://localhost:" + std::to_string(web().svc.port()) + "\"")) << r.body;
    EXPECT_TRUE(contains(r.body, "\"siteUrl\":\"http://localhost:" + std::to_string(web().site_port) + "\"")) << r.body;
    EXPECT_TRUE(contains(r.body, "\"adminUrl\":\"https://admin.bakewind.test\"")) << r.body;
    EXPECT_TRUE(contains(r.body, "export default config")) << r.body;
  }
}

TEST(web_apps, the_api_allows_the_apps_origins_by_default) {
  const auto origin = "http://localhost:" + std::to_string(web().site_port);
  const auto r = http_call(web().svc.port(), "GET", "/health/live", "", "Origin: " + origin + "\r\n");
  EXPECT_EQ(r.header("access-control-allow-origin"), origin);
  const auto admin = http_call(web().svc.port(), "GET", "/health/live", "", "Origin: https://admin.bakewind.test\r\n");
  EXPECT_EQ(admin.header("access-control-allow-origin"), "https://admin.bakewind.test");
}

TEST(web_apps, port_zero_picks_free_ports_and_a_bad_public_url_stops_start_up) {
  // Every service these tests start uses SITE_PORT=0 and ADMIN_PORT=0 (service.cpp): two at once must not collide.
  const std::vector<std::pair<std::string, std::string>> env{
      {"REDIS_URL", "redis://127.0.0.1:" + std::to_string(free_port())},
      {"DATABASE_URL", "postgres://bakewind:x@127.0.0.1:" + std::to_string(free_port()) + "/bakewind"}};
  service a(env);
  service b(env);
  EXPECT_NE(a.port(), b.port());
  auto bad = env;
  bad.emplace_back("PUBLIC_API_URL", "localhost:8080/api");
  const auto [code, output] = run_bakewind({"serve"}, bad);
  EXPECT_NE(code, 0);
  EXPECT_TRUE(contains(output, "PUBLIC_API_URL")) << output;
}

}  // namespace
}  // namespace bakewind::test
