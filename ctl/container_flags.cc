#include "ctl/container_flags.h"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"

namespace berth::ctl {
namespace {

using runtime::v1::ContainerSpec;

absl::Status Invalid(const std::string& value, const std::string& flag, absl::string_view reason) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid argument \"", value, "\" for \"", flag, "\" flag: ", reason));
}

// "k=v" → (k, v); "k" → (k, "").
std::pair<std::string, std::string> KeyValue(const std::string& text) {
  return absl::StrSplit(text, absl::MaxSplits('=', 1));
}

absl::StatusOr<int64_t> SizeFlag(const std::string& value, const std::string& flag) {
  absl::StatusOr<int64_t> size = ParseSize(value);
  if (!size.ok()) return Invalid(value, flag, size.status().message());
  return *size;
}

absl::Status SetDuration(const std::string& value, const std::string& flag,
                         google::protobuf::Duration* out) {
  if (value.empty()) return absl::OkStatus();
  absl::StatusOr<absl::Duration> d = ParseGoDuration(value);
  if (!d.ok()) return Invalid(value, flag, d.status().message());
  const int64_t nanos = absl::ToInt64Nanoseconds(*d);
  out->set_seconds(nanos / 1000000000);
  out->set_nanos(static_cast<int32_t>(nanos % 1000000000));
  return absl::OkStatus();
}

// "8080" or "8080-8081" → first and last (0 when no range).
bool ParsePortRange(absl::string_view text, uint32_t* first, uint32_t* last) {
  std::pair<std::string, std::string> range = absl::StrSplit(text, absl::MaxSplits('-', 1));
  *last = 0;
  if (!absl::SimpleAtoi(range.first, first) || *first > 65535) return false;
  if (text.find('-') != absl::string_view::npos &&
      (!absl::SimpleAtoi(range.second, last) || *last < *first || *last > 65535)) {
    return false;
  }
  return true;
}

types::v1::MountPropagation PropagationOf(absl::string_view option) {
  static const std::pair<const char*, types::v1::MountPropagation> kModes[] = {
      {"private", types::v1::MOUNT_PROPAGATION_PRIVATE},
      {"rprivate", types::v1::MOUNT_PROPAGATION_RPRIVATE},
      {"shared", types::v1::MOUNT_PROPAGATION_SHARED},
      {"rshared", types::v1::MOUNT_PROPAGATION_RSHARED},
      {"slave", types::v1::MOUNT_PROPAGATION_SLAVE},
      {"rslave", types::v1::MOUNT_PROPAGATION_RSLAVE}};
  for (const auto& [name, mode] : kModes) {
    if (option == name) return mode;
  }
  return types::v1::MOUNT_PROPAGATION_UNSPECIFIED;
}

}  // namespace

absl::Status SetResources(const ContainerFlags& f, runtime::v1::Resources& r) {
  if (!f.memory.empty()) {
    BERTH_ASSIGN_OR_RETURN(int64_t memory, SizeFlag(f.memory, "-m, --memory"));
    r.set_memory_bytes(memory);
  }
  if (f.memory_swap == "-1") {
    r.set_memory_swap_bytes(-1);
  } else if (!f.memory_swap.empty()) {
    BERTH_ASSIGN_OR_RETURN(int64_t swap, SizeFlag(f.memory_swap, "--memory-swap"));
    r.set_memory_swap_bytes(swap);
  }
  if (!f.memory_reservation.empty()) {
    BERTH_ASSIGN_OR_RETURN(int64_t reservation,
                           SizeFlag(f.memory_reservation, "--memory-reservation"));
    r.set_memory_reservation_bytes(reservation);
  }
  if (!f.cpus.empty()) {
    double cpus = 0;
    if (!absl::SimpleAtod(f.cpus, &cpus) || cpus < 0) {
      return Invalid(f.cpus, "--cpus", "failed to parse " + f.cpus + " as a rational number");
    }
    r.set_nano_cpus(static_cast<int64_t>(std::llround(cpus * 1e9)));
  }
  r.set_cpu_shares(f.cpu_shares);
  r.set_cpuset_cpus(f.cpuset_cpus);
  r.set_pids_limit(f.pids_limit);
  r.set_blkio_weight(f.blkio_weight);
  r.set_oom_kill_disable(f.oom_kill_disable);
  r.set_oom_score_adj(f.oom_score_adj);
  for (const std::string& text : f.ulimits) {
    auto [name, limits] = KeyValue(text);
    std::pair<std::string, std::string> soft_hard = absl::StrSplit(limits, absl::MaxSplits(':', 1));
    runtime::v1::Ulimit* u = r.add_ulimits();
    u->set_name(name);
    int64_t soft = 0, hard = 0;
    if (text.find('=') == std::string::npos || !absl::SimpleAtoi(soft_hard.first, &soft) ||
        (limits.find(':') != std::string::npos && !absl::SimpleAtoi(soft_hard.second, &hard))) {
      return Invalid(text, "--ulimit", "invalid ulimit argument: " + text);
    }
    u->set_soft(soft);
    u->set_hard(limits.find(':') == std::string::npos ? soft : hard);
  }
  return absl::OkStatus();
}

