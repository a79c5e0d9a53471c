#pragma once
// The standard process_* families (as Prometheus client libraries name
// them), read from /proc/self at scrape time: resident memory, open file
// descriptors, CPU seconds, start time.

#include "observability/registry.hpp"

namespace bakewind::observability {

/// Adds process_resident_memory_bytes, process_open_fds,
/// process_cpu_seconds_total and process_start_time_seconds to `to`.
void register_process_metrics(registry& to);

}  // namespace bakewind::observability
