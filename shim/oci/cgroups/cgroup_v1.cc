// cgroup v1: one directory per mounted controller hierarchy.
#include <fcntl.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "shim/oci/cgroups/cgroup_fs.h"
#include "shim/oci/cgroups/cgroup_path.h"
#include "shim/oci/cgroups/cgroup_variants.h"
#include "shim/oci/cgroups/device_rules.h"

namespace berth::oci {
namespace {

using cgroupfs::Exists;
using cgroupfs::ReadKeyOrZero;
using cgroupfs::ReadTrimmed;
using cgroupfs::ReadUint;
using cgroupfs::WriteFile;

constexpr absl::Duration kFreezeTimeout = absl::Seconds(5);
// v1 reports "no limit" as PAGE_COUNTER_MAX pages, just below 2^63.
constexpr uint64_t kUnlimitedFloor = uint64_t{1} << 62;

struct V1Dir {
  std::vector<std::string> controllers;
  std::string mountpoint;
  std::string cgroup_path;  // as /proc/<pid>/cgroup shows it
  std::string dir;
  std::vector<std::string> created;  // directories this handle made, outermost first
  bool made_leaf = false;
};

std::string RateText(const CgroupDeviceRate& r) {
  return absl::StrCat(r.major, ":", r.minor, " ", r.rate);
}

class V1Cgroup final : public Cgroup {
 public:
  V1Cgroup(std::vector<V1Dir> dirs, bool owned) : dirs_(std::move(dirs)), owned_(owned) {}
  ~V1Cgroup() override {
    if (owned_ && !destroyed_) (void)Destroy();
  }

  absl::Status Create() {
    for (V1Dir& d : dirs_) {
      BERTH_RETURN_IF_ERROR(cgroupfs::MakeCgroupDirs(d.mountpoint, d.dir, &d.created));
      d.made_leaf = true;
    }
    return InitCpuset();
  }

  // A systemd scope's directories: those systemd made (in the hierarchies it manages)
  // and those made here for the rest are all the handle's to remove.
  absl::Status Adopt() {
    for (V1Dir& d : dirs_) {
      if (!Exists(d.dir)) {
        BERTH_RETURN_IF_ERROR(cgroupfs::MakeCgroupDirs(d.mountpoint, d.dir, &d.created));
      }
      d.made_leaf = true;
    }
    return InitCpuset();
  }

  // Whichever of a scope's directories are left: systemd removes its own once the scope's
  // processes are gone, the ones made here stay until Destroy().
  absl::Status OpenExisting() {
    std::erase_if(dirs_, [](const V1Dir& d) { return !Exists(d.dir); });
    if (dirs_.empty()) return absl::NotFoundError("no directory of the cgroup is left");
    return absl::OkStatus();
  }

  absl::Status Open() {
    if (!Exists(dirs_[Primary()].dir)) {
      return absl::NotFoundError(
          absl::StrCat("cgroup ", path(), " does not exist (no ", dirs_[Primary()].dir, ")"));
    }
    std::erase_if(dirs_, [](const V1Dir& d) { return !Exists(d.dir); });
    return absl::OkStatus();
  }

  std::string path() const override { return dirs_[Primary()].cgroup_path; }

  std::vector<CgroupHierarchyDirectory> HierarchyDirectories() const override {
    std::vector<CgroupHierarchyDirectory> dirs;
    for (const V1Dir& d : dirs_) dirs.push_back({d.mountpoint, d.dir});
    return dirs;
  }

  absl::Status AddProcess(pid_t pid) override {
    for (const V1Dir& d : dirs_) {
      BERTH_RETURN_IF_ERROR(WriteFile(d.dir + "/cgroup.procs", absl::StrCat(pid)));
    }
    return absl::OkStatus();
  }

  absl::Status Apply(const CgroupResources& r) override {
    if (!r.unified.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("unified cgroup resources (",
                                                     r.unified.begin()->first,
                                                     ") need cgroup v2; this host mounts v1"));
    }
    if (r.memory) BERTH_RETURN_IF_ERROR(ApplyMemory(*r.memory));
    if (r.cpu) BERTH_RETURN_IF_ERROR(ApplyCpu(*r.cpu));
    if (r.pids && r.pids->limit) {
      int64_t limit = *r.pids->limit;
      BERTH_RETURN_IF_ERROR(Write("pids", "pids.max", limit > 0 ? absl::StrCat(limit) : "max"));
    }
    if (r.block_io) BERTH_RETURN_IF_ERROR(ApplyBlockIo(*r.block_io));
    for (const CgroupHugepageLimit& h : r.hugepage_limits) {
      BERTH_RETURN_IF_ERROR(Write("hugetlb",
                                  absl::StrCat("hugetlb.", h.page_size, ".limit_in_bytes"),
                                  absl::StrCat(h.limit)));
    }
    if (!r.devices.empty()) BERTH_RETURN_IF_ERROR(ApplyDevices(r.devices));
    return absl::OkStatus();
  }

