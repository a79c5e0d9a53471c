#include "http/request.hpp"

#include <array>

namespace bakewind::http {
namespace {

constexpr std::array<std::pair<std::string_view, method>, 7> known = {{
    {"GET", method::get},
    {"HEAD", method::head},
    {"POST", method::post},
    {"PUT", method::put},
    {"PATCH", method::patch},
    {"DELETE", method::del},
    {"OPTIONS", method::options},
}};

}  // namespace

method method_from(std::string_view token) noexcept {
  for (const auto& [name, m] : known) {
    if (name == token) return m;
  }
  return method::other;
}

std::string_view method_name(method m) noexcept {
  for (const auto& [name, value] : known) {
    if (value == m) return name;
  }
  return "OTHER";
}

std::optional<std::string_view> request::query(std::string_view name) const {
  for (const auto& [key, value] : query_params) {
    if (key == name) return std::string_view(value);
  }
  return std::nullopt;
}

std::size_t request::query_count(std::string_view name) const {
  std::size_t n = 0;
  for (const auto& entry : query_params) n += entry.first == name ? 1 : 0;
  return n;
}

std::string_view request::param(std::string_view name) const {
  for (const auto& [key, value] : route_params) {
    if (key == name) return value;
  }
  return {};
}

}  // namespace bakewind::http
