#include "services/runtime/supervisor/spec_options.h"

#include <cstdio>
#include <string>
#include <vector>

namespace berth::runtime {
namespace {

template <typename Field>
std::vector<std::string> Strings(const Field& field) {
  return std::vector<std::string>(field.begin(), field.end());
}

}  // namespace

ContainerOptions OptionsFromSpec(const v1::ContainerSpec& spec) {
  ContainerOptions options;
  if (spec.has_entrypoint()) options.entrypoint = Strings(spec.entrypoint().args());
  if (spec.has_cmd()) options.cmd = Strings(spec.cmd().args());
  options.env = Strings(spec.env());
  options.user = spec.user();
  options.working_dir = spec.working_dir();
  options.hostname = spec.hostname();
  options.domainname = spec.domainname();
  options.tty = spec.tty();
  options.open_stdin = spec.open_stdin();

  const v1::Resources& r = spec.resources();
  ContainerResources& resources = options.resources;
  resources.memory_bytes = r.memory_bytes();
  resources.memory_swap_bytes = r.memory_swap_bytes();
  resources.memory_reservation_bytes = r.memory_reservation_bytes();
  if (r.has_memory_swappiness()) resources.memory_swappiness = r.memory_swappiness();
  resources.nano_cpus = r.nano_cpus();
  resources.cpu_shares = r.cpu_shares();
  resources.cpu_period_us = r.cpu_period_us();
  resources.cpu_quota_us = r.cpu_quota_us();
  resources.cpuset_cpus = r.cpuset_cpus();
  resources.cpuset_mems = r.cpuset_mems();
  resources.pids_limit = r.pids_limit();
  resources.blkio_weight = r.blkio_weight();
  resources.oom_kill_disable = r.oom_kill_disable();
  resources.oom_score_adj = r.oom_score_adj();
  for (const v1::Ulimit& ulimit : r.ulimits()) {
    Ulimit limit;
    limit.name = ulimit.name();
    limit.soft = ulimit.soft();
    limit.hard = ulimit.hard();
    resources.ulimits.push_back(limit);
  }
  for (const v1::DeviceMapping& device : r.devices()) {
    DeviceMapping mapping;
    mapping.path_on_host = device.path_on_host();
    mapping.path_in_container = device.path_in_container();
    mapping.cgroup_permissions = device.cgroup_permissions();
    resources.devices.push_back(mapping);
  }
  resources.device_cgroup_rules = Strings(r.device_cgroup_rules());

  const v1::SecurityOptions& s = spec.security();
  SecurityOptions& security = options.security;
  security.privileged = s.privileged();
  security.cap_add = Strings(s.cap_add());
  security.cap_drop = Strings(s.cap_drop());
  security.security_opts = Strings(s.security_opts());
  security.read_only_rootfs = s.read_only_rootfs();
  security.no_new_privileges = s.no_new_privileges();
  security.seccomp_profile = s.seccomp_profile();
  security.group_add = Strings(s.group_add());
  if (s.has_masked_paths()) security.masked_paths = Strings(s.masked_paths().paths());
  if (s.has_readonly_paths()) security.readonly_paths = Strings(s.readonly_paths().paths());

  options.sysctls.insert(spec.sysctls().begin(), spec.sysctls().end());
  options.shm_size_bytes = spec.shm_size_bytes();
  for (const types::v1::MountRequest& mount : spec.mounts()) {
    // Only tmpfs mounts are the runtime's own; volumes and binds come from the volume
    // service once it resolves them.
    if (mount.has_tmpfs()) {
      std::string tmpfs_options = mount.read_only() ? "ro" : "";
      if (mount.tmpfs().size_bytes() > 0) {
        if (!tmpfs_options.empty()) tmpfs_options += ",";
        tmpfs_options += "size=" + std::to_string(mount.tmpfs().size_bytes());
      }
      if (mount.tmpfs().mode() != 0) {
        if (!tmpfs_options.empty()) tmpfs_options += ",";
        char mode[16];
        std::snprintf(mode, sizeof(mode), "mode=%o", mount.tmpfs().mode());
        tmpfs_options += mode;
      }
      for (const std::string& extra : mount.tmpfs().options()) {
        if (!tmpfs_options.empty()) tmpfs_options += ",";
        tmpfs_options += extra;
      }
      options.tmpfs[mount.target()] = tmpfs_options;
    }
  }
  options.pid_mode = spec.namespaces().pid();
  options.ipc_mode = spec.namespaces().ipc();
  options.uts_mode = spec.namespaces().uts();
  if (spec.network().mode() == "host") options.network_namespace_path = "host";
  options.cgroups_path = spec.cgroup_parent();
  options.annotations.insert(spec.annotations().begin(), spec.annotations().end());
  return options;
}

RestartPolicy PolicyFromSpec(const v1::ContainerSpec& spec) {
  RestartPolicy policy;
  switch (spec.restart_policy()) {
    case v1::RESTART_POLICY_ALWAYS:
      policy.name = RestartPolicyName::kAlways;
      break;
    case v1::RESTART_POLICY_ON_FAILURE:
      policy.name = RestartPolicyName::kOnFailure;
      policy.max_retries = spec.restart_max_retries();
      break;
    case v1::RESTART_POLICY_UNLESS_STOPPED:
      policy.name = RestartPolicyName::kUnlessStopped;
      break;
    default:
      break;
  }
  return policy;
}

ImageRuntimeConfig ImageConfigFromProto(const images::v1::ImageConfig& config) {
  ImageRuntimeConfig out;
  out.user = config.user();
  out.env = Strings(config.env());
  out.entrypoint = Strings(config.entrypoint());
  out.cmd = Strings(config.cmd());
  out.working_dir = config.working_dir();
  out.labels.insert(config.labels().begin(), config.labels().end());
  out.stop_signal = config.stop_signal();
  out.volumes = Strings(config.volumes());
  out.exposed_ports = Strings(config.exposed_ports());
  const types::v1::HealthcheckConfig& health = config.healthcheck();
  out.healthcheck.test = Strings(health.test());
  auto nanos = [](const google::protobuf::Duration& d) {
    return d.seconds() * 1000000000 + d.nanos();
  };
  out.healthcheck.interval_ns = nanos(health.interval());
  out.healthcheck.timeout_ns = nanos(health.timeout());
  out.healthcheck.start_period_ns = nanos(health.start_period());
  out.healthcheck.start_interval_ns = nanos(health.start_interval());
  out.healthcheck.retries = health.retries();
  return out;
}

}  // namespace berth::runtime