namespace {

absl::Status SetHealthcheck(const ContainerFlags& f, ContainerSpec& spec) {
  const bool any = !f.health_cmd.empty() || !f.health_interval.empty() ||
                   !f.health_timeout.empty() || !f.health_start_period.empty() ||
                   f.health_retries != 0;
  auto* hc = spec.mutable_healthcheck();
  if (f.no_healthcheck) {
    if (any)
      return absl::InvalidArgumentError("--no-healthcheck conflicts with --health-* options");
    hc->add_test("NONE");
    return absl::OkStatus();
  }
  if (!any) {
    spec.clear_healthcheck();
    return absl::OkStatus();
  }
  if (!f.health_cmd.empty()) {
    hc->add_test("CMD-SHELL");
    hc->add_test(f.health_cmd);
  }
  BERTH_RETURN_IF_ERROR(
      SetDuration(f.health_interval, "--health-interval", hc->mutable_interval()));
  BERTH_RETURN_IF_ERROR(SetDuration(f.health_timeout, "--health-timeout", hc->mutable_timeout()));
  BERTH_RETURN_IF_ERROR(
      SetDuration(f.health_start_period, "--health-start-period", hc->mutable_start_period()));
  if (f.health_interval.empty()) hc->clear_interval();
  if (f.health_timeout.empty()) hc->clear_timeout();
  if (f.health_start_period.empty()) hc->clear_start_period();
  if (f.health_retries < 0)
    return absl::InvalidArgumentError("--health-retries cannot be negative");
  hc->set_retries(f.health_retries);
  return absl::OkStatus();
}

}  // namespace

