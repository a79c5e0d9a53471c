#include "core/json.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace bakewind::core {

std::optional<boost::json::value> parse_json(std::string_view text) noexcept {
  boost::json::parse_options options;
  options.max_depth = 64;
  boost::system::error_code ec;
  try {
    auto v = boost::json::parse(text, ec, {}, options);
    if (ec) return std::nullopt;
    return v;
  } catch (...) {  // allocation failure on absurd input
    return std::nullopt;
  }
}

std::string to_json(const boost::json::value& v) {
  return boost::json::serialize(v);
}

}  // namespace bakewind::core
