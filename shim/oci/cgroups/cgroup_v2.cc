// cgroup v2: one directory in the unified tree.
#include <signal.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
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
using cgroupfs::WriteFile;

constexpr absl::Duration kFreezeTimeout = absl::Seconds(5);

std::string MaxOr(int64_t value) { return value < 0 ? "max" : absl::StrCat(value); }

std::vector<std::string> Words(const std::string& path) {
  absl::StatusOr<std::string> text = cgroupfs::ReadFile(path);
  if (!text.ok()) return {};
  return absl::StrSplit(*text, absl::ByAnyChar(" \n"), absl::SkipEmpty());
}

// The OCI memory+swap total as memory.swap.max (swap alone); nullopt leaves it alone.
absl::StatusOr<std::optional<int64_t>> SwapMax(const CgroupMemory& m) {
  int64_t memory = m.limit.value_or(0);
  int64_t swap = m.swap.value_or(0);
  if (memory == -1 && swap == 0) return -1;  // unlimited memory lifts swap too, as on v1
  if (swap == -1) return -1;
  if (swap == 0) return std::nullopt;
  if (memory <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("a memory+swap limit (", swap, ") needs a memory limit on cgroup v2"));
  }
  if (swap < memory) {
    return absl::InvalidArgumentError(
        absl::StrCat("the memory+swap limit ", swap, " is below the memory limit ", memory));
  }
  return swap - memory;
}

class V2Cgroup final : public Cgroup {
 public:
  V2Cgroup(std::string mountpoint, std::string cgroup_path, std::string dir, std::string own_dir,
           bool owned, bool manage_controllers)
      : mountpoint_(std::move(mountpoint)),
        cgroup_path_(std::move(cgroup_path)),
        dir_(std::move(dir)),
        own_dir_(std::move(own_dir)),
        owned_(owned),
        manage_controllers_(manage_controllers) {}
  ~V2Cgroup() override {
    if (owned_ && !destroyed_) (void)Destroy();
  }

  absl::Status Create() {
    BERTH_RETURN_IF_ERROR(cgroupfs::MakeCgroupDirs(mountpoint_, dir_, &created_));
    made_leaf_ = true;
    if (!manage_controllers_) return absl::OkStatus();
    // Ancestors from below the root down to the parent, skipping those above our own
    // cgroup: the root and whoever manages the tree above us keep their settings.
    std::string rest = dir_.substr(mountpoint_.size());
    std::vector<std::string> prefixes = CgroupPathPrefixes(rest);
    prefixes.pop_back();
    for (const std::string& prefix : prefixes) {
      std::string ancestor = mountpoint_ + prefix;
      if (absl::StartsWith(own_dir_, ancestor + "/")) continue;
      EnableControllers(ancestor);
    }
    return absl::OkStatus();
  }

  absl::Status Open() {
    if (!Exists(dir_)) {
      return absl::NotFoundError(
          absl::StrCat("cgroup ", cgroup_path_, " does not exist (no ", dir_, ")"));
    }
    return absl::OkStatus();
  }

  std::string path() const override { return cgroup_path_; }
  std::vector<CgroupHierarchyDirectory> HierarchyDirectories() const override {
    return {{mountpoint_, dir_}};
  }

  absl::Status AddProcess(pid_t pid) override {
    return WriteFile(dir_ + "/cgroup.procs", absl::StrCat(pid));
  }

  absl::Status Apply(const CgroupResources& r) override {
    if (r.memory) BERTH_RETURN_IF_ERROR(ApplyMemory(*r.memory));
    if (r.cpu) BERTH_RETURN_IF_ERROR(ApplyCpu(*r.cpu));
    if (r.pids && r.pids->limit) {
      BERTH_RETURN_IF_ERROR(
          Write("pids.max", *r.pids->limit > 0 ? absl::StrCat(*r.pids->limit) : "max"));
    }
    if (r.block_io) BERTH_RETURN_IF_ERROR(ApplyIo(*r.block_io));
    for (const CgroupHugepageLimit& h : r.hugepage_limits) {
      BERTH_RETURN_IF_ERROR(
          Write(absl::StrCat("hugetlb.", h.page_size, ".max"), absl::StrCat(h.limit)));
    }
    if (!r.devices.empty()) BERTH_RETURN_IF_ERROR(AttachDeviceProgram(dir_, r.devices));
    for (const auto& [key, value] : r.unified) {
      if (key.empty() || key.find('/') != std::string::npos || key[0] == '.') {
        return absl::InvalidArgumentError(
            absl::StrCat("unified cgroup key \"", key, "\" is not a file name"));
      }
      BERTH_RETURN_IF_ERROR(Write(key, value));
    }
    return absl::OkStatus();
  }

