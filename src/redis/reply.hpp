#pragma once
// A RESP2 reply as plain data. Server errors (`-ERR ...`) are replies of kind
// `error`, not failures of the connection (STYLE.md, the Boost.Redis model).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bakewind::redis {

struct reply {
  enum class kind : std::uint8_t { string, status, error, integer, nil, array };

  kind type = kind::nil;
  std::string text;              ///< string, status and error replies
  long long integer = 0;         ///< integer replies
  std::vector<reply> elements;   ///< array replies

  bool is_error() const noexcept { return type == kind::error; }
  bool is_nil() const noexcept { return type == kind::nil; }

  /// The error's first word ("ERR", "WRONGTYPE", "NOSCRIPT", "READONLY"), or "".
  std::string_view error_code() const noexcept;
};

}  // namespace bakewind::redis
