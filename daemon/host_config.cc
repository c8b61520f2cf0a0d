#include "daemon/host_config.h"

#include <grp.h>

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/rpc/address.h"
#include "common/status_macros.h"

namespace berth::daemon {
namespace {

bool IsServiceName(absl::string_view name) {
  return std::find(std::begin(kServiceNames), std::end(kServiceNames), name) !=
         std::end(kServiceNames);
}

absl::StatusOr<std::vector<std::string>> ParseServices(const std::vector<std::string>& given) {
  std::vector<std::string> services;
  for (absl::string_view name : kServiceNames) {
    if (given.empty() || std::find(given.begin(), given.end(), name) != given.end()) {
      services.emplace_back(name);
    }
  }
  for (const std::string& name : given) {
    if (!IsServiceName(name)) {
      return absl::InvalidArgumentError(absl::StrCat("unknown service \"", name, "\" (want ",
                                                     absl::StrJoin(kServiceNames, ", "), ")"));
    }
  }
  return services;
}

}  // namespace

absl::StatusOr<HostConfig> ResolveHostConfig(const DaemonFlags& flags, DaemonConfig file) {
  HostConfig config;
  std::vector<std::string> wanted = file.services;
  if (!flags.services.empty()) {
    wanted = absl::StrSplit(flags.services, ',', absl::SkipWhitespace());
  }
  BERTH_ASSIGN_OR_RETURN(config.services, ParseServices(wanted));
  bool all_in_one = config.services.size() == std::size(kServiceNames);

  config.root = flags.root.empty() ? file.data_root : flags.root;
  config.state = flags.state.empty() ? file.exec_root : flags.state;
  if (!absl::StartsWith(config.root, "/") || !absl::StartsWith(config.state, "/")) {
    return absl::InvalidArgumentError("--root and --state must be absolute paths");
  }

  // The unix socket: --socket, else a unix:// entry of hosts, else <state>/berthd.sock
  // (all-in-one) or <state>/<service>.sock (one service).
  std::vector<std::string> hosts = flags.hosts.empty() ? file.hosts : flags.hosts;
  std::vector<std::string> tcp_hosts;
  config.socket_path = flags.socket;
  for (const std::string& host : hosts) {
    BERTH_ASSIGN_OR_RETURN(rpc::Address address, rpc::ParseAddress(host));
    if (address.kind == rpc::Address::Kind::kTcp) {
      tcp_hosts.push_back(address.ToString());
    } else if (config.socket_path.empty()) {
      config.socket_path = address.path;
    }
  }
  if (config.socket_path.empty()) {
    std::string stem = all_in_one                    ? "berthd"
                       : config.services.size() == 1 ? config.services.front()
                                                     : absl::StrJoin(config.services, "-");
    config.socket_path = absl::StrCat(config.state, "/", stem, ".sock");
  }
  if (!absl::StartsWith(config.socket_path, "/")) {
    return absl::InvalidArgumentError("--socket must be an absolute path");
  }
  config.listen.push_back(absl::StrCat("unix://", config.socket_path));
  config.listen.insert(config.listen.end(), tcp_hosts.begin(), tcp_hosts.end());

  // Where each service is reached: this socket for the hosted ones, otherwise the
  // configured address or <state>/<name>.sock.
  std::map<std::string, std::string> configured = file.service_addresses;
  for (const std::string& pair : flags.service_addresses) {
    std::vector<std::string> kv = absl::StrSplit(pair, absl::MaxSplits('=', 1));
    if (kv.size() != 2 || !IsServiceName(kv[0])) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--service-address \"", pair, "\": want <service>=<address>, service one of ",
          absl::StrJoin(kServiceNames, ", ")));
    }
    configured[kv[0]] = kv[1];
  }
  for (absl::string_view view : kServiceNames) {
    std::string name(view);
    bool local =
        std::find(config.services.begin(), config.services.end(), name) != config.services.end();
    std::string address = local ? config.listen.front()
                          : configured.count(name)
                              ? configured[name]
                              : absl::StrCat("unix://", config.state, "/", name, ".sock");
    BERTH_RETURN_IF_ERROR(rpc::ParseAddress(address).status());
    config.service_addresses[name] = address;
  }

  config.metrics_address =
      flags.metrics_address.empty() ? file.metrics_addr : flags.metrics_address;
  bool tlsverify = flags.tlsverify || file.tlsverify;
  std::string ca = flags.tlscacert.empty() ? file.tlscacert : flags.tlscacert;
  std::string cert = flags.tlscert.empty() ? file.tlscert : flags.tlscert;
  std::string key = flags.tlskey.empty() ? file.tlskey : flags.tlskey;
  if (tlsverify) {
    if (ca.empty() || cert.empty() || key.empty()) {
      return absl::InvalidArgumentError("--tlsverify needs --tlscacert, --tlscert and --tlskey");
    }
    config.tls = rpc::ServerTlsFiles{ca, cert, key};
  }
  config.allow_insecure_tcp = flags.allow_insecure_tcp;
  if (!tcp_hosts.empty() && !config.tls && !config.allow_insecure_tcp) {
    return absl::FailedPreconditionError(
        absl::StrCat("refusing to listen on ", absl::StrJoin(tcp_hosts, ", "),
                     " without mutual TLS: pass --tlsverify --tlscacert --tlscert --tlskey "
                     "(or --allow-insecure-tcp to expose root access to anyone who can connect)"));
  }

  config.group_required = !flags.group.empty() || !file.group.empty();
  config.group = !flags.group.empty() ? flags.group : !file.group.empty() ? file.group : "berth";
  config.log_level = flags.debug || file.debug  ? "debug"
                     : !flags.log_level.empty() ? flags.log_level
                                                : file.log_level;
  config.log_format = flags.log_format.empty() ? file.log_format : flags.log_format;
  config.file = std::move(file);
  return config;
}

absl::StatusOr<gid_t> ResolveSocketGroup(const HostConfig& config) {
  if (const group* entry = ::getgrnam(config.group.c_str())) return entry->gr_gid;
  if (config.group_required) {
    return absl::NotFoundError(absl::StrCat("socket group \"", config.group, "\" does not exist"));
  }
  return 0;
}

}  // namespace berth::daemon