  absl::Status Freeze() override {
    absl::Status frozen = SetFreezer("FROZEN");
    if (!frozen.ok()) (void)SetFreezer("THAWED");
    return frozen;
  }

  absl::Status Thaw() override { return SetFreezer("THAWED"); }

  absl::StatusOr<FreezerState> State() override {
    BERTH_ASSIGN_OR_RETURN(std::string file, Need("freezer", "freezer.state"));
    BERTH_ASSIGN_OR_RETURN(std::string state, ReadTrimmed(file));
    if (state == "FROZEN") return FreezerState::kFrozen;
    if (state == "FREEZING") return FreezerState::kFreezing;
    return FreezerState::kThawed;
  }

  absl::StatusOr<CgroupStats> Stats() override {
    CgroupStats stats;
    if (std::string cpuacct = Dir("cpuacct"); !cpuacct.empty()) {
      BERTH_ASSIGN_OR_RETURN(stats.cpu.usage_ns, ReadUint(cpuacct + "/cpuacct.usage"));
      // cpuacct.stat counts USER_HZ ticks.
      uint64_t ns_per_tick = 1000000000 / static_cast<uint64_t>(sysconf(_SC_CLK_TCK));
      stats.cpu.user_ns = ReadKeyOrZero(cpuacct + "/cpuacct.stat", "user") * ns_per_tick;
      stats.cpu.system_ns = ReadKeyOrZero(cpuacct + "/cpuacct.stat", "system") * ns_per_tick;
    }
    if (std::string memory = Dir("memory"); !memory.empty()) {
      BERTH_ASSIGN_OR_RETURN(stats.memory.usage, ReadUint(memory + "/memory.usage_in_bytes"));
      BERTH_ASSIGN_OR_RETURN(uint64_t limit, ReadUint(memory + "/memory.limit_in_bytes"));
      if (limit < kUnlimitedFloor) stats.memory.limit = limit;
      BERTH_ASSIGN_OR_RETURN(stats.memory.max_usage,
                             ReadUint(memory + "/memory.max_usage_in_bytes"));
      std::string stat = memory + "/memory.stat";
      stats.memory.cache = ReadKeyOrZero(stat, "total_cache");
      stats.memory.rss = ReadKeyOrZero(stat, "total_rss");
      stats.memory.swap = ReadKeyOrZero(stat, "total_swap");
      stats.memory.inactive_file = ReadKeyOrZero(stat, "total_inactive_file");
      stats.oom_kill_count = ReadKeyOrZero(memory + "/memory.oom_control", "oom_kill");
    }
    if (std::string pids = Dir("pids"); !pids.empty()) {
      BERTH_ASSIGN_OR_RETURN(stats.pids.current, ReadUint(pids + "/pids.current"));
      if (auto max = ReadUint(pids + "/pids.max"); max.ok()) stats.pids.limit = *max;
    }
    if (std::string blkio = Dir("blkio"); !blkio.empty()) {
      // "8:0 Read 4096" lines, one per device and operation.
      auto text = cgroupfs::ReadFile(blkio + "/blkio.throttle.io_service_bytes_recursive");
      if (text.ok()) {
        for (absl::string_view line : absl::StrSplit(*text, '\n', absl::SkipEmpty())) {
          std::vector<absl::string_view> f = absl::StrSplit(line, ' ', absl::SkipEmpty());
          uint64_t n = 0;
          if (f.size() != 3 || !absl::SimpleAtoi(f[2], &n)) continue;
          if (f[1] == "Read") stats.block_io.bytes_read += n;
          if (f[1] == "Write") stats.block_io.bytes_written += n;
        }
      }
    }
    return stats;
  }

  absl::StatusOr<UniqueFd> OomEventFd() override {
    BERTH_ASSIGN_OR_RETURN(std::string oom_control, Need("memory", "memory.oom_control"));
    UniqueFd event(eventfd(0, EFD_CLOEXEC));
    if (!event) return absl::ErrnoToStatus(errno, "creating an eventfd for OOM events");
    UniqueFd control(open(oom_control.c_str(), O_RDONLY | O_CLOEXEC));
    if (!control) return absl::ErrnoToStatus(errno, absl::StrCat("opening ", oom_control));
    BERTH_RETURN_IF_ERROR(WriteFile(Dir("memory") + "/cgroup.event_control",
                                    absl::StrCat(event.get(), " ", control.get())));
    return event;
  }

