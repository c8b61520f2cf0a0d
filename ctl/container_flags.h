// The flags `create` and `run` share, and how they become a CreateContainerRequest.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "berth/runtime/v1/containers.pb.h"
#include "ctl/units.h"

namespace berth::ctl {

// What the user typed, unparsed; BuildCreateRequest checks and converts it.
struct ContainerFlags {
  std::vector<std::string> image_and_args;  // IMAGE [COMMAND] [ARG...]
  std::string name;
  bool detach = false;    // run only
  bool sig_proxy = true;  // run only: signals to the container when attached without -t
  bool interactive = false;
  bool tty = false;
  bool auto_remove = false;
  std::vector<std::string> env, env_files, labels, log_opts, cap_add, cap_drop, security_opts,
      tmpfs, ulimits, sysctls, publish, volumes, mounts, volumes_from, expose, dns, dns_search,
      dns_options, add_hosts, network_aliases;
  bool publish_all = false;
  std::string ip, mac_address;
  std::optional<std::string> entrypoint;  // set (maybe "") when --entrypoint was given
  std::string user, workdir, hostname, restart = "no", stop_signal, log_driver, network;
  std::optional<int> stop_timeout;
  bool privileged = false, read_only = false, oom_kill_disable = false, no_healthcheck = false;
  std::optional<bool> init;
  std::string shm_size, memory, memory_swap, memory_reservation, cpus, cpuset_cpus;
  int64_t cpu_shares = 0, pids_limit = 0;
  uint32_t blkio_weight = 0;
  int oom_score_adj = 0;
  std::string health_cmd, health_interval, health_timeout, health_start_period;
  int health_retries = 0;
};

// Adds the shared flags to `cmd`; everything from the image on is left for the image
// and its command (Docker stops parsing flags at the first positional argument).
void AddContainerFlags(CLI::App& cmd, ContainerFlags& flags);

// The resource flags (-m, --memory-swap, --cpus, --cpu-shares, --pids-limit…) given, into
// `r`; `docker update` takes the same ones.
absl::Status SetResources(const ContainerFlags& flags, runtime::v1::Resources& r);

// Reads a file for --env-file; replaceable in tests.
using FileReader = std::function<absl::StatusOr<std::string>(const std::string& path)>;
absl::StatusOr<std::string> ReadWholeFile(const std::string& path);

// The request `flags` describe; INVALID_ARGUMENT with Docker's message when a value is bad.
absl::StatusOr<runtime::v1::CreateContainerRequest> BuildCreateRequest(
    const ContainerFlags& flags, const EnvLookup& env = ProcessEnv(),
    const FileReader& read_file = ReadWholeFile);

// `-p [ip:][host[-end]:]container[-end][/proto]`.
absl::StatusOr<types::v1::PortMapping> ParsePortMapping(const std::string& text);
// `-v [source:]target[:options]` and `--tmpfs target[:options]`.
absl::StatusOr<types::v1::MountRequest> ParseVolume(const std::string& text);
absl::StatusOr<types::v1::MountRequest> ParseTmpfs(const std::string& text);
// `--mount type=volume|bind|tmpfs,source=…,target=…[,readonly][,volume-nocopy]…`.
absl::StatusOr<types::v1::MountRequest> ParseMount(const std::string& text);
// `--expose port[-end][/proto]`: one "port/proto" per port.
absl::StatusOr<std::vector<std::string>> ParseExpose(const std::string& text);
// `--volumes-from container[:ro|:rw]` (the container as given; berthd resolves it).
absl::StatusOr<types::v1::VolumesFromRequest> ParseVolumesFrom(const std::string& text);

}  // namespace berth::ctl
