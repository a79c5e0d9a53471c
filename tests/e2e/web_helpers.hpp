#pragma once
// Checks shared by the tests of what the service serves as files: the web
// apps (web_test) and the API docs page (docs_test).

#include "core/json.hpp"
#include "support/http_client.hpp"

#include <gtest/gtest.h>

#include <string>

namespace bakewind::test {

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

/// `r` is NestJS's 404 for `GET path`: {"statusCode": 404, "message":
/// "Cannot GET <path>", "error": "Not Found"}.
inline void expect_nest_404(const http_reply& r, const std::string& path) {
  EXPECT_EQ(r.status, 404) << path << " " << r.body;
  const auto body = core::parse_json(r.body);
  ASSERT_TRUE(body && body->is_object()) << path << " " << r.body;
  EXPECT_EQ(body->as_object().at("statusCode"), 404) << r.body;
  EXPECT_EQ(body->as_object().at("error"), "Not Found") << r.body;
  EXPECT_EQ(body->as_object().at("message"), boost::json::value("Cannot GET " + path)) << r.body;
}

}  // namespace bakewind::test