  absl::Status Freeze() override {
    absl::Status frozen = SetFrozen(true);
    if (!frozen.ok()) (void)SetFrozen(false);
    return frozen;
  }

  absl::Status Thaw() override { return SetFrozen(false); }

  absl::StatusOr<FreezerState> State() override {
    BERTH_ASSIGN_OR_RETURN(std::string freeze, ReadTrimmed(FreezeFile()));
    if (ReadKeyOrZero(dir_ + "/cgroup.events", "frozen") == 1) return FreezerState::kFrozen;
    return freeze == "1" ? FreezerState::kFreezing : FreezerState::kThawed;
  }

  absl::StatusOr<CgroupStats> Stats() override {
    CgroupStats stats;
    std::string cpu_stat = dir_ + "/cpu.stat";
    stats.cpu.usage_ns = ReadKeyOrZero(cpu_stat, "usage_usec") * 1000;
    stats.cpu.user_ns = ReadKeyOrZero(cpu_stat, "user_usec") * 1000;
    stats.cpu.system_ns = ReadKeyOrZero(cpu_stat, "system_usec") * 1000;
    if (Exists(dir_ + "/memory.current")) {
      BERTH_ASSIGN_OR_RETURN(stats.memory.usage, cgroupfs::ReadUint(dir_ + "/memory.current"));
      if (auto max = cgroupfs::ReadUint(dir_ + "/memory.max"); max.ok()) stats.memory.limit = *max;
      if (auto peak = cgroupfs::ReadUint(dir_ + "/memory.peak"); peak.ok()) {
        stats.memory.max_usage = *peak;
      }
      stats.memory.cache = ReadKeyOrZero(dir_ + "/memory.stat", "file");
      stats.memory.rss = ReadKeyOrZero(dir_ + "/memory.stat", "anon");
      stats.memory.inactive_file = ReadKeyOrZero(dir_ + "/memory.stat", "inactive_file");
      if (auto swap = cgroupfs::ReadUint(dir_ + "/memory.swap.current"); swap.ok()) {
        stats.memory.swap = *swap;
      }
      stats.oom_kill_count = ReadKeyOrZero(dir_ + "/memory.events", "oom_kill");
    }
    if (Exists(dir_ + "/pids.current")) {
      BERTH_ASSIGN_OR_RETURN(stats.pids.current, cgroupfs::ReadUint(dir_ + "/pids.current"));
      if (auto max = cgroupfs::ReadUint(dir_ + "/pids.max"); max.ok()) stats.pids.limit = *max;
    }
    // io.stat: "8:0 rbytes=4096 wbytes=0 rios=1 wios=0 dbytes=0 dios=0" per device.
    if (auto io = cgroupfs::ReadFile(dir_ + "/io.stat"); io.ok()) {
      for (absl::string_view field :
           absl::StrSplit(*io, absl::ByAnyChar(" \n"), absl::SkipEmpty())) {
        uint64_t n = 0;
        if (absl::ConsumePrefix(&field, "rbytes=") && absl::SimpleAtoi(field, &n)) {
          stats.block_io.bytes_read += n;
        } else if (absl::ConsumePrefix(&field, "wbytes=") && absl::SimpleAtoi(field, &n)) {
          stats.block_io.bytes_written += n;
        }
      }
    }
    return stats;
  }

