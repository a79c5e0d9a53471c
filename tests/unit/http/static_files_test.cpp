#include "http/static_files.hpp"

#include "core/json.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <map>

namespace bakewind::http {
namespace {

namespace fs = std::filesystem;
using segments = std::vector<std::string>;

void write(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary) << text;
}

// A GET as the server builds it, with optional headers.
struct fake_get {
  explicit fake_get(std::string target, std::map<std::string, std::string> headers = {}) : fields(std::move(headers)) {
    req.verb = method::get;
    req.verb_text = "GET";
    req.target = std::move(target);
    req.bind_headers(&fields, [](const void* m, std::string_view name) -> std::optional<std::string_view> {
      const auto& all = *static_cast<const std::map<std::string, std::string>*>(m);
      const auto it = all.find(std::string(name));
      if (it == all.end()) return std::nullopt;
      return std::string_view(it->second);
    });
  }
  std::map<std::string, std::string> fields;
  request req;
};

std::string header_of(const response& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return {};
}

// root/ holds the served files; outside/ sits beside it and must never be reached.
class static_files_test : public ::testing::Test {
 protected:
  static_files_test() {
    write(root() / "app.js", "console.log('app');");
    write(root() / "style.css", "body{}");
    write(root() / "sub" / "inner.css", "p{}");
    write(root() / ".env.js", "secret");
    write(root() / "notes.md", "# not served");
    write(dir.path() / "outside" / "secret.js", "outside");
    write(dir.path() / "outside" / "package.json", "{}");
    fs::create_directories(root() / "folder.js");
    fs::create_symlink(dir.path() / "outside" / "secret.js", root() / "escape.js");
    fs::create_symlink(dir.path() / "outside", root() / "linked");
    fs::create_symlink(root() / "app.js", root() / "alias.js");
  }

  fs::path root() const { return dir.path() / "root"; }

  response get(const segments& relative, std::string target = "/assets/x") {
    fake_get g(std::move(target));
    return files.serve(g.req, relative);
  }

  test::temp_dir dir{"bakewind-static"};
  static_files files{dir.path() / "root"};
};

void expect_nest_404(const response& r, const std::string& target) {
  EXPECT_EQ(r.status, 404u);
  const auto body = core::parse_json(r.body);
  ASSERT_TRUE(body && body->is_object()) << r.body;
  EXPECT_EQ(body->as_object().at("statusCode"), 404);
  EXPECT_EQ(body->as_object().at("error"), "Not Found");
  EXPECT_EQ(body->as_object().at("message"), boost::json::value("Cannot GET " + target));
}

TEST_F(static_files_test, serves_a_file_with_its_type_etag_and_cache_control) {
  const auto r = get({"app.js"});
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body, "console.log('app');");
  EXPECT_EQ(r.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(r.content_type.find("text/javascript"), 0u);
  const auto etag = header_of(r, "ETag");
  ASSERT_EQ(etag.size(), 18u) << etag;
  EXPECT_EQ(etag.front(), '"');
  EXPECT_EQ(header_of(r, "Cache-Control"), "public, max-age=3600");
  EXPECT_EQ(header_of(r, "X-Content-Type-Options"), "nosniff");
}

TEST_F(static_files_test, serves_files_in_sub_folders) {
  const auto r = get({"sub", "inner.css"});
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body, "p{}");
  EXPECT_EQ(r.content_type, "text/css; charset=utf-8");
}

