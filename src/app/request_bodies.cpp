#include "app/request_bodies.hpp"

#include "app/body.hpp"
#include "auth/base64url.hpp"
#include "core/ids.hpp"
#include "http/response.hpp"

#include <cctype>

namespace bakewind::app {
namespace {

using http::request;

constexpr std::size_t long_token = 8192;
constexpr std::size_t max_name = 200;
constexpr std::size_t max_notes = 2000;
constexpr std::size_t max_items = 100;
constexpr long long max_quantity = 10000;
constexpr long long max_unit_price = 100'000'000;
constexpr std::size_t max_limit = 100;

constexpr std::string_view session_message = "sessionId must be 1 to 128 characters of letters, digits, '_' or '-'";

std::vector<orders::item> items_of(body_fields& body) {
  std::vector<orders::item> items;
  body.objects("items", 1, max_items, [&](body_fields& item, std::size_t) {
    auto product = item.text("product", 1, max_name);
    const auto quantity = item.integer("quantity", 1, max_quantity);
    const auto price = item.integer("unitPriceCents", 0, max_unit_price);
    items.push_back(orders::item{std::move(product), quantity, price});
  });
  return items;
}

std::optional<std::string> status_of(body_fields& body) {
  return body.optional_one_of("status", {"pending", "confirmed", "in_production", "ready", "delivered", "cancelled"});
}

// The fields of a new account, the same whether its owner registers or a
// manager adds it (POST /api/v1/users).
void read_account(body_fields& body, std::string& email, std::string& password, std::string& name) {
  email = body.email("email", 254);
  password = body.text("password", 8, 128);
  name = body.text("name", 1, 100);
}

// A body of one required text field, and nothing else read from it.
std::string read_only_text(const request& req, std::string_view field, std::size_t min, std::size_t max) {
  body_fields body(req);
  auto value = body.text(field, min, max);
  body.finish();
  return value;
}

// A single-valued query parameter; an error when repeated.
std::optional<std::string_view> single_query(const request& req, std::string_view name, boost::json::array& errors) {
  if (req.query_count(name) > 1) {
    errors.emplace_back(std::string(name) + " must be given at most once");
    return std::nullopt;
  }
  return req.query(name);
}

}  // namespace

register_body read_register(const request& req) {
  body_fields body(req);
  register_body out;
  read_account(body, out.email, out.password, out.name);
  out.bakery_name = body.text("bakeryName", 1, 100);
  body.finish();
  return out;
}

login_body read_login(const request& req) {
  body_fields body(req);
  login_body out;
  out.email = body.text("email", 1, 254);
  out.password = body.text("password", 1, 1024);
  body.finish();
  return out;
}

std::string read_refresh_token(const request& req) {
  return read_only_text(req, "refreshToken", 1, long_token);
}

std::optional<std::string> read_optional_refresh_token(const request& req) {
  body_fields body(req);
  // A null is taken as none here: a logout is never refused over it, the
  // access token is revoked either way.
  auto token = body.is_null("refreshToken") ? std::nullopt : body.optional_text("refreshToken", 0, long_token);
  body.finish();
  return token;
}

std::string read_claim_session(const request& req) {
  return read_only_text(req, "sessionId", 0, long_token);
}

new_user_body read_new_user(const request& req) {
  body_fields body(req);
  new_user_body out;
  read_account(body, out.email, out.password, out.name);
  out.role = body.one_of("role", {"admin", "staff"});
  body.finish();
  return out;
}

orders::new_order read_new_order(const request& req) {
  body_fields body(req);
  orders::new_order o;
  o.customer_name = body.text("customerName", 1, max_name);
  o.items = items_of(body);
  o.due_ms = body.nullable_date("dueAt").value;
  o.notes = body.optional_text("notes", 0, max_notes).value_or("");
  body.finish();
  return o;
}

orders::order_changes read_order_changes(const request& req) {
  if (req.json && !req.json->is_object()) throw http::http_error(400, boost::json::array{"body must be an object"});
  body_fields body(req);
  orders::order_changes c;
  c.customer_name = body.optional_text("customerName", 1, max_name);
  if (body.has("items")) c.items = items_of(body);
  c.status = status_of(body);
  const auto due = body.nullable_date("dueAt");
  c.set_due = due.given;
  c.due_ms = due.value;
  c.notes = body.optional_text("notes", 0, max_notes);
  body.finish();
  return c;
}

list_query read_list_query(const request& req) {
  boost::json::array errors;
  list_query q;
  if (const auto status = single_query(req, "status", errors)) {
    if (orders::is_status(*status)) {
      q.status.emplace(*status);
    } else {
      errors.emplace_back(
          "status must be one of the following values: pending, confirmed, in_production, ready, delivered, "
          "cancelled");
    }
  }
  if (const auto limit = single_query(req, "limit", errors)) {
    std::size_t value = 0;
    bool ok = !limit->empty() && limit->size() <= 3;
    for (const char c : *limit) {
      ok = ok && c >= '0' && c <= '9';
      if (ok) value = value * 10 + static_cast<std::size_t>(c - '0');
    }
    if (ok && value >= 1 && value <= max_limit) {
      q.limit = value;
    } else {
      errors.emplace_back("limit must be an integer from 1 to 100");
    }
  }
  if (const auto cursor = single_query(req, "cursor", errors)) {
    q.after = decode_cursor(*cursor);
    if (!q.after) errors.emplace_back("cursor is not valid");
  }
  if (!errors.empty()) throw http::http_error(400, std::move(errors));
  return q;
}

std::string read_lock_session(const request& req) {
  if (req.json && req.json->is_object()) {
    const auto* v = req.json->as_object().if_contains("sessionId");
    if (v != nullptr && v->is_string()) return valid_session_id(std::string_view(v->get_string()));
  }
  throw http::http_error(400, boost::json::array{session_message});
}

std::string valid_session_id(const std::optional<std::string_view>& value) {
  bool ok = value && !value->empty() && value->size() <= 128;
  if (ok) {
    for (const char c : *value) {
      ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-');
    }
  }
  if (!ok) throw http::http_error(400, boost::json::array{session_message});
  return std::string(*value);
}

std::string encode_cursor(const orders::page_position& p) {
  return auth::base64url_encode(std::to_string(p.created_ms) + "|" + p.id);
}

std::optional<orders::page_position> decode_cursor(std::string_view cursor) {
  if (cursor.empty() || cursor.size() > 128) return std::nullopt;
  const auto text = auth::base64url_decode(cursor);
  if (!text) return std::nullopt;
  const auto bar = text->find('|');
  if (bar == std::string::npos || bar == 0 || bar > 16) return std::nullopt;
  long long ms = 0;
  for (std::size_t i = 0; i < bar; ++i) {
    const char c = (*text)[i];
    if (c < '0' || c > '9') return std::nullopt;
    ms = ms * 10 + (c - '0');
  }
  // Years up to 9999 only: every cursor stays a valid timestamp.
  constexpr long long last_ms = 253402300799999LL;
  const auto id = std::string_view(*text).substr(bar + 1);
  if (ms > last_ms || !core::is_uuid(id)) return std::nullopt;
  orders::page_position p{ms, std::string(id)};
  for (auto& c : p.id) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return p;
}

}  // namespace bakewind::app