  absl::StatusOr<UniqueFd> OomEventFd() override {
    BERTH_ASSIGN_OR_RETURN(std::string events, Need("memory.events"));
    UniqueFd fd(inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
    if (!fd) return absl::ErrnoToStatus(errno, "creating an inotify fd for OOM events");
    if (inotify_add_watch(fd.get(), events.c_str(), IN_MODIFY) < 0) {
      return absl::ErrnoToStatus(errno, absl::StrCat("watching ", events));
    }
    return fd;
  }

  absl::StatusOr<uint64_t> OomKillCount() override {
    BERTH_ASSIGN_OR_RETURN(std::string events, Need("memory.events"));
    BERTH_ASSIGN_OR_RETURN(std::string text, cgroupfs::ReadFile(events));
    return cgroupfs::ParseFlatKeyed(text)["oom_kill"];
  }

  std::vector<pid_t> Pids() override { return cgroupfs::ReadPidsRecursive(dir_); }

  absl::Status Kill(int signal) override {
    if (signal == SIGKILL && Exists(dir_ + "/cgroup.kill")) {
      return WriteFile(dir_ + "/cgroup.kill", "1");  // Linux 5.14: the kernel does it all
    }
    return SignalAllProcesses(*this, signal, signal == SIGKILL && Exists(FreezeFile()));
  }

  absl::Status Destroy() override {
    if (!owned_ || made_leaf_) BERTH_RETURN_IF_ERROR(cgroupfs::RemoveCgroupTree(dir_));
    // Parents may have gained other cgroups meanwhile: those keep them.
    for (auto it = created_.rbegin(); it != created_.rend(); ++it) rmdir(it->c_str());
    destroyed_ = true;
    return absl::OkStatus();
  }

  void Release() override { owned_ = false; }

 private:
  std::string FreezeFile() const { return dir_ + "/cgroup.freeze"; }

  // Turns on every controller `dir` offers its children. Failures are left to show up
  // as the missing files Write() explains (a cgroup holding processes cannot delegate).
  void EnableControllers(const std::string& dir) {
    std::vector<std::string> enabled = Words(dir + "/cgroup.subtree_control");
    for (const std::string& controller : Words(dir + "/cgroup.controllers")) {
      if (std::find(enabled.begin(), enabled.end(), controller) != enabled.end()) continue;
      (void)WriteFile(dir + "/cgroup.subtree_control", "+" + controller);
    }
  }

  absl::StatusOr<std::string> Need(absl::string_view file) const {
    std::string path = absl::StrCat(dir_, "/", file);
    if (Exists(path)) return path;
    std::string parent = dir_.substr(0, dir_.rfind('/'));
    absl::string_view controller = file.substr(0, file.find('.'));
    return absl::FailedPreconditionError(absl::StrCat(
        path, " does not exist: the ", controller, " controller is not enabled for this cgroup (",
        parent, "/cgroup.subtree_control has: ",
        absl::StrJoin(Words(parent + "/cgroup.subtree_control"), " "), ")"));
  }

  absl::Status Write(absl::string_view file, absl::string_view value) {
    BERTH_ASSIGN_OR_RETURN(std::string path, Need(file));
    return WriteFile(path, value);
  }

  absl::Status ApplyMemory(const CgroupMemory& m) {
    if (m.swappiness) {
      return absl::InvalidArgumentError("memory swappiness is a cgroup v1 setting; v2 has none");
    }
    if (m.disable_oom_killer) {
      return absl::InvalidArgumentError(
          "disabling the OOM killer is a cgroup v1 setting; v2 has none");
    }
    BERTH_ASSIGN_OR_RETURN(std::optional<int64_t> swap, SwapMax(m));
    if (m.limit && *m.limit != 0) BERTH_RETURN_IF_ERROR(Write("memory.max", MaxOr(*m.limit)));
    if (swap) {
      if (Exists(dir_ + "/memory.swap.max")) {
        BERTH_RETURN_IF_ERROR(Write("memory.swap.max", MaxOr(*swap)));
      } else if (*swap >= 0) {  // "max" on a kernel without swap accounting changes nothing
        BERTH_RETURN_IF_ERROR(Need("memory.max").status());
        return absl::FailedPreconditionError(
            absl::StrCat("a memory+swap limit was asked for, but ", dir_,
                         "/memory.swap.max does not exist: the kernel does not account swap"));
      }
    }
    if (m.reservation) BERTH_RETURN_IF_ERROR(Write("memory.low", MaxOr(*m.reservation)));
    if (m.oom_group) BERTH_RETURN_IF_ERROR(Write("memory.oom.group", *m.oom_group ? "1" : "0"));
    return absl::OkStatus();
  }

  absl::Status ApplyCpu(const CgroupCpu& c) {
    if (c.realtime_runtime.value_or(0) != 0 || c.realtime_period.value_or(0) != 0) {
      return absl::InvalidArgumentError(
          "realtime CPU limits (cpu.rt_runtime_us, cpu.rt_period_us) are cgroup v1 settings; "
          "v2 has none");
    }
    if (c.shares.value_or(0) != 0) {
      BERTH_RETURN_IF_ERROR(Write("cpu.weight", absl::StrCat(CpuSharesToWeight(*c.shares))));
    }
    if (c.quota || c.period) {
      // cpu.max is "quota period"; keep the half that was not asked for.
      BERTH_ASSIGN_OR_RETURN(std::string file, Need("cpu.max"));
      std::vector<std::string> current = Words(file);
      std::string quota = c.quota ? MaxOr(*c.quota) : (current.empty() ? "max" : current[0]);
      std::string period =
          c.period ? absl::StrCat(*c.period) : (current.size() < 2 ? "100000" : current[1]);
      BERTH_RETURN_IF_ERROR(WriteFile(file, absl::StrCat(quota, " ", period)));
    }
    if (!c.cpus.empty()) BERTH_RETURN_IF_ERROR(Write("cpuset.cpus", c.cpus));
    if (!c.mems.empty()) BERTH_RETURN_IF_ERROR(Write("cpuset.mems", c.mems));
    return absl::OkStatus();
  }

  absl::Status ApplyIo(const CgroupBlockIo& b) {
    // BFQ takes the v1 scale as is; io.weight has its own.
    bool bfq = Exists(dir_ + "/io.bfq.weight");
    auto weight = [&](uint64_t w) { return absl::StrCat(bfq ? w : BlkioWeightToIoWeight(w)); };
    std::string weight_file = bfq ? "io.bfq.weight" : "io.weight";
    if (b.weight) BERTH_RETURN_IF_ERROR(Write(weight_file, "default " + weight(*b.weight)));
    for (const CgroupDeviceWeight& w : b.device_weights) {
      BERTH_RETURN_IF_ERROR(
          Write(weight_file, absl::StrCat(w.major, ":", w.minor, " ", weight(w.weight))));
    }
    const std::pair<const char*, const std::vector<CgroupDeviceRate>*> limits[] = {
        {"rbps", &b.read_bps},
        {"wbps", &b.write_bps},
        {"riops", &b.read_iops},
        {"wiops", &b.write_iops}};
    for (const auto& [key, rates] : limits) {
      for (const CgroupDeviceRate& r : *rates) {
        BERTH_RETURN_IF_ERROR(
            Write("io.max", absl::StrCat(r.major, ":", r.minor, " ", key, "=", r.rate)));
      }
    }
    return absl::OkStatus();
  }

  absl::Status SetFrozen(bool frozen) {
    if (!Exists(FreezeFile())) {
      return absl::UnimplementedError(absl::StrCat(
          FreezeFile(), " does not exist: this kernel has no cgroup v2 freezer (Linux 5.2)"));
    }
    BERTH_RETURN_IF_ERROR(WriteFile(FreezeFile(), frozen ? "1" : "0"));
    std::string events = dir_ + "/cgroup.events";
    return cgroupfs::WaitFor(
        [&]() -> absl::StatusOr<bool> {
          BERTH_ASSIGN_OR_RETURN(std::string text, cgroupfs::ReadFile(events));
          return cgroupfs::ParseFlatKeyed(text)["frozen"] == (frozen ? 1u : 0u);
        },
        kFreezeTimeout, absl::StrCat(events, " to read frozen ", frozen ? 1 : 0));
  }

  std::string mountpoint_;
  std::string cgroup_path_;
  std::string dir_;
  std::string own_dir_;
  std::vector<std::string> created_;
  bool owned_;
  bool manage_controllers_;
  bool made_leaf_ = false;
  bool destroyed_ = false;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Cgroup>> MakeV2Cgroup(const CgroupLayout& layout,
                                                     const std::string& cleaned, bool create,
                                                     bool manage_controllers) {
  if (layout.unified_mountpoint.empty()) {
    return absl::FailedPreconditionError("no cgroup v2 file system is mounted");
  }
  std::string cgroup_path = NestCgroupPath(layout.unified_own_path, cleaned);
  auto cgroup = std::make_unique<V2Cgroup>(
      layout.unified_mountpoint, cgroup_path,
      CgroupDirectory(layout.unified_mountpoint, layout.unified_root, cgroup_path),
      CgroupDirectory(layout.unified_mountpoint, layout.unified_root, layout.unified_own_path),
      create, manage_controllers);
  // On failure the handle's destructor removes whatever Create() made.
  BERTH_RETURN_IF_ERROR(create ? cgroup->Create() : cgroup->Open());
  return cgroup;
}

}  // namespace berth::oci
