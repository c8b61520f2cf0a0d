// Joins containers to networks and undoes it: one netns per container (created here or
// given), CNI ADD with the network's conflist and the container's ports/MAC/IP, the
// result stored so DEL can undo exactly that; `host` and `none` without CNI; the name
// files; and reconcile after a crash.
//
// Names on user networks: every container's /etc/hosts lists the other containers on
// its user-defined networks by name and alias, rewritten in place (same inode, since it
// is bind-mounted) whenever an endpoint joins or leaves. The default `bridge` does not
// get this, as in Docker, nor do networks of the CNI configuration directory (their
// users, pods, name each other through cluster DNS).
#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/network/core/bridge_isolation.h"
#include "services/network/core/cni_runner.h"
#include "services/network/core/name_files.h"
#include "services/network/core/network_catalog.h"
#include "services/network/core/network_store.h"
#include "services/network/core/port_bindings.h"

namespace berth::network {

struct EndpointRegistryOptions {
  std::string state_dir;   // netns/<container-id>, containers/<container-id>/{hosts,…}
  DnsSettings daemon_dns;  // daemon.json dns, dns-search, dns-opts
  PortProbe port_probe = CanBindHostPort;
  // Called with how long each attach and detach took, and the network's driver (metrics;
  // a detach from every network counts as its first network's).
  std::function<void(absl::string_view operation, absl::string_view driver, absl::Duration took)>
      observe;
};

struct AttachSpec {
  std::string container_id;
  std::string container_name;
  std::string netns_path;  // join this netns; "" creates one under the state dir
  std::string network;     // name or ID; bridge, host, none or a user network
  std::vector<std::string> aliases;
  std::string ipv4;  // static address on a user network; "" allocates
  std::string mac;
  std::vector<PortRequest> ports;
  bool publish_all = false;
  std::vector<std::string> exposed;  // "80/tcp"
  DnsSettings dns;
  std::vector<std::string> extra_hosts;  // "name:ip"
  std::string hostname;                  // "" = the first 12 hex of the ID
  std::string domainname;
};

class EndpointRegistry {
 public:
  EndpointRegistry(NetworkStore* store, NetworkCatalog* catalog, const CniRunner* cni,
                   const BridgeIsolation* isolation, EndpointRegistryOptions options);

  // The endpoint and the container's sandbox (netns, name files).
  absl::StatusOr<std::pair<EndpointRecord, SandboxRecord>> Attach(absl::string_view ns,
                                                                  const AttachSpec& spec);
  // From `network` ("" = every network); the netns and name files go with the last one.
  // NotFound when the container has no such endpoint.
  absl::Status Detach(absl::string_view ns, absl::string_view container_id,
                      absl::string_view network);
  // Filters as ListEndpoints; `network` is resolved in `ns`.
  absl::StatusOr<std::vector<EndpointRecord>> List(absl::string_view ns,
                                                   absl::string_view container_id,
                                                   absl::string_view network);
  absl::StatusOr<std::optional<SandboxRecord>> Sandbox(absl::string_view container_id);
  // `--network container:<id>`: the netns and name files of `container_id`, which the
  // joining container shares (it gets no endpoint of its own). FailedPrecondition when
  // that container has no network namespace (not running, or host networking).
  absl::StatusOr<SandboxRecord> SharedSandbox(absl::string_view container_id);
  // `docker port`: the container's bindings, of one port when `container_port` != 0.
  absl::StatusOr<std::vector<PortBinding>> Ports(absl::string_view container_id,
                                                 uint16_t container_port,
                                                 absl::string_view protocol);
  // Detaches every container of namespace `ns` not in `live`, then removes netns
  // files, name files and host-local reservations nothing (of any namespace) refers to.
  // The endpoints removed.
  absl::StatusOr<std::vector<EndpointRecord>> Reconcile(absl::string_view ns,
                                                        const std::set<std::string>& live);

 private:
  // A bridge network's conflist, or a cni network's file, with CNI ADD.
  absl::StatusOr<EndpointRecord> AttachWithCni(const NetworkRecord& network,
                                               const SandboxRecord& sandbox, const AttachSpec& spec,
                                               int interface_index);
  absl::Status DetachOne(const EndpointRecord& endpoint);
  absl::Status DropSandboxIfUnused(absl::string_view container_id);
  // Writes the container's name files; with `peers_too`, also every container sharing
  // a user network with it (their /etc/hosts lists it).
  absl::Status WriteNameFiles(const SandboxRecord& sandbox);
  absl::Status RefreshPeers(const std::vector<std::string>& network_ids,
                            absl::string_view except_container);
  // Whether the network's containers list each other in /etc/hosts.
  static bool HasPeerNames(const NetworkRecord& network) {
    return network.driver == kDriverBridge && !network.builtin;
  }
  std::string NetnsDir() const { return options_.state_dir + "/netns"; }
  std::string FilesDir(absl::string_view container_id) const;

  std::mutex mu_;  // one attach or detach at a time
  NetworkStore* store_;
  NetworkCatalog* catalog_;
  const CniRunner* cni_;
  const BridgeIsolation* isolation_;
  EndpointRegistryOptions options_;
};

}  // namespace berth::network
