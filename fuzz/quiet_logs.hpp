#pragma once
// Logging for the fuzz targets: every line is still built (the access log and
// error lines are part of the code under test) but written nowhere.

#include "core/log.hpp"

#include <fcntl.h>

namespace bakewind::fuzz {

/// Sets up JSON logging at `info` into /dev/null. Call from LLVMFuzzerInitialize.
inline void quiet_logs() {
  core::init_logging(core::log_level::info, core::log_format::json, ::open("/dev/null", O_WRONLY | O_CLOEXEC));
}

}  // namespace bakewind::fuzz
