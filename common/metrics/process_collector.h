// Prometheus' standard process_* metrics for the running process, read from /proc.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace berth::metrics {

struct ProcessStats {
  double cpu_seconds = 0;
  double resident_bytes = 0;
  double virtual_bytes = 0;
  double start_time_seconds = 0;  // since the Unix epoch
  double open_fds = 0;
  double max_fds = 0;
};

// Parses /proc/<pid>/stat text; `boot_time` is /proc/stat's btime.
absl::StatusOr<ProcessStats> ParseProcStat(const std::string& stat_text, double boot_time,
                                           long ticks_per_second, long page_size);

absl::StatusOr<ProcessStats> ReadSelfProcessStats();

class ProcessCollector : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override;
};

}  // namespace berth::metrics
