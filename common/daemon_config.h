// daemon.json: berthd's configuration file, with Docker's key names where Docker has one.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace berth {

// The services a berthd can host, as named in "services" and "service-addresses".
inline constexpr absl::string_view kServiceNames[] = {"images", "runtime", "network", "volumes"};

// One "default-ulimits" entry, written as Docker writes it: {"Name", "Hard", "Soft"};
// -1 means unlimited.
struct Ulimit {
  std::string name;
  int64_t hard = 0;
  int64_t soft = 0;
};

struct DaemonConfig {
  std::string data_root = "/var/lib/berth";  // data-root
  std::string exec_root = "/run/berth";      // exec-root
  std::vector<std::string> hosts;            // unix://, tcp://; none: the socket under exec-root
  std::string group;  // owner group of sockets; none: "berth" when that group exists
  bool tls = false;
  bool tlsverify = false;
  std::string tlscacert;
  std::string tlscert;
  std::string tlskey;
  bool debug = false;
  std::string log_level = "info";   // debug, info, warn, error, fatal
  std::string log_format = "text";  // text or json (berth's own key)
  std::vector<std::string> registry_mirrors;
  std::vector<std::string> insecure_registries;
  std::string bridge;      // the default network's Linux bridge; "" = berth0
  std::string bip;         // bridge address with prefix, "172.17.0.1/16"
  std::string fixed_cidr;  // IPv4 CIDR containers' addresses come from
  int mtu = 1500;
  std::string default_gateway;
  std::vector<std::string> dns;
  std::vector<std::string> dns_search;
  std::vector<std::string> dns_opts;
  std::string log_driver = "json-file";
  std::map<std::string, std::string> log_opts;
  bool live_restore = true;  // Docker's default is false; berth's shims outlive berthd
  bool init = false;         // run containers with an init (`--init`) unless they say no
  std::map<std::string, Ulimit> default_ulimits;
  std::string cgroup_parent;
  std::string storage_driver;  // "" picks overlayfs when available, else the copying one
  std::string metrics_addr;    // "" = no metrics endpoint; e.g. "127.0.0.1:9323"
  // berth's own keys.
  std::vector<std::string> services = {"images", "runtime", "network", "volumes"};
  std::map<std::string, std::string> service_addresses;  // service name → address
  std::vector<std::string> cni_plugin_dirs = {"/usr/lib/cni", "/opt/cni/bin"};
  // Operators' conflists, run for `--network cni:<name>` and for callers naming no berth
  // network (CRI); "" = none. berth's own conflists live under its root.
  std::string cni_config_dir = "/etc/cni/net.d";
  // Docker's certs.d layout: <dir>/<host:port>/{ca.crt,client.cert,client.key}.
  std::string registry_certs_dir = "/etc/berth/certs.d";
};

// Parses and validates daemon.json text; `source_name` starts every error message.
absl::StatusOr<DaemonConfig> ParseDaemonConfig(absl::string_view json_text,
                                               absl::string_view source_name);

// Reads `path`; when it does not exist, gives the defaults unless `must_exist`.
absl::StatusOr<DaemonConfig> LoadDaemonConfig(const std::string& path, bool must_exist);

}  // namespace berth
