#pragma once
// GET /api/v1/openapi.json, GET /api/docs (Swagger UI) and the page's assets
// under /api/docs/{asset} (API.md "Health and metrics").

#include "http/router.hpp"

#include <string>

namespace bakewind::app {

/// Registers the docs routes. The assets are the files of swagger-ui-dist
/// installed by npm in `web_dir`/node_modules (WEB_DIR); without them the
/// page still answers 200 and says how to install them. Each call keeps its
/// own in-memory asset cache, so call it once per event loop.
void add_docs_routes(http::router& routes, const std::string& web_dir);

}  // namespace bakewind::app
