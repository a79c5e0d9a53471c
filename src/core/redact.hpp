#pragma once
// Connection strings fit for a log line: the password (and nothing else) is
// replaced by "***", so an operator still sees which server and user were
// meant.

#include <string>
#include <string_view>

namespace bakewind::core {

/// `url` with its password masked: "redis://user:***@host:6379/0",
/// "postgres://bakewind:***@db:5432/bakewind". Also masks `password=...` in
/// a libpq keyword/value string ("host=db password=***") and in a URL's
/// query (`?password=...`). A text that is neither comes back as
/// "(unparsable)", because it may hold a password we cannot find. Never throws.
std::string redact_url(std::string_view url) noexcept;

}  // namespace bakewind::core
