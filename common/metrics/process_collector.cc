#include "common/metrics/process_collector.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/file_text.h"
#include "common/status_macros.h"

namespace berth::metrics {
namespace {

absl::StatusOr<double> BootTime() {
  BERTH_ASSIGN_OR_RETURN(std::string stat, ReadFileText("/proc/stat"));
  for (absl::string_view line : absl::StrSplit(stat, '\n')) {
    double value = 0;
    if (absl::ConsumePrefix(&line, "btime ") && absl::SimpleAtod(line, &value)) return value;
  }
  return absl::NotFoundError("no btime in /proc/stat");
}

double CountOpenFds() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return 0;
  double count = 0;
  while (dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  ::closedir(dir);
  return count - 1;  // the directory stream's own fd
}

prometheus::MetricFamily Single(const std::string& name, const std::string& help,
                                prometheus::MetricType type, double value) {
  prometheus::ClientMetric metric;
  if (type == prometheus::MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  return prometheus::MetricFamily{name, help, type, {metric}};
}

}  // namespace

absl::StatusOr<ProcessStats> ParseProcStat(const std::string& stat_text, double boot_time,
                                           long ticks_per_second, long page_size) {
  // The command name (field 2) may hold spaces and parentheses: fields resume after the last ')'.
  size_t close = stat_text.rfind(')');
  if (close == std::string::npos) return absl::InvalidArgumentError("malformed /proc stat");
  std::vector<absl::string_view> fields =
      absl::StrSplit(absl::string_view(stat_text).substr(close + 2), ' ', absl::SkipEmpty());
  // fields[0] is field 3 (state); utime is 14, stime 15, starttime 22, vsize 23, rss 24.
  auto field = [&](int number, double* out) {
    size_t index = static_cast<size_t>(number - 3);
    return index < fields.size() && absl::SimpleAtod(fields[index], out);
  };
  double utime, stime, start, vsize, rss;
  if (!field(14, &utime) || !field(15, &stime) || !field(22, &start) || !field(23, &vsize) ||
      !field(24, &rss)) {
    return absl::InvalidArgumentError("malformed /proc stat: too few fields");
  }
  ProcessStats stats;
  stats.cpu_seconds = (utime + stime) / static_cast<double>(ticks_per_second);
  stats.start_time_seconds = boot_time + start / static_cast<double>(ticks_per_second);
  stats.virtual_bytes = vsize;
  stats.resident_bytes = rss * static_cast<double>(page_size);
  return stats;
}

absl::StatusOr<ProcessStats> ReadSelfProcessStats() {
  BERTH_ASSIGN_OR_RETURN(std::string stat, ReadFileText("/proc/self/stat"));
  BERTH_ASSIGN_OR_RETURN(double boot_time, BootTime());
  BERTH_ASSIGN_OR_RETURN(ProcessStats stats, ParseProcStat(stat, boot_time, ::sysconf(_SC_CLK_TCK),
                                                           ::sysconf(_SC_PAGESIZE)));
  stats.open_fds = CountOpenFds();
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) stats.max_fds = static_cast<double>(limit.rlim_cur);
  return stats;
}

std::vector<prometheus::MetricFamily> ProcessCollector::Collect() const {
  auto stats = ReadSelfProcessStats();
  if (!stats.ok()) return {};
  using prometheus::MetricType;
  return {
      Single("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
             MetricType::Counter, stats->cpu_seconds),
      Single("process_resident_memory_bytes", "Resident memory size in bytes.", MetricType::Gauge,
             stats->resident_bytes),
      Single("process_virtual_memory_bytes", "Virtual memory size in bytes.", MetricType::Gauge,
             stats->virtual_bytes),
      Single("process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
             MetricType::Gauge, stats->start_time_seconds),
      Single("process_open_fds", "Number of open file descriptors.", MetricType::Gauge,
             stats->open_fds),
      Single("process_max_fds", "Maximum number of open file descriptors.", MetricType::Gauge,
             stats->max_fds),
  };
}

}  // namespace berth::metrics
