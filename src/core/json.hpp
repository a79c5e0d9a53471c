#pragma once
// JSON helpers over Boost.JSON shared by every layer.

#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace bakewind::core {

/// Parses untrusted text: nullopt when it is not one valid JSON document.
/// Nesting is bounded so that hostile input cannot exhaust the stack.
std::optional<boost::json::value> parse_json(std::string_view text) noexcept;

/// Compact serialisation.
std::string to_json(const boost::json::value& v);

}  // namespace bakewind::core
