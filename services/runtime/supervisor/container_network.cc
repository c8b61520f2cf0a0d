// A container's network through the network service: attached before each start (the
// netns it joins and the name files it binds go into its config.json), detached when it
// stops or goes, reconciled after a restart.
#include <algorithm>
#include <cstring>
#include <map>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/file_text.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "services/runtime/supervisor/container_slot.h"
#include "services/runtime/supervisor/container_supervisor.h"
#include "shim/oci/spec.h"

namespace berth::runtime {
namespace {

constexpr char kContainerMode[] = "container:";

// The request of the first network, with the container-wide options.
network::v1::AttachEndpointRequest FirstAttach(const ContainerRecord& record,
                                               const v1::ContainerSpec& spec,
                                               const std::string& network) {
  const v1::NetworkRequest& net = spec.network();
  network::v1::AttachEndpointRequest request;
  request.set_container_id(record.id);
  request.set_container_name(record.name);
  request.set_network(network);
  *request.mutable_port_mappings() = net.port_bindings();
  request.set_publish_all(net.publish_all());
  *request.mutable_exposed_ports() = net.exposed_ports();
  *request.mutable_dns() = net.dns();
  *request.mutable_dns_search() = net.dns_search();
  *request.mutable_dns_options() = net.dns_options();
  *request.mutable_extra_hosts() = net.extra_hosts();
  request.set_hostname(spec.hostname().empty() ? record.id.substr(0, 12) : spec.hostname());
  request.set_domainname(spec.domainname());
  return request;
}

void SetEndpointOptions(const v1::ContainerNetworkRequest& from,
                        network::v1::AttachEndpointRequest& request) {
  *request.mutable_aliases() = from.aliases();
  request.set_ipv4_address(from.ipv4_address());
  request.set_ipv6_address(from.ipv6_address());
  request.set_mac_address(from.mac_address());
  request.mutable_driver_options()->insert(from.driver_options().begin(),
                                           from.driver_options().end());
}

// The network namespace to join and the name files to bind, into the bundle's spec.
absl::Status PointSpecAt(const std::string& task_dir, const network::v1::Endpoint& endpoint) {
  BERTH_ASSIGN_OR_RETURN(oci::Spec spec, oci::LoadSpec(task_dir));
  std::vector<oci::Namespace>& namespaces = spec.linux_config.namespaces;
  if (endpoint.netns_path().empty()) {  // the host's
    std::erase_if(namespaces, [](const oci::Namespace& n) { return n.type == "network"; });
  } else {
    bool found = false;
    for (oci::Namespace& n : namespaces) {
      if (n.type != "network") continue;
      n.path = endpoint.netns_path();
      found = true;
    }
    if (!found) namespaces.push_back({"network", endpoint.netns_path()});
  }
  const std::pair<const char*, const std::string*> files[] = {
      {"/etc/hosts", &endpoint.hosts_path()},
      {"/etc/resolv.conf", &endpoint.resolv_conf_path()},
      {"/etc/hostname", &endpoint.hostname_path()}};
  for (oci::Mount& mount : spec.mounts) {
    for (const auto& [destination, source] : files) {
      if (mount.destination == destination && mount.type == "bind" && !source->empty()) {
        mount.source = *source;
      }
    }
  }
  return WriteFileAtomically(task_dir + "/config.json", oci::SerializeSpec(spec), 0600);
}

}  // namespace

absl::Status ContainerSupervisor::AttachNetwork(const std::string& ns,
                                                const ContainerRecord& record,
                                                const v1::ContainerSpec& spec) {
  if (network_ == nullptr) return absl::OkStatus();  // a loopback-only netns, as created
  const v1::NetworkRequest& net = spec.network();
  std::string mode = net.mode().empty() || net.mode() == "default" ? "bridge" : net.mode();
  if (absl::StartsWith(mode, kContainerMode)) {
    BERTH_ASSIGN_OR_RETURN(ContainerRecord other,
                           store_->Resolve(ns, mode.substr(strlen(kContainerMode))));
    if (other.state.status != ContainerStatus::kRunning &&
        other.state.status != ContainerStatus::kPaused) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot join network of a non running container: ", other.id));
    }
    mode = kContainerMode + other.id;
  }
  // A clean slate: whatever an earlier run left attached goes first (a container never
  // started has nothing attached).
  std::shared_ptr<Slot> slot = SlotOf(record.id);
  if (record.state.started_at != absl::InfinitePast()) {
    BERTH_RETURN_IF_ERROR(network_->Detach(ns, record.id));
  }
  {
    std::lock_guard lock(slot->mu);
    slot->network_attached = true;
  }
  network::v1::AttachEndpointRequest first = FirstAttach(record, spec, mode);
  if (!absl::StartsWith(mode, kContainerMode)) first.set_create_netns(true);
  for (const v1::ContainerNetworkRequest& extra : net.networks()) {
    if (extra.network() == mode) SetEndpointOptions(extra, first);
  }
  absl::StatusOr<network::v1::Endpoint> attached = network_->Attach(ns, first);
  if (absl::IsAlreadyExists(attached.status())) {
    // Left by a start a crash cut short before it was recorded.
    BERTH_RETURN_IF_ERROR(network_->Detach(ns, record.id));
    attached = network_->Attach(ns, first);
  }
  BERTH_ASSIGN_OR_RETURN(network::v1::Endpoint endpoint, std::move(attached));
  absl::Status status = [&]() -> absl::Status {
    for (const v1::ContainerNetworkRequest& extra : net.networks()) {
      if (extra.network() == mode) continue;
      network::v1::AttachEndpointRequest more;
      more.set_container_id(record.id);
      more.set_container_name(record.name);
      more.set_network(extra.network());
      more.set_netns_path(endpoint.netns_path());
      SetEndpointOptions(extra, more);
      BERTH_RETURN_IF_ERROR(network_->Attach(ns, more).status());
    }
    return PointSpecAt(TaskDir(record.id), endpoint);
  }();
  if (!status.ok()) DetachNetwork(ns, record.id);
  return status;
}

