#include "core/redact.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include <regex>

namespace bakewind::core {
namespace {

constexpr std::string_view k_mask = "***";

// libpq's keyword/value form: mask every password=value (quoted or not).
std::string redact_keywords(std::string_view text) {
  static const std::regex password(R"((password\s*=\s*)('(\\.|[^'])*'|\S+))", std::regex::icase);
  return std::regex_replace(std::string(text), password, "$1***");
}

}  // namespace

std::string redact_url(std::string_view url) noexcept {
  try {
    if (url.find("://") == std::string_view::npos) {
      if (url.find('=') != std::string_view::npos) return redact_keywords(url);
      return url.find_first_of("@:") == std::string_view::npos ? std::string(url) : "(unparsable)";
    }
    auto parsed = boost::urls::parse_uri_reference(url);
    if (!parsed) return "(unparsable)";
    boost::urls::url u(*parsed);
    if (u.has_password()) u.set_password(k_mask);
    // A password in the query (libpq accepts ?password=...) is masked too.
    auto params = u.params();
    for (auto it = params.begin(); it != params.end(); ++it) {
      const auto p = *it;
      if (p.has_value && p.key == "password") it = params.replace(it, {"password", k_mask});
    }
    return std::string(u.buffer());
  } catch (...) {
    return "(unparsable)";
  }
}

}  // namespace bakewind::core
