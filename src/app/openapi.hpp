#pragma once
// The OpenAPI 3.1 description of every route of API.md: docs/openapi.json,
// embedded in the binary at build time (cmake/embed_text.cmake).

#include <string_view>

namespace bakewind::app {

/// The document's JSON text, exactly as in docs/openapi.json. Static storage.
std::string_view openapi_document();

}  // namespace bakewind::app
