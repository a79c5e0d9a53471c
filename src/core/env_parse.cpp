#include "core/env_parse.hpp"

#include "core/error.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/url/parse.hpp>

#include <charconv>

namespace bakewind::core::detail {
namespace {

std::string quoted(std::string_view text) {
  // Values are shown trimmed so that a pasted secret cannot fill the line.
  constexpr std::size_t shown = 64;
  std::string out = "'";
  out.append(text.substr(0, shown));
  if (text.size() > shown) out += "...";
  out += "'";
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

template <class F>
void for_each_item(std::string_view text, F&& f) {
  while (true) {
    const auto comma = text.find(',');
    f(trim(text.substr(0, comma)));
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
}

}  // namespace

std::int64_t parse_int(const char* name, std::string_view text, std::int64_t min, std::int64_t max) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || value < min || value > max) {
    throw config_error(name, "must be an integer from " + std::to_string(min) + " to " + std::to_string(max) +
                                 " (got " + quoted(text) + ")");
  }
  return value;
}

bool parse_bool(const char* name, std::string_view text) {
  if (text == "on" || text == "true" || text == "1" || text == "yes") return true;
  if (text == "off" || text == "false" || text == "0" || text == "no") return false;
  throw config_error(name, "must be on or off (got " + quoted(text) + ")");
}

std::vector<host_port> parse_host_ports(const char* name, std::string_view text) {
  std::vector<host_port> out;
  for_each_item(text, [&](std::string_view item) {
    const auto colon = item.rfind(':');
    if (item.empty() || colon == std::string_view::npos || colon == 0) {
      throw config_error(name, "must be a comma-separated list of host:port (got " + quoted(text) + ")");
    }
    const auto port = parse_int(name, item.substr(colon + 1), 1, 65535);
    out.push_back({std::string(item.substr(0, colon)), static_cast<std::uint16_t>(port)});
  });
  return out;
}

void check_url(const char* name, std::string_view text, std::initializer_list<std::string_view> schemes) {
  std::string expected = "must be a URL with scheme";
  for (auto s : schemes) (expected += ' ') += s;
  const auto url = boost::urls::parse_uri(text);
  if (!url) throw config_error(name, expected + " (not a valid URL)");
  bool scheme_ok = false;
  for (auto s : schemes) scheme_ok = scheme_ok || url->scheme() == s;
  if (!scheme_ok || !url->has_authority() || url->host().empty()) {
    throw config_error(name, expected + " and a host");
  }
  if (url->has_port() && (url->port_number() == 0)) throw config_error(name, "has an invalid port");
}

std::vector<std::string> parse_addresses(const char* name, std::string_view text) {
  std::vector<std::string> out;
  for_each_item(text, [&](std::string_view item) {
    if (item.empty()) return;
    boost::system::error_code ec;
    const auto address = boost::asio::ip::make_address(item, ec);
    if (ec) throw config_error(name, "must be a comma-separated list of IP addresses (got " + quoted(item) + ")");
    out.push_back(address.to_string());
  });
  return out;
}

std::vector<std::string> parse_origins(const char* name, std::string_view text) {
  std::vector<std::string> out;
  for_each_item(text, [&](std::string_view item) {
    if (item.empty()) return;
    const auto url = boost::urls::parse_absolute_uri(item);
    const bool ok = url && (url->scheme() == "http" || url->scheme() == "https") && !url->host().empty() &&
                    url->path().empty() && !url->has_query() && !url->has_fragment() && !url->has_userinfo();
    if (!ok) {
      throw config_error(
          name, "must be a comma-separated list of origins like http://localhost:3000 (got " + quoted(item) + ")");
    }
    out.emplace_back(item);
  });
  return out;
}

}  // namespace bakewind::core::detail
