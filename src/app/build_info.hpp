#pragma once
// What this binary was built from (generated at build time; see
// cmake/build_info.cmake), for `bakewind version` and bakewind_build_info.

namespace bakewind::app {

extern const char* const build_version;  ///< the project version, e.g. "0.1.0"
extern const char* const build_commit;   ///< the git commit (12 hex digits), or "unknown" outside a checkout

}  // namespace bakewind::app