  absl::StatusOr<uint64_t> OomKillCount() override {
    BERTH_ASSIGN_OR_RETURN(std::string file, Need("memory", "memory.oom_control"));
    BERTH_ASSIGN_OR_RETURN(std::string text, cgroupfs::ReadFile(file));
    auto values = cgroupfs::ParseFlatKeyed(text);
    auto it = values.find("oom_kill");
    if (it == values.end()) {
      return absl::UnimplementedError(absl::StrCat(file, " has no oom_kill count (kernel < 4.13)"));
    }
    return it->second;
  }

  std::vector<pid_t> Pids() override { return cgroupfs::ReadPidsRecursive(dirs_[Primary()].dir); }

  absl::Status Kill(int signal) override {
    // Frozen processes cannot fork a new one between reading the list and the signal.
    return SignalAllProcesses(*this, signal, signal == SIGKILL && !Dir("freezer").empty());
  }

  absl::Status Destroy() override {
    absl::Status result;
    for (const V1Dir& d : dirs_) {
      if (owned_ && !d.made_leaf) continue;  // a failed create must not remove what it found
      if (absl::Status s = cgroupfs::RemoveCgroupTree(d.dir); !s.ok() && result.ok()) result = s;
    }
    if (!result.ok()) return result;
    for (const V1Dir& d : dirs_) {
      // Parents may have gained other cgroups meanwhile: those keep them.
      for (auto it = d.created.rbegin(); it != d.created.rend(); ++it) rmdir(it->c_str());
      if (remove_empty_parents_) RemoveEmptyParents(d);
    }
    destroyed_ = true;
    return absl::OkStatus();
  }

  void Release() override { owned_ = false; }

  // A systemd scope's slices: whoever made them in a hierarchy systemd leaves alone (this
  // handle or an earlier one), they go once empty.
  void SetRemoveEmptyParents() { remove_empty_parents_ = true; }

 private:
  static void RemoveEmptyParents(const V1Dir& d) {
    std::string dir = d.dir;
    for (size_t slash; (slash = dir.rfind('/')) != std::string::npos;) {
      dir.resize(slash);
      if (dir.size() <= d.mountpoint.size() || rmdir(dir.c_str()) != 0) return;  // in use
    }
  }

  size_t Primary() const {
    for (size_t i = 0; i < dirs_.size(); ++i) {
      if (std::count(dirs_[i].controllers.begin(), dirs_[i].controllers.end(), "memory")) return i;
    }
    return 0;
  }

  std::string Dir(absl::string_view controller) const {
    for (const V1Dir& d : dirs_) {
      if (std::find(d.controllers.begin(), d.controllers.end(), controller) !=
          d.controllers.end()) {
        return d.dir;
      }
    }
    return "";
  }

  absl::StatusOr<std::string> Need(absl::string_view controller, absl::string_view file) const {
    std::string dir = Dir(controller);
    if (dir.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the ", controller, " cgroup controller is not mounted (needed for ", file, ")"));
    }
    return absl::StrCat(dir, "/", file);
  }

  absl::Status Write(absl::string_view controller, absl::string_view file,
                     absl::string_view value) {
    BERTH_ASSIGN_OR_RETURN(std::string path, Need(controller, file));
    return WriteFile(path, value);
  }

  // A new cpuset cgroup has no CPUs and no memory nodes, and refuses processes until it
  // has some: copy the parent's.
  absl::Status InitCpuset() {
    for (const V1Dir& d : dirs_) {
      if (std::find(d.controllers.begin(), d.controllers.end(), "cpuset") == d.controllers.end()) {
        continue;
      }
      for (const std::string& dir : d.created) {
        std::string parent = dir.substr(0, dir.rfind('/'));
        for (const char* file : {"cpuset.cpus", "cpuset.mems"}) {
          BERTH_ASSIGN_OR_RETURN(std::string mine, ReadTrimmed(absl::StrCat(dir, "/", file)));
          if (!mine.empty()) continue;
          BERTH_ASSIGN_OR_RETURN(std::string theirs, ReadTrimmed(absl::StrCat(parent, "/", file)));
          BERTH_RETURN_IF_ERROR(WriteFile(absl::StrCat(dir, "/", file), theirs));
        }
      }
    }
    return absl::OkStatus();
  }

