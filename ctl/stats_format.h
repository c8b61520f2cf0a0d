// `berthctl stats`' numbers and table as Docker's CLI computes and prints them: CPU % from
// two samples, memory without inactive file cache, binary units for memory and decimal
// units for I/O.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "berth/types/v1/metrics.pb.h"
#include "nlohmann/json.hpp"

namespace berth::ctl {

// Docker's formula: the container's CPU time delta over the host's, times online CPUs,
// as a percentage; 0 without a previous sample or when either delta is not positive.
double CpuPercent(const types::v1::CpuStats* previous, const types::v1::CpuStats& current);

// Usage minus inactive file cache when that is smaller (Docker ≥ 20.10).
uint64_t MemoryUsageShown(const types::v1::MemoryStats& memory);

// go-units' BytesSize: "1.234MiB", "7.63GiB", "0B" (4 significant digits, base 1024).
std::string BinarySize(double bytes);

// One container as a row: Container (as asked for), ID, Name, CPUPerc, MemUsage, MemPerc,
// NetIO, BlockIO, PIDs. `metrics` null: a container with no sample (stopped), all zeros.
struct StatsSubject {
  std::string container;  // what the user named, or the ID
  std::string id;
  std::string name;
};
nlohmann::ordered_json StatsFields(const StatsSubject& subject,
                                   const types::v1::ContainerMetrics* metrics,
                                   const types::v1::ContainerMetrics* previous, bool no_trunc);

// The rows rendered by `format` ("", "table", "table TEMPLATE", "json", TEMPLATE).
std::string RenderStats(const std::vector<nlohmann::ordered_json>& rows, const std::string& format);

}  // namespace berth::ctl
