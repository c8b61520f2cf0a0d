// What a container's OCI spec is generated from, as plain structs: the image's run
// configuration and the user's `docker run` options (berth.runtime.v1.ContainerSpec,
// filled in by the gRPC adapter). No logic here beyond defaults.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace berth::runtime {

// Where `--init` puts the init in the container: Docker's path, which scripts check.
inline constexpr char kContainerInitPath[] = "/sbin/docker-init";

// A HEALTHCHECK as an image or `--health-*` gives it. Zero durations and retries mean
// "not given" (Docker's defaults then: 30 s interval and timeout, 3 retries).
struct HealthcheckSettings {
  std::vector<std::string> test;  // [] inherit; ["NONE"]; ["CMD", argv…]; ["CMD-SHELL", cmd]
  int64_t interval_ns = 0;
  int64_t timeout_ns = 0;
  int64_t start_period_ns = 0;
  int64_t start_interval_ns = 0;
  int retries = 0;
};

// The parts of an image's config (OCI image config "config") that shape a container.
struct ImageRuntimeConfig {
  std::string user;
  std::vector<std::string> env;  // "KEY=value"
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::string working_dir;
  std::map<std::string, std::string> labels;
  std::string stop_signal;
  std::vector<std::string> volumes;        // container paths
  std::vector<std::string> exposed_ports;  // "80/tcp"
  HealthcheckSettings healthcheck;
};

// `--ulimit name=soft[:hard]`; name without the RLIMIT_ prefix ("nofile").
struct Ulimit {
  std::string name;
  int64_t soft = 0;
  int64_t hard = 0;
};

// `--device host[:container[:perms]]`.
struct DeviceMapping {
  std::string path_on_host;
  std::string path_in_container;   // empty: same as on the host
  std::string cgroup_permissions;  // subset of "rwm"; empty: "rwm"
};

// cgroup limits; zero means "no limit" unless a field says otherwise.
struct ContainerResources {
  int64_t memory_bytes = 0;
  int64_t memory_swap_bytes = 0;  // memory + swap; -1 unlimited; 0 twice memory_bytes
  int64_t memory_reservation_bytes = 0;
  std::optional<int64_t> memory_swappiness;  // 0..100; unset: inherit
  int64_t nano_cpus = 0;                     // `--cpus 1.5` is 1500000000
  int64_t cpu_shares = 0;
  int64_t cpu_period_us = 0;
  int64_t cpu_quota_us = 0;
  std::string cpuset_cpus;  // "0-3,7"
  std::string cpuset_mems;
  int64_t pids_limit = 0;     // <= 0: unlimited
  uint32_t blkio_weight = 0;  // 10..1000; 0: unset
  bool oom_kill_disable = false;
  int32_t oom_score_adj = 0;  // -1000..1000
  std::vector<Ulimit> ulimits;
  std::vector<DeviceMapping> devices;
  std::vector<std::string> device_cgroup_rules;  // "c 1:3 mr"
};

// Privileges and confinement.
struct SecurityOptions {
  bool privileged = false;
  std::vector<std::string> cap_add;  // "NET_ADMIN", "CAP_NET_ADMIN", "all"
  std::vector<std::string> cap_drop;
  // `--security-opt` values: "no-new-privileges[:true|false]", "seccomp=unconfined",
  // "systempaths=unconfined", "apparmor=…", "label=…".
  std::vector<std::string> security_opts;
  bool read_only_rootfs = false;
  bool no_new_privileges = false;
  // "" Docker's default profile, "unconfined", or a profile as JSON text.
  std::string seccomp_profile;
  std::vector<std::string> group_add;  // names or gids
  // Overrides of the masked and read-only /proc and /sys paths; unset: Docker's.
  std::optional<std::vector<std::string>> masked_paths;
  std::optional<std::vector<std::string>> readonly_paths;
};

// A mount already resolved by the volume service, put into the spec as given.
struct MountSpec {
  std::string destination;
  std::string type;  // "bind", "tmpfs", "overlay"…
  std::string source;
  std::vector<std::string> options;
};

// The user's `docker run` options. Unset optionals mean "not given": the image's value
// applies. A command given empty (`--entrypoint ""`) differs from one not given.
struct ContainerOptions {
  std::optional<std::vector<std::string>> entrypoint;
  std::optional<std::vector<std::string>> cmd;
  std::vector<std::string> env;  // "KEY=value", over the image's
  std::string user;              // "" the image's; "uid[:gid]" or "name[:group]"
  std::string working_dir;       // "" the image's
  std::string hostname;          // "" the first 12 characters of the id
  std::string domainname;
  bool tty = false;
  bool open_stdin = false;
  ContainerResources resources;
  SecurityOptions security;
  std::map<std::string, std::string> sysctls;
  int64_t shm_size_bytes = 0;  // 0: 64 MiB
  // `--tmpfs`: destination → options ("rw,size=64m,mode=1777"; may be empty).
  std::map<std::string, std::string> tmpfs;
  std::vector<MountSpec> mounts;  // volumes and binds, appended as given
  // `--pid`/`--ipc`/`--uts`: "" a private namespace, "host" the host's.
  std::string pid_mode;
  std::string ipc_mode;
  std::string uts_mode;
  // Namespaces to join, type ("pid", "ipc", "uts", "cgroup"…) → path; "container:<x>"
  // modes arrive here already resolved.
  std::map<std::string, std::string> join_namespaces;
  // "" a new network namespace; "host" the host's; otherwise a netns path to join.
  std::string network_namespace_path;
  std::string cgroups_path;  // overrides BuildContext's when not empty
  // `--init`: the host path of the init (berth-init), bound read-only at
  // kContainerInitPath and run as the process with the command after "--"; "" none.
  std::string init_path;
  std::map<std::string, std::string> annotations;
};

}  // namespace berth::runtime