  absl::Status ApplyMemory(const CgroupMemory& m) {
    if (m.oom_group.value_or(false)) {
      return absl::InvalidArgumentError("memory.oom.group needs cgroup v2; this host mounts v1");
    }
    BERTH_ASSIGN_OR_RETURN(std::string memsw, Need("memory", "memory.memsw.limit_in_bytes"));
    // 0 leaves a value alone; unlimited memory lifts the swap limit too, as runc does.
    int64_t limit = m.limit.value_or(0);
    int64_t swap = m.swap.value_or(0);
    if (limit == -1 && swap == 0) swap = -1;
    if (swap != 0 && !Exists(memsw)) {
      if (swap != -1) {
        return absl::FailedPreconditionError(absl::StrCat(
            "a memory+swap limit was asked for, but ", memsw,
            " does not exist: the kernel does not account swap (boot with swapaccount=1)"));
      }
      swap = 0;
    }
    auto write_limit = [&] {
      return limit == 0 ? absl::OkStatus()
                        : Write("memory", "memory.limit_in_bytes", absl::StrCat(limit));
    };
    auto write_swap = [&] {
      return swap == 0 ? absl::OkStatus() : WriteFile(memsw, absl::StrCat(swap));
    };
    // memory.memsw.limit_in_bytes may never be below memory.limit_in_bytes.
    BERTH_ASSIGN_OR_RETURN(std::string limit_file, Need("memory", "memory.limit_in_bytes"));
    BERTH_ASSIGN_OR_RETURN(uint64_t current, ReadUint(limit_file));
    if (swap == -1 || (swap > 0 && current < static_cast<uint64_t>(swap))) {
      BERTH_RETURN_IF_ERROR(write_swap());
      BERTH_RETURN_IF_ERROR(write_limit());
    } else {
      BERTH_RETURN_IF_ERROR(write_limit());
      BERTH_RETURN_IF_ERROR(write_swap());
    }
    if (m.reservation) {
      BERTH_RETURN_IF_ERROR(
          Write("memory", "memory.soft_limit_in_bytes", absl::StrCat(*m.reservation)));
    }
    if (m.swappiness) {
      if (*m.swappiness > 100) {
        return absl::InvalidArgumentError(
            absl::StrCat("memory swappiness ", *m.swappiness, " is above 100"));
      }
      BERTH_RETURN_IF_ERROR(Write("memory", "memory.swappiness", absl::StrCat(*m.swappiness)));
    }
    if (m.disable_oom_killer) BERTH_RETURN_IF_ERROR(Write("memory", "memory.oom_control", "1"));
    return absl::OkStatus();
  }

  absl::Status ApplyCpu(const CgroupCpu& c) {
    if (c.shares) BERTH_RETURN_IF_ERROR(Write("cpu", "cpu.shares", absl::StrCat(*c.shares)));
    if (c.period) BERTH_RETURN_IF_ERROR(Write("cpu", "cpu.cfs_period_us", absl::StrCat(*c.period)));
    if (c.quota) BERTH_RETURN_IF_ERROR(Write("cpu", "cpu.cfs_quota_us", absl::StrCat(*c.quota)));
    if (c.realtime_period) {
      BERTH_RETURN_IF_ERROR(Write("cpu", "cpu.rt_period_us", absl::StrCat(*c.realtime_period)));
    }
    if (c.realtime_runtime) {
      BERTH_RETURN_IF_ERROR(Write("cpu", "cpu.rt_runtime_us", absl::StrCat(*c.realtime_runtime)));
    }
    if (!c.cpus.empty()) BERTH_RETURN_IF_ERROR(Write("cpuset", "cpuset.cpus", c.cpus));
    if (!c.mems.empty()) BERTH_RETURN_IF_ERROR(Write("cpuset", "cpuset.mems", c.mems));
    return absl::OkStatus();
  }

