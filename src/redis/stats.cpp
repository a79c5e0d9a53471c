#include "redis/stats.hpp"

#include <algorithm>

namespace bakewind::redis {

std::size_t command_slot(std::string_view encoded) noexcept {
  const std::size_t other = timed_commands.size() - 1;
  // Skip "*N\r\n$L\r\n" to the first argument.
  const auto dollar = encoded.find('$');
  if (dollar == std::string_view::npos) return other;
  const auto start = encoded.find('\n', dollar);
  if (start == std::string_view::npos) return other;
  const auto end = encoded.find('\r', start + 1);
  if (end == std::string_view::npos) return other;
  const auto name = encoded.substr(start + 1, end - start - 1);
  if (name.empty() || name.size() > 16) return other;
  char lower[16];
  std::transform(name.begin(), name.end(), lower,
                 [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c | 0x20) : c; });
  const std::string_view wanted(lower, name.size());
  const auto* it = std::find(timed_commands.begin(), timed_commands.end() - 1, wanted);
  return static_cast<std::size_t>(it - timed_commands.begin());  // the last entry ("other") when not found
}

}  // namespace bakewind::redis
