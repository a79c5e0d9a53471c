#include "app/docs_routes.hpp"

#include "app/openapi.hpp"
#include "app/route_support.hpp"
#include "http/static_files.hpp"

#include <array>
#include <filesystem>
#include <memory>

namespace bakewind::app {

namespace {

constexpr std::string_view html_type = "text/html; charset=utf-8";

// Swagger UI from the service itself (no CDN: there may be no internet where
// it runs). BaseLayout needs the bundle and the CSS only; validatorUrl null
// keeps it from calling the public validator.
constexpr std::string_view docs_page = R"html(<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>BakeWind API</title>
  <link rel="stylesheet" href="/api/docs/swagger-ui.css">
  <link rel="icon" type="image/png" href="/api/docs/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/api/docs/swagger-ui-bundle.js"></script>
  <script>
    window.addEventListener("load", function () {
      window.ui = SwaggerUIBundle({
        url: "/api/v1/openapi.json",
        dom_id: "#swagger-ui",
        deepLinking: true,
        validatorUrl: null,
        presets: [SwaggerUIBundle.presets.apis],
        layout: "BaseLayout"
      });
    });
  </script>
</body>
</html>
)html";

constexpr std::string_view missing_page = R"html(<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>BakeWind API: docs assets not installed</title>
  <style>body { font-family: sans-serif; max-width: 46rem; margin: 3rem auto; line-height: 1.5; }</style>
</head>
<body>
  <h1>API docs assets are not installed</h1>
  <p>This page renders the API description with swagger-ui-dist, which this
  service serves from <code>node_modules/swagger-ui-dist</code> inside the
  folder <code>WEB_DIR</code> names (by default <code>web/</code> of the
  checkout), and it is not there.</p>
  <p>Install it with <code>scripts/run</code> or <code>scripts/test</code>
  (both run <code>npm ci</code> in <code>web/</code>), or run
  <code>npm ci --no-audit --no-fund</code> in <code>web/</code> yourself,
  then reload this page. No restart is needed.</p>
  <p>The description itself is always here:
  <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.</p>
</body>
</html>
)html";

response page(std::string_view html) {
  response r;
  r.body = std::string(html);
  r.content_type = html_type;
  r.headers.emplace_back("Cache-Control", "no-cache");
  return r;
}

}  // namespace

void add_docs_routes(http::router& routes, const std::string& web_dir) {
  auto assets =
      std::make_shared<http::static_files>(std::filesystem::path(web_dir) / "node_modules" / "swagger-ui-dist");

  routes.add(method::get, "/api/v1/openapi.json", [](request&) -> asio::awaitable<response> {
    response r;
    r.body = std::string(openapi_document());
    r.headers.emplace_back("Cache-Control", "no-cache");
    co_return r;
  });

  routes.add(method::get, "/api/docs", [assets](request&) -> asio::awaitable<response> {
    const std::array<std::string, 1> bundle{"swagger-ui-bundle.js"};
    const std::array<std::string, 1> css{"swagger-ui.css"};
    const bool installed = assets->has(bundle) && assets->has(css);
    co_return page(installed ? docs_page : missing_page);
  });

  routes.add(method::get, "/api/docs/{asset}", [assets](request& req) -> asio::awaitable<response> {
    const std::array<std::string, 1> relative{std::string(req.param("asset"))};
    co_return assets->serve(req, relative);
  });
}

}  // namespace bakewind::app
