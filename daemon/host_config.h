// What one berthd process hosts and where it listens: flags over daemon.json over defaults.
#pragma once

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/daemon_config.h"
#include "common/rpc/server.h"

namespace berth::daemon {

// Command-line flags as given; empty / unset means "not given".
struct DaemonFlags {
  std::string config_file = "/etc/berth/daemon.json";
  bool config_file_given = false;
  std::string root;
  std::string state;
  std::string socket;
  std::vector<std::string> hosts;              // -H, extra listen addresses
  std::string services;                        // comma-separated
  std::vector<std::string> service_addresses;  // name=address
  std::string metrics_address;
  std::string group;
  bool tlsverify = false;
  std::string tlscacert, tlscert, tlskey;
  bool allow_insecure_tcp = false;
  std::string log_level;
  std::string log_format;
  bool debug = false;
};

struct HostConfig {
  std::vector<std::string> services;  // hosted here, in kServiceNames order
  std::string root;                   // persistent data; each service owns <root>/<name>
  std::string state;                  // volatile state; each service owns <state>/<name>
  std::string socket_path;            // the unix socket
  std::vector<std::string> listen;    // unix://socket first, then tcp:// hosts
  std::string metrics_address;        // host:port, empty = no metrics endpoint
  std::map<std::string, std::string> service_addresses;  // every service → where it is reached
  std::optional<rpc::ServerTlsFiles> tls;
  bool allow_insecure_tcp = false;
  std::string group;
  bool group_required = false;  // the group was named explicitly: it must exist
  std::string log_level;
  std::string log_format;
  DaemonConfig file;  // the rest of daemon.json for the services
};

absl::StatusOr<HostConfig> ResolveHostConfig(const DaemonFlags& flags, DaemonConfig file);

// The socket group's id: root's when the default group does not exist.
absl::StatusOr<gid_t> ResolveSocketGroup(const HostConfig& config);

}  // namespace berth::daemon