void AddContainerFlags(CLI::App& cmd, ContainerFlags& f) {
  cmd.prefix_command();  // IMAGE and everything after it are the container's
  cmd.add_option("--name", f.name, "Assign a name to the container");
  cmd.add_flag("-i,--interactive", f.interactive, "Keep STDIN open even if not attached");
  cmd.add_flag("-t,--tty", f.tty, "Allocate a pseudo-TTY");
  cmd.add_flag("--rm", f.auto_remove, "Automatically remove the container when it exits");
  cmd.add_option("-e,--env", f.env, "Set environment variables")->allow_extra_args(false);
  cmd.add_option("--env-file", f.env_files, "Read in a file of environment variables")
      ->allow_extra_args(false);
  cmd.add_option_function<std::string>(
      "--entrypoint", [&f](const std::string& v) { f.entrypoint = v; },
      "Overwrite the default ENTRYPOINT of the image");
  cmd.add_option("-u,--user", f.user, "Username or UID (format: <name|uid>[:<group|gid>])");
  cmd.add_option("-w,--workdir", f.workdir, "Working directory inside the container");
  cmd.add_option("-h,--hostname", f.hostname, "Container host name");
  cmd.add_option("-l,--label", f.labels, "Set meta data on a container")->allow_extra_args(false);
  cmd.add_option("--restart", f.restart, "Restart policy to apply when a container exits");
  cmd.add_option("--stop-signal", f.stop_signal, "Signal to stop the container");
  cmd.add_option_function<int>(
      "--stop-timeout", [&f](const int& v) { f.stop_timeout = v; },
      "Timeout (in seconds) to stop a container");
  cmd.add_option("--log-driver", f.log_driver, "Logging driver for the container");
  cmd.add_option("--log-opt", f.log_opts, "Log driver options")->allow_extra_args(false);
  cmd.add_flag("--privileged", f.privileged, "Give extended privileges to this container");
  cmd.add_option("--cap-add", f.cap_add, "Add Linux capabilities")->allow_extra_args(false);
  cmd.add_option("--cap-drop", f.cap_drop, "Drop Linux capabilities")->allow_extra_args(false);
  cmd.add_option("--security-opt", f.security_opts, "Security Options")->allow_extra_args(false);
  cmd.add_flag("--read-only", f.read_only, "Mount the container's root filesystem as read only");
  cmd.add_option("--tmpfs", f.tmpfs, "Mount a tmpfs directory")->allow_extra_args(false);
  cmd.add_option("--ulimit", f.ulimits, "Ulimit options")->allow_extra_args(false);
  cmd.add_option("--sysctl", f.sysctls, "Sysctl options")->allow_extra_args(false);
  cmd.add_option("--shm-size", f.shm_size, "Size of /dev/shm");
  cmd.add_flag_function(
      "--init", [&f](int64_t) { f.init = true; },
      "Run an init inside the container that forwards signals and reaps processes");
  cmd.add_option("-m,--memory", f.memory, "Memory limit");
  cmd.add_option("--memory-swap", f.memory_swap,
                 "Swap limit equal to memory plus swap: '-1' to enable unlimited swap");
  cmd.add_option("--memory-reservation", f.memory_reservation, "Memory soft limit");
  cmd.add_option("--cpus", f.cpus, "Number of CPUs");
  cmd.add_option("-c,--cpu-shares", f.cpu_shares, "CPU shares (relative weight)");
  cmd.add_option("--cpuset-cpus", f.cpuset_cpus, "CPUs in which to allow execution (0-3, 0,1)");
  cmd.add_option("--pids-limit", f.pids_limit, "Tune container pids limit (set -1 for unlimited)");
  cmd.add_option("--blkio-weight", f.blkio_weight,
                 "Block IO (relative weight), between 10 and 1000, or 0 to disable");
  cmd.add_flag("--oom-kill-disable", f.oom_kill_disable, "Disable OOM Killer");
  cmd.add_option("--oom-score-adj", f.oom_score_adj, "Tune host's OOM preferences (-1000 to 1000)");
  cmd.add_option("--network,--net", f.network, "Connect a container to a network");
  cmd.add_option("-p,--publish", f.publish, "Publish a container's port(s) to the host")
      ->allow_extra_args(false);
  cmd.add_flag("-P,--publish-all", f.publish_all, "Publish all exposed ports to random ports");
  cmd.add_option("--expose", f.expose, "Expose a port or a range of ports")
      ->allow_extra_args(false);
  cmd.add_option("--ip", f.ip, "IPv4 address (e.g., 172.30.100.104)");
  cmd.add_option("--mac-address", f.mac_address, "Container MAC address (e.g., 92:d0:c6:0a:29:33)");
  cmd.add_option("--network-alias", f.network_aliases, "Add network-scoped alias for the container")
      ->allow_extra_args(false);
  cmd.add_option("--dns", f.dns, "Set custom DNS servers")->allow_extra_args(false);
  cmd.add_option("--dns-search", f.dns_search, "Set custom DNS search domains")
      ->allow_extra_args(false);
  cmd.add_option("--dns-option", f.dns_options, "Set DNS options")->allow_extra_args(false);
  cmd.add_option("--add-host", f.add_hosts, "Add a custom host-to-IP mapping (host:ip)")
      ->allow_extra_args(false);
  cmd.add_option("-v,--volume", f.volumes, "Bind mount a volume")->allow_extra_args(false);
  cmd.add_option("--mount", f.mounts, "Attach a filesystem mount to the container")
      ->allow_extra_args(false);
  cmd.add_option("--volumes-from", f.volumes_from, "Mount volumes from the specified container(s)")
      ->allow_extra_args(false);
  cmd.add_option("--health-cmd", f.health_cmd, "Command to run to check health");
  cmd.add_option("--health-interval", f.health_interval, "Time between running the check");
  cmd.add_option("--health-timeout", f.health_timeout, "Maximum time to allow one check to run");
  cmd.add_option("--health-retries", f.health_retries,
                 "Consecutive failures needed to report unhealthy");
  cmd.add_option("--health-start-period", f.health_start_period,
                 "Start period for the container to initialize before starting health-retries "
                 "countdown");
  cmd.add_flag("--no-healthcheck", f.no_healthcheck, "Disable any container-specified HEALTHCHECK");
}

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError("open " + path + ": no such file or directory");
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

