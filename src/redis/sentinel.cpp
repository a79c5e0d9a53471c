#include "redis/sentinel.hpp"

#include "redis/resp.hpp"

#include <charconv>

namespace bakewind::redis {
namespace {

std::optional<std::uint16_t> parse_port(std::string_view text) {
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value == 0 || value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

}  // namespace

options sentinel_options(const options& data, const server_address& where) {
  options o = data;
  o.host = where.host;
  o.port = where.port;
  o.username = data.sentinel_username;
  o.password = data.sentinel_password;
  o.database = 0;
  o.connect_timeout = data.sentinel_timeout;
  o.command_timeout = data.sentinel_timeout;
  o.sentinels.clear();
  return o;
}

std::pair<std::string, std::size_t> lookup_commands(const options& sentinel) {
  std::string out;
  std::size_t count = 0;
  if (!sentinel.password.empty()) {
    if (sentinel.username.empty()) {
      append_command(out, {"AUTH", sentinel.password});
    } else {
      append_command(out, {"AUTH", sentinel.username, sentinel.password});
    }
    ++count;
  }
  if (!sentinel.client_name.empty()) {
    append_command(out, {"CLIENT", "SETNAME", sentinel.client_name});
    ++count;
  }
  append_command(out, {"SENTINEL", "get-master-addr-by-name", sentinel.sentinel_master});
  ++count;
  return {std::move(out), count};
}

master_lookup read_lookup(const std::vector<reply>& replies, const options& sentinel) {
  const auto [commands, count] = lookup_commands(sentinel);
  if (replies.size() < count) return {std::nullopt, "Sentinel sent too few replies"};
  if (!sentinel.password.empty() && replies.front().is_error()) {
    return {std::nullopt, "Sentinel authentication failed (" + std::string(replies.front().error_code()) +
                              "): check REDIS_SENTINEL_PASSWORD"};
  }
  // CLIENT SETNAME only names us in CLIENT LIST: its failure does not matter.
  const reply& answer = replies[count - 1];
  if (answer.is_error()) {
    const auto code = answer.error_code();
    if (code == "NOAUTH") return {std::nullopt, "Sentinel requires a password (NOAUTH): set REDIS_SENTINEL_PASSWORD"};
    return {std::nullopt, "Sentinel refused the lookup (" + std::string(code) + ")"};
  }
  if (answer.is_nil()) return {std::nullopt, "Sentinel does not know master '" + sentinel.sentinel_master + "'"};
  auto address = parse_master_address(answer);
  if (!address) return {std::nullopt, "Sentinel gave a malformed master address"};
  return {std::move(address), {}};
}

std::optional<server_address> parse_master_address(const reply& r) {
  if (r.type != reply::kind::array || r.elements.size() != 2) return std::nullopt;
  const auto& host = r.elements[0];
  const auto& port = r.elements[1];
  if (host.type != reply::kind::string || host.text.empty() || port.type != reply::kind::string) return std::nullopt;
  const auto number = parse_port(port.text);
  if (!number) return std::nullopt;
  return server_address{host.text, *number};
}

std::string role_failure(const reply& r) {
  if (r.is_error()) {
    if (r.error_code() == "NOPERM") return {};
    return "ROLE failed (" + std::string(r.error_code()) + ")";
  }
  if (r.type != reply::kind::array || r.elements.empty() || r.elements[0].type != reply::kind::string) {
    return "ROLE gave a malformed reply";
  }
  const auto& role = r.elements[0].text;
  if (role == "master") return {};
  return "ROLE is " + role + ", not master";
}

std::optional<master_switch> parse_switch_master(std::string_view message) {
  std::vector<std::string_view> words;
  while (!message.empty()) {
    const auto space = message.find(' ');
    const auto word = message.substr(0, space);
    if (word.empty()) return std::nullopt;  // doubled or trailing spaces: not what Sentinel sends
    words.push_back(word);
    if (space == std::string_view::npos) break;
    message.remove_prefix(space + 1);
    if (message.empty()) return std::nullopt;
  }
  if (words.size() != 5) return std::nullopt;
  const auto from_port = parse_port(words[2]);
  const auto to_port = parse_port(words[4]);
  if (!from_port || !to_port) return std::nullopt;
  return master_switch{std::string(words[0]), {std::string(words[1]), *from_port}, {std::string(words[3]), *to_port}};
}

}  // namespace bakewind::redis
