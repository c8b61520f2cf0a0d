#include "ctl/stats_format.h"

#include <cstdio>
#include <iterator>

#include "absl/strings/str_split.h"
#include "ctl/output_format.h"

namespace berth::ctl {
namespace {

const std::vector<std::pair<std::string, std::string>> kStatsHeaders = {
    {"Container", "CONTAINER"},
    {"ID", "CONTAINER ID"},
    {"Name", "NAME"},
    {"CPUPerc", "CPU %"},
    {"MemUsage", "MEM USAGE / LIMIT"},
    {"MemPerc", "MEM %"},
    {"NetIO", "NET I/O"},
    {"BlockIO", "BLOCK I/O"},
    {"PIDs", "PIDS"},
};

constexpr char kDefaultColumns[] =
    "{{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{."
    "PIDs}}";

std::string Percent(double value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f%%", value);
  return buf;
}

uint64_t BlkioTotal(const types::v1::BlkioStats& blkio, const std::string& op) {
  uint64_t total = 0;
  for (const auto& entry : blkio.io_service_bytes()) {
    if (entry.op() == op || (op == "read" && entry.op() == "Read") ||
        (op == "write" && entry.op() == "Write")) {
      total += entry.value();
    }
  }
  return total;
}

std::string DecimalPair(uint64_t a, uint64_t b) {
  return HumanSize(static_cast<int64_t>(a)) + " / " + HumanSize(static_cast<int64_t>(b));
}

}  // namespace

double CpuPercent(const types::v1::CpuStats* previous, const types::v1::CpuStats& current) {
  if (previous == nullptr) return 0;
  const double cpu_delta = static_cast<double>(current.usage_total_ns()) -
                           static_cast<double>(previous->usage_total_ns());
  const double system_delta = static_cast<double>(current.system_usage_ns()) -
                              static_cast<double>(previous->system_usage_ns());
  const double cpus = current.online_cpus() > 0 ? current.online_cpus() : 1;
  if (cpu_delta <= 0 || system_delta <= 0) return 0;
  return cpu_delta / system_delta * cpus * 100.0;
}

uint64_t MemoryUsageShown(const types::v1::MemoryStats& memory) {
  return memory.inactive_file() < memory.usage() ? memory.usage() - memory.inactive_file()
                                                 : memory.usage();
}

std::string BinarySize(double bytes) {
  static const char* const kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  size_t unit = 0;
  while (bytes >= 1024 && unit + 1 < std::size(kUnits)) {
    bytes /= 1024;
    ++unit;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.4g%s", bytes, kUnits[unit]);
  return buf;
}

nlohmann::ordered_json StatsFields(const StatsSubject& subject,
                                   const types::v1::ContainerMetrics* metrics,
                                   const types::v1::ContainerMetrics* previous, bool no_trunc) {
  const types::v1::ContainerMetrics empty;
  const types::v1::ContainerMetrics& m = metrics != nullptr ? *metrics : empty;
  const uint64_t usage = MemoryUsageShown(m.memory());
  const uint64_t limit = m.memory().limit();
  uint64_t rx = 0, tx = 0;
  for (const auto& net : m.networks()) {
    rx += net.rx_bytes();
    tx += net.tx_bytes();
  }
  nlohmann::ordered_json row;
  row["BlockIO"] = DecimalPair(BlkioTotal(m.blkio(), "read"), BlkioTotal(m.blkio(), "write"));
  row["CPUPerc"] = Percent(
      metrics != nullptr && previous != nullptr ? CpuPercent(&previous->cpu(), m.cpu()) : 0);
  row["Container"] = subject.container;
  row["ID"] = no_trunc ? subject.id : subject.id.substr(0, 12);
  row["MemPerc"] = Percent(limit > 0 ? static_cast<double>(usage) / limit * 100.0 : 0);
  row["MemUsage"] =
      BinarySize(static_cast<double>(usage)) + " / " + BinarySize(static_cast<double>(limit));
  row["Name"] = subject.name;
  row["NetIO"] = DecimalPair(rx, tx);
  row["PIDs"] = std::to_string(m.pids().current());
  return row;
}

std::string RenderStats(const std::vector<nlohmann::ordered_json>& rows,
                        const std::string& format_text) {
  const OutputFormat format = ParseOutputFormat(format_text);
  std::string out;
  if (format.json) {
    for (const auto& row : rows) out += row.dump() + "\n";
    return out;
  }
  const std::string text = format.template_text.empty() ? kDefaultColumns : format.template_text;
  std::vector<std::vector<std::string>> table;
  if (format.table) table.push_back(absl::StrSplit(TemplateHeader(text, kStatsHeaders), '\t'));
  for (const auto& row : rows) {
    const std::string line = ExpandTemplate(text, row);
    if (format.table) {
      table.push_back(absl::StrSplit(line, '\t'));
    } else {
      out += line + "\n";
    }
  }
  return format.table ? RenderTable(table) : out;
}

}  // namespace berth::ctl