  absl::Status ApplyBlockIo(const CgroupBlockIo& b) {
    if (b.weight || !b.device_weights.empty()) {
      // CFQ's blkio.weight went with CFQ (Linux 5.0); BFQ has its own files.
      BERTH_ASSIGN_OR_RETURN(std::string weight, Need("blkio", "blkio.weight"));
      std::string prefix = "blkio.";
      if (!Exists(weight)) {
        prefix = "blkio.bfq.";
        if (!Exists(Dir("blkio") + "/blkio.bfq.weight")) {
          return absl::FailedPreconditionError(
              absl::StrCat("a block I/O weight was asked for, but ", Dir("blkio"),
                           " has neither blkio.weight nor blkio.bfq.weight (no CFQ or BFQ)"));
        }
      }
      if (b.weight)
        BERTH_RETURN_IF_ERROR(Write("blkio", prefix + "weight", absl::StrCat(*b.weight)));
      for (const CgroupDeviceWeight& w : b.device_weights) {
        BERTH_RETURN_IF_ERROR(Write("blkio", prefix + "weight_device",
                                    absl::StrCat(w.major, ":", w.minor, " ", w.weight)));
      }
    }
    const std::pair<const char*, const std::vector<CgroupDeviceRate>*> throttles[] = {
        {"blkio.throttle.read_bps_device", &b.read_bps},
        {"blkio.throttle.write_bps_device", &b.write_bps},
        {"blkio.throttle.read_iops_device", &b.read_iops},
        {"blkio.throttle.write_iops_device", &b.write_iops}};
    for (const auto& [file, rates] : throttles) {
      for (const CgroupDeviceRate& r : *rates) {
        BERTH_RETURN_IF_ERROR(Write("blkio", file, RateText(r)));
      }
    }
    return absl::OkStatus();
  }

  absl::Status ApplyDevices(const std::vector<CgroupDeviceRule>& rules) {
    for (const CgroupDeviceRule& rule : rules) BERTH_RETURN_IF_ERROR(ValidateDeviceRule(rule));
    BERTH_RETURN_IF_ERROR(Write("devices", "devices.deny", "a"));
    for (const CgroupDeviceRule& rule : rules) {
      BERTH_RETURN_IF_ERROR(
          Write("devices", rule.allow ? "devices.allow" : "devices.deny", DeviceRuleText(rule)));
    }
    return absl::OkStatus();
  }

  absl::Status SetFreezer(absl::string_view want) {
    BERTH_ASSIGN_OR_RETURN(std::string file, Need("freezer", "freezer.state"));
    BERTH_RETURN_IF_ERROR(WriteFile(file, want));
    return cgroupfs::WaitFor(
        [&]() -> absl::StatusOr<bool> {
          BERTH_ASSIGN_OR_RETURN(std::string state, ReadTrimmed(file));
          if (state == want) return true;
          // A task in an uninterruptible sleep can stall freezing; asking again retries it.
          (void)WriteFile(file, want);
          return false;
        },
        kFreezeTimeout, absl::StrCat(file, " to read ", want));
  }

  std::vector<V1Dir> dirs_;
  bool owned_;
  bool destroyed_ = false;
  bool remove_empty_parents_ = false;
};

}  // namespace

namespace {

absl::StatusOr<std::vector<V1Dir>> PlanV1Dirs(const CgroupLayout& layout,
                                              const std::string& cleaned) {
  if (layout.v1_hierarchies.empty()) {
    return absl::FailedPreconditionError("no cgroup v1 controller hierarchy is mounted");
  }
  std::vector<V1Dir> dirs;
  for (const CgroupHierarchy& h : layout.v1_hierarchies) {
    std::string cgroup_path = NestCgroupPath(h.own_path, cleaned);
    dirs.push_back({h.controllers,
                    h.mountpoint,
                    cgroup_path,
                    CgroupDirectory(h.mountpoint, h.root, cgroup_path),
                    {},
                    false});
  }
  return dirs;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Cgroup>> MakeV1Cgroup(const CgroupLayout& layout,
                                                     const std::string& cleaned, bool create) {
  BERTH_ASSIGN_OR_RETURN(std::vector<V1Dir> dirs, PlanV1Dirs(layout, cleaned));
  auto cgroup = std::make_unique<V1Cgroup>(std::move(dirs), create);
  // On failure the handle's destructor removes whatever Create() made.
  BERTH_RETURN_IF_ERROR(create ? cgroup->Create() : cgroup->Open());
  return cgroup;
}

absl::StatusOr<std::unique_ptr<Cgroup>> MakeV1ScopeCgroup(const CgroupLayout& layout,
                                                          const std::string& scope_path,
                                                          ScopeDirectories directories) {
  BERTH_ASSIGN_OR_RETURN(std::vector<V1Dir> dirs, PlanV1Dirs(layout, scope_path));
  bool adopt = directories == ScopeDirectories::kAdopt;
  auto cgroup = std::make_unique<V1Cgroup>(std::move(dirs), adopt);
  cgroup->SetRemoveEmptyParents();
  // On failure the handle's destructor removes the scope's directories.
  BERTH_RETURN_IF_ERROR(adopt ? cgroup->Adopt() : cgroup->OpenExisting());
  return cgroup;
}

}  // namespace berth::oci
