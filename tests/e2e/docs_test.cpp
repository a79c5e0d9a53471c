// Black-box tests of the API description: GET /api/v1/openapi.json, the
// Swagger UI page GET /api/docs and its assets, served by the real binary.
// Neither Redis nor PostgreSQL is needed: both point at closed ports.

#include "core/json.hpp"
#include "service.hpp"
#include "support/http_client.hpp"
#include "support/net.hpp"
#include "support/temp_dir.hpp"
#include "web_helpers.hpp"

#include <gtest/gtest.h>

#include <filesystem>

namespace bakewind::test {
namespace {

namespace fs = std::filesystem;

// The web/ folder the binary uses by default (WEB_DIR unset).
const fs::path web_dir = fs::path(source_dir()) / "web";
const fs::path swagger_dir = web_dir / "node_modules" / "swagger-ui-dist";

std::vector<std::pair<std::string, std::string>> env_without_stores() {
  return {{"REDIS_URL", "redis://127.0.0.1:" + std::to_string(free_port())},
          {"DATABASE_URL", "postgres://bakewind:x@127.0.0.1:" + std::to_string(free_port()) + "/bakewind"}};
}

// One service for the tests that use the default WEB_DIR.
service& docs_service() {
  static service s(env_without_stores());
  return s;
}

TEST(docs, openapi_json_is_an_openapi_3_1_document) {
  const auto r = http_call(docs_service().port(), "GET", "/api/v1/openapi.json");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("content-type").rfind("application/json", 0), 0u) << r.header("content-type");
  const auto doc = core::parse_json(r.body);
  ASSERT_TRUE(doc && doc->is_object());
  EXPECT_EQ(std::string(doc->as_object().at("openapi").as_string().c_str()).rfind("3.1.", 0), 0u);
  const auto& paths = doc->as_object().at("paths").as_object();
  for (const char* path : {"/api/v1/auth/login", "/api/v1/orders/{id}/lock", "/api/v1/ws", "/health", "/metrics",
                           "/api/v1/openapi.json", "/api/docs"}) {
    EXPECT_TRUE(paths.contains(path)) << path;
  }
  // The binary carries exactly the committed file.
  EXPECT_EQ(r.body, read_file(fs::path(source_dir()) / "docs" / "openapi.json"));
}

TEST(docs, docs_page_is_html_that_loads_its_assets_from_the_service) {
  const auto r = http_call(docs_service().port(), "GET", "/api/docs");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("content-type").rfind("text/html", 0), 0u) << r.header("content-type");
  if (!fs::exists(swagger_dir / "swagger-ui-bundle.js")) {
    EXPECT_TRUE(contains(r.body, "not installed")) << r.body;
    GTEST_SKIP() << swagger_dir << " is missing: run scripts/test (npm ci in web/)";
  }
  EXPECT_TRUE(contains(r.body, "\"/api/docs/swagger-ui-bundle.js\"")) << r.body;
  EXPECT_TRUE(contains(r.body, "\"/api/docs/swagger-ui.css\"")) << r.body;
  EXPECT_TRUE(contains(r.body, "\"/api/v1/openapi.json\"")) << r.body;
  EXPECT_FALSE(contains(r.body, "://")) << "the page must load nothing from another host";
}

TEST(docs, assets_are_served_with_type_etag_head_and_304) {
  if (!fs::exists(swagger_dir / "swagger-ui-bundle.js")) {
    GTEST_SKIP() << swagger_dir << " is missing: run scripts/test (npm ci in web/)";
  }
  const auto port = docs_service().port();
  const auto js = http_call(port, "GET", "/api/docs/swagger-ui-bundle.js");
  ASSERT_EQ(js.status, 200);
  const auto type = js.header("content-type");
  EXPECT_TRUE(type.rfind("text/javascript", 0) == 0 || type.rfind("application/javascript", 0) == 0) << type;
  EXPECT_EQ(js.body, read_file(swagger_dir / "swagger-ui-bundle.js"));
  EXPECT_FALSE(js.header("etag").empty());
  EXPECT_FALSE(js.header("cache-control").empty());

  const auto css = http_call(port, "GET", "/api/docs/swagger-ui.css");
  ASSERT_EQ(css.status, 200);
  EXPECT_EQ(css.header("content-type").rfind("text/css", 0), 0u);

  raw_connection head(port);
  ASSERT_TRUE(head.send("HEAD /api/docs/swagger-ui.css HTTP/1.1\r\nHost: x\r\n\r\n"));
  const auto h = head.read_reply(std::chrono::seconds(10), true);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);
  EXPECT_EQ(h->header("content-length"), std::to_string(css.body.size()));
  EXPECT_EQ(h->header("etag"), css.header("etag"));
  EXPECT_TRUE(h->body.empty());

  const auto again =
      http_call(port, "GET", "/api/docs/swagger-ui.css", "", "If-None-Match: " + css.header("etag") + "\r\n");
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
}

TEST(docs, missing_assets_and_traversal_are_404_in_nest_shape) {
  const auto port = docs_service().port();
  expect_nest_404(http_call(port, "GET", "/api/docs/missing.js"), "/api/docs/missing.js");
  // web/package.json exists two folders above the assets: none of these may reach it.
  for (const std::string target : {"/api/docs/..%2F..%2Fpackage.json", "/api/docs/%2e%2e%2f%2e%2e%2fpackage.json",
                                   "/api/docs/%2E%2E%2F%2E%2E%2Fpackage.json", "/api/docs/..%5C..%5Cpackage.json",
                                   "/api/docs/%2Fetc%2Fpasswd.json", "/api/docs/.package-lock.json"}) {
    expect_nest_404(http_call(port, "GET", target), target);
  }
  for (const std::string target : {"/api/docs/../../package.json", "/api/docs/%2e%2e/%2e%2e/package.json"}) {
    EXPECT_EQ(http_call(port, "GET", target).status, 404) << target;
  }
}

TEST(docs, without_assets_the_page_says_how_to_install_them) {
  temp_dir empty("bakewind-web");
  auto env = env_without_stores();
  env.emplace_back("WEB_DIR", empty.path().string());
  service s(env);
  const auto page = http_call(s.port(), "GET", "/api/docs");
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(page.header("content-type").rfind("text/html", 0), 0u);
  EXPECT_TRUE(contains(page.body, "not installed")) << page.body;
  EXPECT_TRUE(contains(page.body, "scripts/run")) << page.body;
  EXPECT_TRUE(contains(page.body, "npm ci")) << page.body;
  expect_nest_404(http_call(s.port(), "GET", "/api/docs/swagger-ui-bundle.js"), "/api/docs/swagger-ui-bundle.js");
  EXPECT_EQ(http_call(s.port(), "GET", "/api/v1/openapi.json").status, 200);
}

}  // namespace
}  // namespace bakewind::test
