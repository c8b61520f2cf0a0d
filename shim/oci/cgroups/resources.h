// The resource limits berth puts on a cgroup, in berth's own terms (the OCI spec's
// linux.resources, without depending on a spec parser). Unset optionals are left alone.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace berth::oci {

// limit and swap: 0 leaves the value alone, as runc does; -1 lifts it. An unlimited
// memory limit without a swap value lifts the swap limit too.
struct CgroupMemory {
  std::optional<int64_t> limit;        // bytes
  std::optional<int64_t> reservation;  // soft limit (v1) / memory.low (v2), bytes
  std::optional<int64_t> swap;         // memory + swap together, as the OCI spec means it
  std::optional<uint64_t> swappiness;  // 0..100, v1 only
  bool disable_oom_killer = false;     // v1 only
  std::optional<bool> oom_group;       // v2 memory.oom.group: OOM kills the whole cgroup
};

struct CgroupCpu {
  std::optional<uint64_t> shares;           // v1 semantics 2..262144; converted to cpu.weight on v2
  std::optional<int64_t> quota;             // microseconds per period, -1 = unlimited
  std::optional<uint64_t> period;           // microseconds
  std::string cpus;                         // cpuset list "0-3,6"; empty = unchanged
  std::string mems;                         // memory nodes list; empty = unchanged
  std::optional<int64_t> realtime_runtime;  // v1 only
  std::optional<uint64_t> realtime_period;  // v1 only
};

struct CgroupPids {
  std::optional<int64_t> limit;  // <= 0 (the spec's -1) = max
};

struct CgroupDeviceRate {
  int64_t major = 0;
  int64_t minor = 0;
  uint64_t rate = 0;  // bytes or operations per second
};

struct CgroupDeviceWeight {
  int64_t major = 0;
  int64_t minor = 0;
  uint16_t weight = 0;  // 10..1000 (v1 scale; converted on v2)
};

struct CgroupBlockIo {
  std::optional<uint16_t> weight;  // 10..1000 (v1 scale; converted on v2)
  std::vector<CgroupDeviceWeight> device_weights;
  std::vector<CgroupDeviceRate> read_bps;
  std::vector<CgroupDeviceRate> write_bps;
  std::vector<CgroupDeviceRate> read_iops;
  std::vector<CgroupDeviceRate> write_iops;

  bool empty() const {
    return !weight && device_weights.empty() && read_bps.empty() && write_bps.empty() &&
           read_iops.empty() && write_iops.empty();
  }
};

struct CgroupHugepageLimit {
  std::string page_size;  // "2MB", "1GB", as in hugetlb.<size>.* file names
  uint64_t limit = 0;     // bytes
};

// One device cgroup rule. Rules apply in order; a later rule wins over an earlier one.
struct CgroupDeviceRule {
  bool allow = false;
  char type = 'a';             // 'a' (all), 'b' (block) or 'c' (char)
  int64_t major = -1;          // -1 = any
  int64_t minor = -1;          // -1 = any
  std::string access = "rwm";  // any of r, w, m
};

struct CgroupResources {
  std::optional<CgroupMemory> memory;
  std::optional<CgroupCpu> cpu;
  std::optional<CgroupPids> pids;
  std::optional<CgroupBlockIo> block_io;
  std::vector<CgroupHugepageLimit> hugepage_limits;
  std::vector<CgroupDeviceRule> devices;       // empty = device access left unchanged
  std::map<std::string, std::string> unified;  // v2 only: file name -> value, written as is
};

// cpu.shares (2..262144) to cpu.weight (1..10000), the formula runc, crun and systemd use.
inline uint64_t CpuSharesToWeight(uint64_t shares) {
  if (shares == 0) return 0;
  if (shares < 2) shares = 2;
  if (shares > 262144) shares = 262144;
  return 1 + ((shares - 2) * 9999) / 262142;
}

// blkio.weight (10..1000) to io.weight (1..10000).
inline uint64_t BlkioWeightToIoWeight(uint64_t weight) {
  if (weight == 0) return 0;
  if (weight < 10) weight = 10;
  if (weight > 1000) weight = 1000;
  return 1 + ((weight - 10) * 9999) / 990;
}

}  // namespace berth::oci