absl::StatusOr<types::v1::PortMapping> ParsePortMapping(const std::string& text) {
  types::v1::PortMapping out;
  const absl::Status invalid = absl::InvalidArgumentError("invalid port format: " + text);
  std::pair<std::string, std::string> port_proto = absl::StrSplit(text, absl::MaxSplits('/', 1));
  const std::string& proto = port_proto.second;
  if (proto.empty() || proto == "tcp") {
    out.set_protocol(types::v1::PORT_PROTOCOL_TCP);
  } else if (proto == "udp") {
    out.set_protocol(types::v1::PORT_PROTOCOL_UDP);
  } else if (proto == "sctp") {
    out.set_protocol(types::v1::PORT_PROTOCOL_SCTP);
  } else {
    return absl::InvalidArgumentError("invalid proto: " + proto);
  }
  std::string rest = port_proto.first;
  size_t last_colon = rest.rfind(':');
  uint32_t first = 0, last = 0;
  if (!ParsePortRange(last_colon == std::string::npos ? rest : rest.substr(last_colon + 1), &first,
                      &last)) {
    return invalid;
  }
  out.set_container_port(first);
  out.set_container_port_end(last);
  if (last_colon == std::string::npos) return out;
  rest = rest.substr(0, last_colon);
  size_t host_colon = rest.rfind(':');
  std::string host_port = host_colon == std::string::npos ? rest : rest.substr(host_colon + 1);
  if (host_colon != std::string::npos) {
    std::string ip = rest.substr(0, host_colon);
    if (ip.size() >= 2 && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
    out.set_host_ip(ip);
  }
  if (!host_port.empty()) {
    if (!ParsePortRange(host_port, &first, &last)) return invalid;
    out.set_host_port(first);
    out.set_host_port_end(last);
  }
  return out;
}

absl::StatusOr<types::v1::MountRequest> ParseVolume(const std::string& text) {
  std::vector<std::string> parts = absl::StrSplit(text, ':');
  if (parts.empty() || parts.size() > 3 || parts[0].empty()) {
    return absl::InvalidArgumentError("invalid volume specification: '" + text + "'");
  }
  types::v1::MountRequest out;
  if (parts.size() == 1) {  // an anonymous volume
    out.set_target(parts[0]);
    out.mutable_volume();
    return out;
  }
  out.set_target(parts[1]);
  if (out.target().empty() || out.target()[0] != '/') {
    return absl::InvalidArgumentError("invalid volume specification: '" + text + "'");
  }
  types::v1::MountPropagation propagation = types::v1::MOUNT_PROPAGATION_UNSPECIFIED;
  bool nocopy = false;
  if (parts.size() == 3) {
    for (absl::string_view option : absl::StrSplit(parts[2], ',')) {
      if (option == "ro") {
        out.set_read_only(true);
      } else if (option == "nocopy") {
        nocopy = true;
      } else if (PropagationOf(option) != types::v1::MOUNT_PROPAGATION_UNSPECIFIED) {
        propagation = PropagationOf(option);
      } else if (option != "rw" && option != "z" && option != "Z") {
        return absl::InvalidArgumentError("invalid mode: " + parts[2]);
      }
    }
  }
  if (parts[0][0] == '/' || parts[0][0] == '.') {
    auto* bind = out.mutable_bind();
    bind->set_host_path(parts[0]);
    bind->set_propagation(propagation);
    bind->set_create_host_path(true);
  } else {
    out.mutable_volume()->set_name(parts[0]);
    out.mutable_volume()->set_nocopy(nocopy);
  }
  return out;
}

absl::StatusOr<types::v1::MountRequest> ParseTmpfs(const std::string& text) {
  std::pair<std::string, std::string> target_options =
      absl::StrSplit(text, absl::MaxSplits(':', 1));
  types::v1::MountRequest out;
  out.set_target(target_options.first);
  auto* tmpfs = out.mutable_tmpfs();
  for (absl::string_view option : absl::StrSplit(target_options.second, ',', absl::SkipEmpty())) {
    if (absl::ConsumePrefix(&option, "size=")) {
      BERTH_ASSIGN_OR_RETURN(int64_t size, SizeFlag(std::string(option), "--tmpfs"));
      tmpfs->set_size_bytes(size);
    } else if (absl::ConsumePrefix(&option, "mode=")) {
      char* end = nullptr;
      const std::string digits(option);
      const unsigned long mode = std::strtoul(digits.c_str(), &end, 8);
      if (digits.empty() || *end != '\0' || mode > 07777) {
        return absl::InvalidArgumentError("invalid tmpfs mode: " + std::string(option));
      }
      tmpfs->set_mode(mode);
    } else if (option == "ro") {
      out.set_read_only(true);
    } else {
      tmpfs->add_options(std::string(option));
    }
  }
  return out;
}

absl::StatusOr<types::v1::MountRequest> ParseMount(const std::string& text) {
  auto invalid = [&](absl::string_view reason) { return Invalid(text, "--mount", reason); };
  // A flag given alone ("readonly") means true; "readonly=false" turns it off.
  auto truth = [&](absl::string_view key, absl::string_view value,
                   bool given) -> absl::StatusOr<bool> {
    if (!given || value == "1" || value == "true") return true;
    if (value == "0" || value == "false") return false;
    return invalid(absl::StrCat("invalid value for ", key, ": ", value));
  };
  std::string type = "volume", source, target;
  bool read_only = false, nocopy = false, non_recursive = false;
  types::v1::MountPropagation propagation = types::v1::MOUNT_PROPAGATION_UNSPECIFIED;
  types::v1::VolumeSource volume;
  types::v1::TmpfsSource tmpfs;
  bool volume_options = false, bind_options = false, tmpfs_options = false;
  for (absl::string_view field : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    const size_t eq = field.find('=');
    const absl::string_view key = field.substr(0, eq);
    const bool given = eq != absl::string_view::npos;
    const std::string value(given ? field.substr(eq + 1) : "");
    if (key == "type") {
      type = value;
    } else if (key == "source" || key == "src") {
      source = value;
    } else if (key == "target" || key == "destination" || key == "dst") {
      target = value;
    } else if (key == "readonly" || key == "ro") {
      BERTH_ASSIGN_OR_RETURN(read_only, truth(key, value, given));
    } else if (key == "volume-nocopy") {
      BERTH_ASSIGN_OR_RETURN(nocopy, truth(key, value, given));
      volume_options = true;
    } else if (key == "volume-driver") {
      volume.set_driver(value);
      volume_options = true;
    } else if (key == "volume-subpath") {
      volume.set_subpath(value);
      volume_options = true;
    } else if (key == "volume-label" || key == "volume-opt") {
      auto [k, v] = KeyValue(value);
      auto* map = key == "volume-label" ? volume.mutable_labels() : volume.mutable_driver_options();
      (*map)[k] = v;
      volume_options = true;
    } else if (key == "bind-propagation") {
      propagation = PropagationOf(value);
      if (propagation == types::v1::MOUNT_PROPAGATION_UNSPECIFIED) {
        return invalid(absl::StrCat("invalid propagation mode: ", value));
      }
      bind_options = true;
    } else if (key == "bind-nonrecursive") {
      BERTH_ASSIGN_OR_RETURN(non_recursive, truth(key, value, given));
      bind_options = true;
    } else if (key == "tmpfs-size") {
      BERTH_ASSIGN_OR_RETURN(int64_t size, SizeFlag(value, "--mount"));
      tmpfs.set_size_bytes(size);
      tmpfs_options = true;
    } else if (key == "tmpfs-mode") {
      char* end = nullptr;
      const unsigned long mode = std::strtoul(value.c_str(), &end, 8);
      if (value.empty() || *end != '\0' || mode > 07777) {
        return invalid(absl::StrCat("invalid value for tmpfs-mode: ", value));
      }
      tmpfs.set_mode(mode);
      tmpfs_options = true;
    } else if (key == "consistency") {
      // macOS only; Docker ignores it on Linux.
    } else {
      return invalid(absl::StrCat("unexpected key '", key, "' in '", field, "'"));
    }
  }
  const std::string config = absl::StrCat("invalid mount config for type \"", type, "\": ");
  if (target.empty()) return invalid(config + "field Target must not be empty");
  types::v1::MountRequest out;
  out.set_target(target);
  out.set_read_only(read_only);
  if (type == "volume") {
    if (bind_options || tmpfs_options) return invalid(config + "bind or tmpfs options given");
    volume.set_name(source);
    volume.set_nocopy(nocopy);
    *out.mutable_volume() = volume;
  } else if (type == "bind") {
    if (volume_options || tmpfs_options) return invalid(config + "volume or tmpfs options given");
    if (source.empty()) return invalid(config + "field Source must not be empty");
    auto* bind = out.mutable_bind();
    bind->set_host_path(source);
    bind->set_propagation(propagation);
    bind->set_non_recursive(non_recursive);
    bind->set_create_host_path(false);  // --mount refuses a missing host path (Docker)
  } else if (type == "tmpfs") {
    if (volume_options || bind_options) return invalid(config + "volume or bind options given");
    if (!source.empty()) return invalid(config + "field Source must not be specified");
    *out.mutable_tmpfs() = tmpfs;
  } else {
    return invalid(absl::StrCat("invalid mount type: ", type));
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> ParseExpose(const std::string& text) {
  std::pair<std::string, std::string> port_proto = absl::StrSplit(text, absl::MaxSplits('/', 1));
  const std::string proto = port_proto.second.empty() ? "tcp" : port_proto.second;
  if (proto != "tcp" && proto != "udp" && proto != "sctp") {
    return Invalid(text, "--expose", "invalid proto: " + proto);
  }
  uint32_t first = 0, last = 0;
  if (!ParsePortRange(port_proto.first, &first, &last) || first == 0) {
    return Invalid(text, "--expose", "invalid range format for --expose: " + text);
  }
  std::vector<std::string> out;
  for (uint32_t port = first; port <= (last == 0 ? first : last); ++port) {
    out.push_back(absl::StrCat(port, "/", proto));
  }
  return out;
}

absl::StatusOr<types::v1::VolumesFromRequest> ParseVolumesFrom(const std::string& text) {
  std::vector<std::string> parts = absl::StrSplit(text, ':');
  types::v1::VolumesFromRequest out;
  if (parts.empty() || parts[0].empty() || parts.size() > 2) {
    return Invalid(text, "--volumes-from", "invalid volumes-from specification");
  }
  out.set_container_id(parts[0]);
  if (parts.size() == 2) {
    if (parts[1] == "ro") {
      out.set_mode(types::v1::VOLUMES_FROM_MODE_READ_ONLY);
    } else if (parts[1] == "rw") {
      out.set_mode(types::v1::VOLUMES_FROM_MODE_READ_WRITE);
    } else {
      return Invalid(text, "--volumes-from", "invalid mode: " + parts[1]);
    }
  }
  return out;
}

absl::StatusOr<runtime::v1::CreateContainerRequest> BuildCreateRequest(
    const ContainerFlags& f, const EnvLookup& env, const FileReader& read_file) {
  runtime::v1::CreateContainerRequest request;
  request.set_name(f.name);
  ContainerSpec& spec = *request.mutable_spec();
  if (f.image_and_args.empty()) return absl::InvalidArgumentError("requires at least 1 argument");
  spec.set_image(f.image_and_args[0]);
  if (f.image_and_args.size() > 1) {
    for (size_t i = 1; i < f.image_and_args.size(); ++i)
      spec.mutable_cmd()->add_args(f.image_and_args[i]);
  }
  if (f.entrypoint) {
    auto* entrypoint = spec.mutable_entrypoint();
    if (!f.entrypoint->empty()) entrypoint->add_args(*f.entrypoint);
  }
  for (const std::string& path : f.env_files) {
    BERTH_ASSIGN_OR_RETURN(std::string content, read_file(path));
    BERTH_ASSIGN_OR_RETURN(std::vector<std::string> lines, ParseEnvFileContent(content, env));
    for (std::string& line : lines) spec.add_env(std::move(line));
  }
  for (const std::string& e : f.env) spec.add_env(ResolveEnv(e, env));
  spec.set_user(f.user);
  spec.set_working_dir(f.workdir);
  spec.set_hostname(f.hostname);
  for (const std::string& label : f.labels) {
    auto [key, value] = KeyValue(label);
    (*spec.mutable_labels())[key] = value;
  }
  spec.set_tty(f.tty);
  spec.set_open_stdin(f.interactive);
  const bool attached = !f.detach;
  spec.set_attach_stdin(attached && f.interactive);
  spec.set_stdin_once(attached && f.interactive);
  spec.set_attach_stdout(attached);
  spec.set_attach_stderr(attached);
  absl::StatusOr<RestartPolicySpec> restart = ParseRestartPolicy(f.restart);
  if (!restart.ok()) return restart.status();
  if (f.auto_remove && restart->policy != runtime::v1::RESTART_POLICY_NO) {
    return absl::InvalidArgumentError(
        "conflicting options: cannot specify both --restart and --rm");
  }
  spec.set_restart_policy(restart->policy);
  spec.set_restart_max_retries(restart->max_retries);
  spec.set_stop_signal(f.stop_signal);
  if (f.stop_timeout) spec.mutable_stop_timeout()->set_seconds(*f.stop_timeout);
  if (!f.log_driver.empty() || !f.log_opts.empty()) {
    auto* log = spec.mutable_log_config();
    log->set_driver(f.log_driver);
    for (const std::string& opt : f.log_opts) {
      if (opt.find('=') == std::string::npos) {
        return absl::InvalidArgumentError("invalid key/value pair format in logging opts");
      }
      auto [key, value] = KeyValue(opt);
      (*log->mutable_options())[key] = value;
    }
  }
  auto* security = spec.mutable_security();
  security->set_privileged(f.privileged);
  for (const auto& cap : f.cap_add) security->add_cap_add(cap);
  for (const auto& cap : f.cap_drop) security->add_cap_drop(cap);
  for (const auto& opt : f.security_opts) security->add_security_opts(opt);
  security->set_read_only_rootfs(f.read_only);
  for (const std::string& text : f.tmpfs) {
    BERTH_ASSIGN_OR_RETURN(*spec.add_mounts(), ParseTmpfs(text));
  }
  for (const std::string& text : f.volumes) {
    BERTH_ASSIGN_OR_RETURN(*spec.add_mounts(), ParseVolume(text));
  }
  for (const std::string& text : f.mounts) {
    BERTH_ASSIGN_OR_RETURN(*spec.add_mounts(), ParseMount(text));
  }
  for (const std::string& text : f.volumes_from) {
    BERTH_ASSIGN_OR_RETURN(*spec.add_volumes_from(), ParseVolumesFrom(text));
  }
  for (const std::string& sysctl : f.sysctls) {
    if (sysctl.find('=') == std::string::npos) {
      return Invalid(sysctl, "--sysctl", "invalid argument: " + sysctl);
    }
    auto [key, value] = KeyValue(sysctl);
    (*spec.mutable_sysctls())[key] = value;
  }
  if (!f.shm_size.empty()) {
    BERTH_ASSIGN_OR_RETURN(int64_t shm, SizeFlag(f.shm_size, "--shm-size"));
    spec.set_shm_size_bytes(shm);
  }
  if (f.init) spec.set_init(*f.init);
  BERTH_RETURN_IF_ERROR(SetResources(f, *spec.mutable_resources()));
  auto* network = spec.mutable_network();
  network->set_mode(f.network);
  for (const std::string& text : f.publish) {
    BERTH_ASSIGN_OR_RETURN(*network->add_port_bindings(), ParsePortMapping(text));
  }
  network->set_publish_all(f.publish_all);
  for (const std::string& text : f.expose) {
    BERTH_ASSIGN_OR_RETURN(std::vector<std::string> ports, ParseExpose(text));
    for (const std::string& port : ports) network->add_exposed_ports(port);
  }
  for (const std::string& dns : f.dns) network->add_dns(dns);
  for (const std::string& search : f.dns_search) network->add_dns_search(search);
  for (const std::string& option : f.dns_options) network->add_dns_options(option);
  for (const std::string& host : f.add_hosts) {
    // "name:ip" (Docker also takes "name=ip"); the IP may itself hold colons (IPv6).
    const size_t sep = host.find_first_of(":=");
    if (sep == std::string::npos || sep == 0 || sep + 1 == host.size()) {
      return Invalid(host, "--add-host", "invalid argument \"" + host + "\" for \"--add-host\"");
    }
    network->add_extra_hosts(host.substr(0, sep) + ":" + host.substr(sep + 1));
  }
  if (!f.ip.empty() || !f.mac_address.empty() || !f.network_aliases.empty()) {
    auto* endpoint = network->add_networks();
    endpoint->set_network(f.network.empty() ? "bridge" : f.network);
    endpoint->set_ipv4_address(f.ip);
    endpoint->set_mac_address(f.mac_address);
    for (const std::string& alias : f.network_aliases) endpoint->add_aliases(alias);
  }
  BERTH_RETURN_IF_ERROR(SetHealthcheck(f, spec));
  spec.set_auto_remove(f.auto_remove);
  return request;
}

}  // namespace berth::ctl