TEST_F(static_files_test, content_type_follows_the_extension_in_any_case) {
  EXPECT_EQ(static_content_type("index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(static_content_type("a.css"), "text/css; charset=utf-8");
  EXPECT_EQ(static_content_type("a.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(static_content_type("a.mjs"), "text/javascript; charset=utf-8");
  EXPECT_EQ(static_content_type("a.json"), "application/json; charset=utf-8");
  EXPECT_EQ(static_content_type("a.js.map"), "application/json; charset=utf-8");
  EXPECT_EQ(static_content_type("logo.svg"), "image/svg+xml");
  EXPECT_EQ(static_content_type("logo.PNG"), "image/png");
  EXPECT_EQ(static_content_type("favicon.ico"), "image/x-icon");
  EXPECT_EQ(static_content_type("font.woff2"), "font/woff2");
  EXPECT_EQ(static_content_type("notes.md"), "");
  EXPECT_EQ(static_content_type("Makefile"), "");
}

TEST_F(static_files_test, traversal_attempts_are_404) {
  // Segments arrive decoded: "%2e%2e" is "..", "%2f" puts a slash inside one.
  for (const segments& attempt : std::vector<segments>{{"..", "outside", "secret.js"},
                                                       {"sub", "..", "..", "outside", "secret.js"},
                                                       {"../outside/secret.js"},
                                                       {"..\\outside\\secret.js"},
                                                       {"/etc/passwd"},
                                                       {dir.path().string() + "/outside/secret.js"},
                                                       {".", "app.js"},
                                                       {"", "app.js"},
                                                       {std::string("app.js\0.png", 11)},
                                                       {}}) {
    std::string shown;
    for (const auto& s : attempt) shown += "[" + s + "]";
    expect_nest_404(get(attempt, "/assets/attempt"), "/assets/attempt");
    EXPECT_FALSE(files.has(attempt)) << shown;
  }
  EXPECT_FALSE(is_safe_relative_path(segments{".."}));
  EXPECT_TRUE(is_safe_relative_path(segments{"sub", "inner.css"}));
}

TEST_F(static_files_test, symlinks_out_of_the_root_are_404_and_inside_it_are_served) {
  expect_nest_404(get({"escape.js"}, "/assets/escape.js"), "/assets/escape.js");
  expect_nest_404(get({"linked", "secret.js"}, "/assets/linked/secret.js"), "/assets/linked/secret.js");
  const auto inside = get({"alias.js"});
  EXPECT_EQ(inside.status, 200u);
  EXPECT_EQ(inside.body, "console.log('app');");
}

TEST_F(static_files_test, missing_hidden_unknown_type_and_folders_are_404_in_nest_shape) {
  expect_nest_404(get({"missing.js"}, "/api/docs/missing.js"), "/api/docs/missing.js");
  expect_nest_404(get({".env.js"}, "/x/.env.js"), "/x/.env.js");
  expect_nest_404(get({"notes.md"}, "/x/notes.md"), "/x/notes.md");
  expect_nest_404(get({"folder.js"}, "/x/folder.js"), "/x/folder.js");
}

TEST_F(static_files_test, a_missing_root_is_404_until_the_files_appear) {
  static_files later(dir.path() / "not-yet");
  fake_get g("/later/app.js");
  expect_nest_404(later.serve(g.req, segments{"app.js"}), "/later/app.js");
  write(dir.path() / "not-yet" / "app.js", "late");
  const auto r = later.serve(g.req, segments{"app.js"});
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body, "late");
}

TEST_F(static_files_test, files_over_the_size_limit_are_not_served) {
  static_files small(root(), static_options{.cache_control = "no-cache", .max_file_bytes = 8});
  fake_get g("/x");
  EXPECT_EQ(small.serve(g.req, segments{"app.js"}).status, 404u);
  const auto r = small.serve(g.req, segments{"style.css"});
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(header_of(r, "Cache-Control"), "no-cache");
}

TEST_F(static_files_test, if_none_match_with_the_current_etag_is_304_without_body) {
  const auto etag = header_of(get({"style.css"}), "ETag");
  for (const std::string& sent : {etag, "W/" + etag, "\"other\", " + etag, std::string("*")}) {
    fake_get g("/x/style.css", {{"If-None-Match", sent}});
    const auto r = files.serve(g.req, segments{"style.css"});
    EXPECT_EQ(r.status, 304u) << sent;
    EXPECT_TRUE(r.body.empty());
    EXPECT_EQ(header_of(r, "ETag"), etag);
  }
  fake_get stale("/x/style.css", {{"If-None-Match", "\"0000000000000000\""}});
  EXPECT_EQ(files.serve(stale.req, segments{"style.css"}).status, 200u);
}

TEST_F(static_files_test, a_file_is_read_once_and_then_served_from_memory) {
  EXPECT_EQ(get({"style.css"}).body, "body{}");
  write(root() / "style.css", "changed");
  EXPECT_EQ(get({"style.css"}).body, "body{}");
}

}  // namespace
}  // namespace bakewind::http