void ContainerSupervisor::DetachNetwork(const std::string& ns, const std::string& id) {
  if (network_ == nullptr) return;
  std::shared_ptr<Slot> slot = SlotOf(id);
  {
    std::lock_guard lock(slot->mu);
    if (!slot->network_attached) return;  // detached since its last attach
  }
  if (absl::Status s = network_->Detach(ns, id); !s.ok()) {
    log::Warn("cannot detach the container's network", {{"id", id}, {"error", s.ToString()}});
    return;
  }
  std::lock_guard lock(slot->mu);
  slot->network_attached = false;
}

absl::StatusOr<std::vector<network::v1::Endpoint>> ContainerSupervisor::Endpoints(
    const std::string& ns, const std::string& id) {
  if (network_ == nullptr) return std::vector<network::v1::Endpoint>{};
  return network_->Endpoints(ns, id);
}

void ContainerSupervisor::ReconcileNetworks(const std::map<std::string, std::string>& live) {
  if (network_ == nullptr) return;
  std::map<std::string, std::vector<std::string>> by_namespace;
  for (const auto& [id, ns] : live) by_namespace[ns].push_back(id);
  if (absl::StatusOr<std::vector<std::string>> namespaces = store_->ListNamespaces();
      namespaces.ok()) {
    for (const std::string& ns : *namespaces) by_namespace[ns];
  }
  // Later: the network service may not serve yet while the runtime starts.
  std::thread([this, by_namespace] {
    for (const auto& [ns, ids] : by_namespace) {
      if (absl::Status s = network_->Reconcile(ns, ids); !s.ok()) {
        log::Warn("cannot reconcile network endpoints", {{"error", s.ToString()}});
      }
    }
  }).detach();
}

}  // namespace berth::runtime
