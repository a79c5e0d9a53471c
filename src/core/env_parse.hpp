#pragma once
// Parsers for single configuration values. Each throws config_error naming
// the variable and what it expects; none echoes a value that may be secret.

#include "core/config.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bakewind::core::detail {

/// A decimal integer in [min, max].
std::int64_t parse_int(const char* name, std::string_view text, std::int64_t min, std::int64_t max);

/// "on/off", "true/false", "1/0", "yes/no".
bool parse_bool(const char* name, std::string_view text);

/// "host:port[,host:port...]".
std::vector<host_port> parse_host_ports(const char* name, std::string_view text);

/// A URL whose scheme is one of `schemes` and that names a host.
void check_url(const char* name, std::string_view text, std::initializer_list<std::string_view> schemes);

/// Comma-separated IPv4/IPv6 addresses, in canonical form.
std::vector<std::string> parse_addresses(const char* name, std::string_view text);

/// Comma-separated origins, each scheme://host[:port] with http or https.
std::vector<std::string> parse_origins(const char* name, std::string_view text);

}  // namespace bakewind::core::detail
