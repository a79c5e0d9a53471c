#include "core/redact.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

namespace bakewind::core {
namespace {

constexpr std::string_view k_mask = "***";

// libpq's keyword/value form: mask the value of every `password = value`
// (a value is a run of non-spaces, or quoted with '' and backslash escapes).
std::string redact_keywords(std::string_view text) {
  std::string out;
  std::size_t i = 0;
  const auto skip_spaces = [&](std::size_t j) {
    while (j < text.size() && text[j] == ' ') ++j;
    return j;
  };
  while (i < text.size()) {
    const auto word_end = text.find_first_of(" =", i);
    const auto word = text.substr(i, word_end == std::string_view::npos ? std::string_view::npos : word_end - i);
    const auto eq = skip_spaces(i + word.size());
    if (word != "password" || eq >= text.size() || text[eq] != '=') {
      const auto next = text.find(' ', i);
      const auto stop = next == std::string_view::npos ? text.size() : next + 1;
      out.append(text.substr(i, stop - i));
      i = stop;
      continue;
    }
    const auto value = skip_spaces(eq + 1);
    out.append(text.substr(i, value - i)).append(k_mask);
    i = value;
    if (i < text.size() && text[i] == '\'') {
      for (++i; i < text.size() && text[i] != '\''; ++i) {
        if (text[i] == '\\') ++i;
      }
      ++i;  // the closing quote
    } else {
      while (i < text.size() && text[i] != ' ') ++i;
    }
  }
  return out;
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
