#include "shim/oci/spec_cgroup.h"

namespace berth::oci {
namespace {

std::vector<CgroupDeviceRate> Rates(const std::vector<ThrottleDevice>& devices) {
  std::vector<CgroupDeviceRate> rates;
  for (const ThrottleDevice& d : devices) rates.push_back({d.major, d.minor, d.rate});
  return rates;
}

void AddDeviceRules(const Linux& linux_config, CgroupResources& out) {
  for (const DeviceRule& rule : linux_config.resources.devices) {
    out.devices.push_back({rule.allow, rule.type.empty() ? 'a' : rule.type[0],
                           rule.major.value_or(-1), rule.minor.value_or(-1),
                           rule.access.empty() ? "rwm" : rule.access});
  }
  if (out.devices.empty()) return;  // no rules: device access left as it is
  // The nodes the runtime creates in /dev, pts and ptmx, and the spec's own devices.
  static constexpr struct {
    int64_t major, minor;
  } kAllowed[] = {{1, 3}, {1, 5}, {1, 7}, {1, 8}, {1, 9}, {5, 0}, {5, 1}, {5, 2}, {136, -1}};
  for (const auto& d : kAllowed) out.devices.push_back({true, 'c', d.major, d.minor, "rwm"});
  for (const Device& d : linux_config.devices) {
    char type = d.type == "b" ? 'b' : 'c';
    if (d.type != "p") out.devices.push_back({true, type, d.major, d.minor, "rwm"});
  }
}

}  // namespace

CgroupResources CgroupResourcesFromSpec(const Linux& linux_config) {
  const Resources& r = linux_config.resources;
  CgroupResources out;
  const Memory& m = r.memory;
  if (m.limit || m.reservation || m.swap || m.swappiness || m.disable_oom_killer) {
    out.memory = CgroupMemory{
        m.limit,     m.reservation, m.swap, m.swappiness, m.disable_oom_killer.value_or(false),
        std::nullopt};
  }
  const Cpu& c = r.cpu;
  if (c.shares || c.quota || c.period || !c.cpus.empty() || !c.mems.empty() || c.realtime_runtime ||
      c.realtime_period) {
    out.cpu = CgroupCpu{c.shares,           c.quota,          c.period, c.cpus, c.mems,
                        c.realtime_runtime, c.realtime_period};
  }
  if (r.pids.limit) out.pids = CgroupPids{r.pids.limit};
  CgroupBlockIo io;
  io.weight = r.block_io.weight;
  for (const WeightDevice& d : r.block_io.weight_device) {
    if (d.weight) io.device_weights.push_back({d.major, d.minor, *d.weight});
  }
  io.read_bps = Rates(r.block_io.throttle_read_bps_device);
  io.write_bps = Rates(r.block_io.throttle_write_bps_device);
  io.read_iops = Rates(r.block_io.throttle_read_iops_device);
  io.write_iops = Rates(r.block_io.throttle_write_iops_device);
  if (!io.empty()) out.block_io = io;
  for (const HugepageLimit& h : r.hugepage_limits) {
    out.hugepage_limits.push_back({h.page_size, h.limit});
  }
  out.unified = r.unified;
  AddDeviceRules(linux_config, out);
  return out;
}

}  // namespace berth::oci
