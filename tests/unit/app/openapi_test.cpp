// The embedded OpenAPI document (docs/openapi.json): a valid 3.1 document
// whose paths are exactly the routes the service registers.

#include "app/openapi.hpp"
#include "app/event_loop.hpp"
#include "core/json.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <set>

namespace bakewind::app {
namespace {

namespace json = boost::json;

const json::object& document() {
  static const json::value parsed = [] {
    auto v = core::parse_json(openapi_document());
    if (!v || !v->is_object()) throw std::runtime_error("docs/openapi.json is not a JSON object");
    return std::move(*v);
  }();
  return parsed.as_object();
}

std::string str(json::string_view s) {
  return std::string(s.data(), s.size());
}

std::string text(const json::value& v) {
  return str(v.as_string());
}

// The value a local reference ("#/components/schemas/User") points at, or null.
const json::value* resolve(const std::string& ref) {
  if (ref.rfind("#/", 0) != 0) return nullptr;
  static const json::value root = document();
  const json::value* at = &root;
  std::size_t start = 2;
  while (at != nullptr && start <= ref.size()) {
    const auto end = std::min(ref.find('/', start), ref.size());
    std::string token = ref.substr(start, end - start);
    for (std::size_t p = 0; (p = token.find('~', p)) != std::string::npos; ++p) {
      token.replace(p, 2, token.compare(p, 2, "~1") == 0 ? "/" : "~");
    }
    at = at->is_object() ? at->as_object().if_contains(token) : nullptr;
    start = end + 1;
  }
  return at;
}

// Follows a Reference Object to what it names (responses, parameters).
const json::object& deref(const json::value& v) {
  const auto* ref = v.as_object().if_contains("$ref");
  if (ref == nullptr) return v.as_object();
  const auto* target = resolve(text(*ref));
  if (target == nullptr) throw std::runtime_error("unresolved " + text(*ref));
  return target->as_object();
}

void each_ref(const json::value& v, const std::function<void(const std::string&)>& f) {
  if (v.is_object()) {
    for (const auto& [key, child] : v.as_object()) {
      if (key == "$ref" && child.is_string()) f(text(child));
      each_ref(child, f);
    }
  } else if (v.is_array()) {
    for (const auto& child : v.as_array()) each_ref(child, f);
  }
}

constexpr std::string_view http_methods[] = {"get", "put", "post", "delete", "options", "head", "patch", "trace"};

struct operation {
  std::string path;
  std::string verb;
  const json::object* body;
};

std::vector<operation> operations() {
  std::vector<operation> out;
  for (const auto& [path, item] : document().at("paths").as_object()) {
    for (const auto& [verb, op] : item.as_object()) {
      const auto name = str(verb);
      if (std::find(std::begin(http_methods), std::end(http_methods), name) == std::end(http_methods)) continue;
      out.push_back({str(path), name, &op.as_object()});
    }
  }
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

TEST(openapi, document_is_openapi_3_1) {
  EXPECT_EQ(text(document().at("openapi")).rfind("3.1.", 0), 0u) << document().at("openapi");
  EXPECT_FALSE(text(document().at("info").at("title")).empty());
  EXPECT_FALSE(text(document().at("info").at("version")).empty());
}

TEST(openapi, every_ref_resolves) {
  std::size_t count = 0;
  each_ref(document(), [&](const std::string& ref) {
    ++count;
    EXPECT_NE(resolve(ref), nullptr) << ref;
  });
  EXPECT_GT(count, 50u);
}

TEST(openapi, every_operation_has_an_operation_id_and_a_success_response) {
  std::set<std::string> ids;
  for (const auto& op : operations()) {
    const auto where = op.verb + " " + op.path;
    const auto* id = op.body->if_contains("operationId");
    ASSERT_TRUE(id != nullptr && id->is_string() && !id->as_string().empty()) << where;
    EXPECT_TRUE(ids.insert(text(*id)).second) << "operationId used twice: " << *id;
    bool success = false;
    for (const auto& [code, response] : op.body->at("responses").as_object()) {
      const char first = code.empty() ? ' ' : code.front();
      success = success || first == '1' || first == '2';  // 101: the WebSocket upgrade
    }
    EXPECT_TRUE(success) << where;
  }
  EXPECT_GE(ids.size(), 28u);
}

TEST(openapi, errors_use_the_shared_nest_error_schemas) {
  const std::set<std::string> shared = {"#/components/schemas/Error", "#/components/schemas/LockConflictError"};
  for (const auto& op : operations()) {
    for (const auto& [code, response] : op.body->at("responses").as_object()) {
      if (code.front() != '4' && code.front() != '5') continue;
      const auto where = op.verb + " " + op.path + " " + str(code);
      const auto& resolved = deref(response);
      const auto* content = resolved.if_contains("content");
      ASSERT_NE(content, nullptr) << where;
      const auto& schema = content->at("application/json").at("schema").as_object();
      ASSERT_TRUE(schema.contains("$ref")) << where;
      // A health probe's 503 carries its report, the body of its 200.
      const auto* ok = op.body->at("responses").as_object().if_contains("200");
      const auto* ok_schema = ok != nullptr ? deref(*ok).if_contains("content") : nullptr;
      ok_schema = ok_schema != nullptr ? ok_schema->as_object().if_contains("application/json") : nullptr;
      if (ok_schema != nullptr && ok_schema->at("schema") == schema) continue;
      EXPECT_TRUE(shared.contains(text(schema.at("$ref")))) << where;
    }
  }
  const auto& message = document().at("components").at("schemas").at("Error").at("properties").at("message");
  EXPECT_EQ(message.at("oneOf").as_array().size(), 2u);  // a string, or an array of strings (400)
  const auto& required = document().at("components").at("schemas").at("Error").at("required").as_array();
  for (const char* field : {"statusCode", "message", "error"}) {
    EXPECT_NE(std::find(required.begin(), required.end(), json::value(field)), required.end()) << field;
  }
}

TEST(openapi, authenticated_operations_use_bearer_jwt_and_document_401) {
  const auto& scheme = document().at("components").at("securitySchemes").at("bearerAuth").as_object();
  EXPECT_EQ(scheme.at("type"), "http");
  EXPECT_EQ(scheme.at("scheme"), "bearer");
  EXPECT_EQ(scheme.at("bearerFormat"), "JWT");
  std::size_t authenticated = 0;
  for (const auto& op : operations()) {
    const auto* security = op.body->if_contains("security");
    ASSERT_NE(security, nullptr) << op.verb << " " << op.path << ": say who may call it";
    bool bearer = false;
    for (const auto& requirement : security->as_array())
      bearer = bearer || requirement.as_object().contains("bearerAuth");
    if (!bearer) continue;
    ++authenticated;
    EXPECT_TRUE(op.body->at("responses").as_object().contains("401")) << op.verb << " " << op.path;
  }
  EXPECT_EQ(authenticated, 17u);  // every auth'd route of API.md, the WebSocket included
}

TEST(openapi, rate_limited_routes_document_429_with_retry_after) {
  const auto& too_many = document().at("components").at("responses").at("TooManyRequests").as_object();
  EXPECT_TRUE(too_many.at("headers").as_object().contains("Retry-After"));
  for (const char* path : {"/api/v1/auth/login", "/api/v1/auth/register", "/api/v1/auth/transfer/claim"}) {
    const auto& responses = document().at("paths").at(path).at("post").at("responses").as_object();
    ASSERT_TRUE(responses.contains("429")) << path;
    EXPECT_EQ(responses.at("429").at("$ref"), "#/components/responses/TooManyRequests") << path;
  }
}

TEST(openapi, every_route_is_documented_and_every_documented_route_is_routed) {
  process_services shared(core::load_config([](const char*) -> std::optional<std::string> { return std::nullopt; }));
  event_loop loop(shared, 1);  // connects nothing

  std::set<std::string> routed;
  for (const auto& [pattern, verbs] : loop.routes.table()) {
    for (const auto verb : verbs) routed.insert(lower(http::method_name(verb)) + " " + pattern);
  }
  std::set<std::string> documented;
  for (const auto& op : operations()) documented.insert(op.verb + " " + op.path);

  for (const auto& route : routed) EXPECT_TRUE(documented.contains(route)) << "not in docs/openapi.json: " << route;
  for (const auto& entry : documented) {
    EXPECT_TRUE(routed.contains(entry)) << "documented but not routed: " << entry;
  }
  EXPECT_TRUE(routed.contains("get /api/v1/ws"));  // the WebSocket route is in the table too
  EXPECT_TRUE(routed.contains("get /api/v1/openapi.json"));
  EXPECT_TRUE(routed.contains("get /api/docs"));
}

TEST(openapi, path_parameters_match_the_template_and_ids_are_uuids) {
  for (const auto& [key, item] : document().at("paths").as_object()) {
    const std::string path = str(key);
    std::set<std::string> in_template;
    for (std::size_t open = path.find('{'); open != std::string::npos; open = path.find('{', open + 1)) {
      in_template.insert(path.substr(open + 1, path.find('}', open) - open - 1));
    }
    for (const auto& [verb, op] : item.as_object()) {
      if (verb == "parameters") continue;
      std::set<std::string> declared;
      std::vector<const json::value*> params;
      if (const auto* shared = item.as_object().if_contains("parameters")) {
        for (const auto& p : shared->as_array()) params.push_back(&p);
      }
      if (const auto* own = op.as_object().if_contains("parameters")) {
        for (const auto& p : own->as_array()) params.push_back(&p);
      }
      for (const auto* p : params) {
        const auto& param = deref(*p);
        if (param.at("in") != "path") continue;
        declared.insert(text(param.at("name")));
        EXPECT_EQ(param.at("required"), true) << path;
        if (param.at("name") == "id") {
          EXPECT_EQ(param.at("schema").at("format"), "uuid") << path;
        }
      }
      EXPECT_EQ(declared, in_template) << str(verb) << " " << path;
    }
  }
}

}  // namespace
}  // namespace bakewind::app
