#include "app/body.hpp"

#include "http/response.hpp"

namespace bakewind::app {

body_fields::body_fields(const http::request& req) : object_(&empty_) {
  if (req.json && req.json->is_object()) object_ = &req.json->as_object();
}

const boost::json::value* body_fields::field(std::string_view name) const {
  const auto* v = object_->if_contains(name);
  return v != nullptr && !v->is_null() ? v : nullptr;
}

std::optional<std::string> body_fields::optional_text(std::string_view name, std::size_t min, std::size_t max) {
  if (field(name) == nullptr) return std::nullopt;
  return text(name, min, max);
}

std::string body_fields::text(std::string_view name, std::size_t min, std::size_t max) {
  const std::string n(name);
  const auto* v = field(name);
  if (v == nullptr || !v->is_string()) {
    fail(n + " must be a string");
    if (min > 0) fail(n + " should not be empty");
    return {};
  }
  std::string value(v->get_string());
  const auto length = text_length(value);
  if (min > 0 && length == 0) {
    fail(n + " should not be empty");
  } else if (length < min) {
    fail(n + " must be longer than or equal to " + std::to_string(min) + " characters");
  }
  if (length > max) fail(n + " must be shorter than or equal to " + std::to_string(max) + " characters");
  return value;
}

std::string body_fields::email(std::string_view name, std::size_t max) {
  const std::string n(name);
  const auto* v = field(name);
  if (v == nullptr || !v->is_string()) {
    fail(n + " must be an email");
    return {};
  }
  std::string value(v->get_string());
  if (text_length(value) > max) fail(n + " must be shorter than or equal to " + std::to_string(max) + " characters");
  if (!is_email(value)) fail(n + " must be an email");
  return value;
}

std::string body_fields::one_of(std::string_view name, std::initializer_list<std::string_view> allowed) {
  const std::string n(name);
  const auto* v = field(name);
  if (v != nullptr && v->is_string()) {
    for (const auto a : allowed) {
      if (v->get_string() == a) return std::string(a);
    }
  }
  std::string list;
  for (const auto a : allowed) {
    if (!list.empty()) list += ", ";
    list += a;
  }
  fail(n + " must be one of the following values: " + list);
  return {};
}

void body_fields::finish() const {
  if (!messages_.empty()) throw http::http_error(400, messages_);
}

bool is_email(std::string_view text) noexcept {
  const auto at = text.find('@');
  if (at == std::string_view::npos || at == 0 || at != text.rfind('@') || text.size() > 320) return false;
  const auto local = text.substr(0, at);
  const auto domain = text.substr(at + 1);
  if (local.size() > 64 || domain.size() < 3) return false;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7F || c == '(' || c == ')' || c == ',' || c == ';' || c == ':' || c == '<' || c == '>' ||
        c == '[' || c == ']' || c == '\\' || c == '"') {
      return false;
    }
  }
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos) return false;
  const auto dot = domain.rfind('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 2 > domain.size()) return false;
  if (domain.front() == '.' || domain.front() == '-' || domain.find("..") != std::string_view::npos) return false;
  const auto tld = domain.substr(dot + 1);
  for (const char c : tld) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return tld.size() >= 2;
}

std::size_t text_length(std::string_view utf8) noexcept {
  std::size_t n = 0;
  for (const char c : utf8) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

}  // namespace bakewind::app
