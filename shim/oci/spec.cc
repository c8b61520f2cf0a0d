#include "shim/oci/spec.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "shim/oci/spec_json.h"
#include "shim/oci/spec_validate.h"

namespace berth::oci {

// Each struct's JSON keys, in the order the runtime-spec's Go types list them. Read by
// JsonReader (spec_json.h) and written by JsonWriter; found by argument-dependent lookup.
// kAlways marks the fields Go writes without omitempty. Static: other files describe
// their own structs.
namespace {
constexpr Presence kRequired = Presence::kRequired;
constexpr Presence kAlways = Presence::kAlways;
}  // namespace

template <typename V>
static void Fields(V& v, ConsoleSize& c) {
  v("height", c.height, kAlways);
  v("width", c.width, kAlways);
}

template <typename V>
static void Fields(V& v, User& u) {
  v("uid", u.uid, kAlways);
  v("gid", u.gid, kAlways);
  v("umask", u.umask);
  v("additionalGids", u.additional_gids);
}

template <typename V>
static void Fields(V& v, Capabilities& c) {
  v("bounding", c.bounding);
  v("effective", c.effective);
  v("inheritable", c.inheritable);
  v("permitted", c.permitted);
  v("ambient", c.ambient);
}

template <typename V>
static void Fields(V& v, Rlimit& r) {
  v("type", r.type, kRequired);
  v("hard", r.hard, kAlways);
  v("soft", r.soft, kAlways);
}

template <typename V>
static void Fields(V& v, Process& p) {
  v("terminal", p.terminal);
  v("consoleSize", p.console_size);
  v("user", p.user, kAlways);
  v("args", p.args);
  v("env", p.env);
  v("cwd", p.cwd, kRequired);
  v("capabilities", p.capabilities);
  v("rlimits", p.rlimits);
  v("noNewPrivileges", p.no_new_privileges);
  v("apparmorProfile", p.apparmor_profile);
  v("oomScoreAdj", p.oom_score_adj);
  v("selinuxLabel", p.selinux_label);
}

template <typename V>
static void Fields(V& v, Root& r) {
  v("path", r.path, kRequired);
  v("readonly", r.readonly);
}

template <typename V>
static void Fields(V& v, Mount& m) {
  v("destination", m.destination, kRequired);
  v("type", m.type);
  v("source", m.source);
  v("options", m.options);
}

template <typename V>
static void Fields(V& v, Hook& h) {
  v("path", h.path, kRequired);
  v("args", h.args);
  v("env", h.env);
  v("timeout", h.timeout);
}

template <typename V>
static void Fields(V& v, Hooks& h) {
  v("prestart", h.prestart);
  v("createRuntime", h.create_runtime);
  v("createContainer", h.create_container);
  v("startContainer", h.start_container);
  v("poststart", h.poststart);
  v("poststop", h.poststop);
}

template <typename V>
static void Fields(V& v, Namespace& n) {
  v("type", n.type, kRequired);
  v("path", n.path);
}

template <typename V>
static void Fields(V& v, IdMapping& m) {
  v("containerID", m.container_id, kAlways);
  v("hostID", m.host_id, kAlways);
  v("size", m.size, kAlways);
}

template <typename V>
static void Fields(V& v, Device& d) {
  v("path", d.path, kRequired);
  v("type", d.type, kRequired);
  v("major", d.major, kAlways);
  v("minor", d.minor, kAlways);
  v("fileMode", d.file_mode);
  v("uid", d.uid);
  v("gid", d.gid);
}

template <typename V>
static void Fields(V& v, DeviceRule& d) {
  v("allow", d.allow, kRequired);
  v("type", d.type);
  v("major", d.major);
  v("minor", d.minor);
  v("access", d.access);
}

template <typename V>
static void Fields(V& v, Memory& m) {
  v("limit", m.limit);
  v("reservation", m.reservation);
  v("swap", m.swap);
  v("kernel", m.kernel);
  v("kernelTCP", m.kernel_tcp);
  v("swappiness", m.swappiness);
  v("disableOOMKiller", m.disable_oom_killer);
  v("useHierarchy", m.use_hierarchy);
  v("checkBeforeUpdate", m.check_before_update);
}

template <typename V>
static void Fields(V& v, Cpu& c) {
  v("shares", c.shares);
  v("quota", c.quota);
  v("burst", c.burst);
  v("period", c.period);
  v("realtimeRuntime", c.realtime_runtime);
  v("realtimePeriod", c.realtime_period);
  v("cpus", c.cpus);
  v("mems", c.mems);
  v("idle", c.idle);
}

template <typename V>
static void Fields(V& v, Pids& p) {
  v("limit", p.limit);
}

template <typename V>
static void Fields(V& v, WeightDevice& w) {
  v("major", w.major, kAlways);
  v("minor", w.minor, kAlways);
  v("weight", w.weight);
  v("leafWeight", w.leaf_weight);
}

template <typename V>
static void Fields(V& v, ThrottleDevice& t) {
  v("major", t.major, kAlways);
  v("minor", t.minor, kAlways);
  v("rate", t.rate, kAlways);
}

template <typename V>
static void Fields(V& v, BlockIo& b) {
  v("weight", b.weight);
  v("leafWeight", b.leaf_weight);
  v("weightDevice", b.weight_device);
  v("throttleReadBpsDevice", b.throttle_read_bps_device);
  v("throttleWriteBpsDevice", b.throttle_write_bps_device);
  v("throttleReadIOPSDevice", b.throttle_read_iops_device);
  v("throttleWriteIOPSDevice", b.throttle_write_iops_device);
}

template <typename V>
static void Fields(V& v, HugepageLimit& h) {
  v("pageSize", h.page_size, kRequired);
  v("limit", h.limit, kAlways);
}

template <typename V>
static void Fields(V& v, InterfacePriority& p) {
  v("name", p.name, kAlways);
  v("priority", p.priority, kAlways);
}

template <typename V>
static void Fields(V& v, Network& n) {
  v("classID", n.class_id);
  v("priorities", n.priorities);
}

template <typename V>
static void Fields(V& v, Resources& r) {
  v("devices", r.devices);
  v("memory", r.memory);
  v("cpu", r.cpu);
  v("pids", r.pids);
  v("blockIO", r.block_io);
  v("hugepageLimits", r.hugepage_limits);
  v("network", r.network);
  v("unified", r.unified);
}

template <typename V>
static void Fields(V& v, SyscallArg& a) {
  v("index", a.index, kAlways);
  v("value", a.value, kAlways);
  v("valueTwo", a.value_two);
  v("op", a.op, kRequired);
}

template <typename V>
static void Fields(V& v, Syscall& s) {
  v("names", s.names, kRequired);
  v("action", s.action, kRequired);
  v("errnoRet", s.errno_ret);
  v("args", s.args);
}

template <typename V>
static void Fields(V& v, Seccomp& s) {
  v("defaultAction", s.default_action, kRequired);
  v("defaultErrnoRet", s.default_errno_ret);
  v("architectures", s.architectures);
  v("flags", s.flags);
  v("listenerPath", s.listener_path);
  v("listenerMetadata", s.listener_metadata);
  v("syscalls", s.syscalls);
}

template <typename V>
static void Fields(V& v, Personality& p) {
  v("domain", p.domain, kRequired);
  v("flags", p.flags);
}

template <typename V>
static void Fields(V& v, TimeOffset& t) {
  v("secs", t.secs);
  v("nanosecs", t.nanosecs);
}

template <typename V>
static void Fields(V& v, Linux& l) {
  v("uidMappings", l.uid_mappings);
  v("gidMappings", l.gid_mappings);
  v("sysctl", l.sysctl);
  v("resources", l.resources);
  v("cgroupsPath", l.cgroups_path);
  v("namespaces", l.namespaces);
  v("devices", l.devices);
  v("seccomp", l.seccomp);
  v("rootfsPropagation", l.rootfs_propagation);
  v("maskedPaths", l.masked_paths);
  v("readonlyPaths", l.readonly_paths);
  v("mountLabel", l.mount_label);
  v("personality", l.personality);
  v("timeOffsets", l.time_offsets);
}

template <typename V>
static void Fields(V& v, Spec& s) {
  v("ociVersion", s.oci_version, kRequired);
  v("process", s.process);
  v("root", s.root, kRequired);
  v("hostname", s.hostname);
  v("domainname", s.domainname);
  v("mounts", s.mounts);
  v("hooks", s.hooks);
  v("annotations", s.annotations);
  v("linux", s.linux_config, kAlways);
}

namespace {

// A config.json bigger than this is not a config (runc's are a few KiB; seccomp ~30 KiB).
constexpr size_t kMaxConfigBytes = 16 << 20;

absl::StatusOr<Spec> ParseSpecFrom(absl::string_view json, absl::string_view source) {
  auto with_source = [source](const absl::Status& s) {
    return absl::Status(s.code(), absl::StrCat(source, ": ", s.message()));
  };
  absl::StatusOr<Json> parsed = ParseJson(json);
  if (!parsed.ok()) return with_source(parsed.status());
  Spec spec;
  if (absl::Status s = Decode(*parsed, "", spec); !s.ok()) return with_source(s);
  if (absl::Status s = ValidateSpec(spec); !s.ok()) return with_source(s);
  return spec;
}

}  // namespace

absl::StatusOr<Spec> ParseSpec(absl::string_view json) {
  return ParseSpecFrom(json, "config.json");
}

absl::StatusOr<Spec> LoadSpec(const std::string& bundle_dir) {
  std::string path = absl::StrCat(bundle_dir, "/config.json");
  BERTH_ASSIGN_OR_RETURN(std::string text, ReadSmallFile(path, kMaxConfigBytes));
  return ParseSpecFrom(text, path);
}

std::string SerializeSpec(const Spec& spec) { return DumpJson(Encode(spec)); }

absl::StatusOr<Process> ParseProcess(absl::string_view json) {
  // Checked as the process of a minimal spec, so every rule of ValidateSpec applies.
  BERTH_ASSIGN_OR_RETURN(
      Spec spec,
      ParseSpecFrom(
          absl::StrCat(R"({"ociVersion":"1.2.0","root":{"path":"rootfs"},"process":)", json, "}"),
          "process"));
  return *std::move(spec.process);
}

std::string SerializeProcess(const Process& process) { return DumpJson(Encode(process)); }

}  // namespace berth::oci
