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

absl::Status ContainerSupervisor::ConnectNetwork(const std::string& ns, const std::string& ref,
                                                 const v1::ContainerNetworkRequest& request) {
  if (network_ == nullptr) return absl::FailedPreconditionError("berthd runs no network service");
  BERTH_ASSIGN_OR_RETURN(ContainerRecord record, store_->Resolve(ns, ref));
  std::shared_ptr<Slot> slot = SlotOf(record.id);
  std::lock_guard op(slot->op_mu);  // not while it starts or stops
  BERTH_ASSIGN_OR_RETURN(record, store_->Get(ns, record.id));
  v1::ContainerSpec spec;
  spec.ParseFromString(record.spec);
  const std::string mode = spec.network().mode().empty() ? "bridge" : spec.network().mode();
  if (mode == "host" || mode == "none" || absl::StartsWith(mode, kContainerMode)) {
    return absl::FailedPreconditionError(
        "container sharing network namespace with another container or host cannot be "
        "connected to any other network");
  }
  BERTH_ASSIGN_OR_RETURN(std::string name, network_->NetworkName(ns, request.network()));
  BERTH_ASSIGN_OR_RETURN(std::vector<std::string> joined, JoinedNetworks(ns, spec));
  if (std::find(joined.begin(), joined.end(), name) != joined.end()) {
    return absl::AlreadyExistsError(
        absl::StrCat("endpoint with name ", record.name, " already exists in network ", name));
  }
  v1::ContainerNetworkRequest kept = request;
  kept.set_network(name);
  const bool running = record.state.status == ContainerStatus::kRunning ||
                       record.state.status == ContainerStatus::kPaused;
  if (running) {
    BERTH_ASSIGN_OR_RETURN(std::vector<network::v1::Endpoint> endpoints,
                           network_->Endpoints(ns, record.id));
    if (endpoints.empty() || endpoints.front().netns_path().empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("container ", record.id, " has no network namespace to connect"));
    }
    network::v1::AttachEndpointRequest attach;
    attach.set_container_id(record.id);
    attach.set_container_name(record.name);
    attach.set_network(name);
    attach.set_netns_path(endpoints.front().netns_path());
    SetEndpointOptions(kept, attach);
    BERTH_RETURN_IF_ERROR(network_->Attach(ns, attach).status());
  }
  absl::StatusOr<ContainerRecord> updated = store_->Update(ns, record.id, [&](ContainerRecord& r) {
    v1::ContainerSpec stored;
    stored.ParseFromString(r.spec);
    *stored.mutable_network()->add_networks() = kept;
    r.spec = stored.SerializeAsString();
    return absl::OkStatus();
  });
  if (!updated.ok() && running) network_->Detach(ns, record.id, name).IgnoreError();
  return updated.status();
}

absl::Status ContainerSupervisor::DisconnectNetwork(const std::string& ns, const std::string& ref,
                                                    const std::string& network) {
  if (network_ == nullptr) return absl::FailedPreconditionError("berthd runs no network service");
  BERTH_ASSIGN_OR_RETURN(ContainerRecord record, store_->Resolve(ns, ref));
  std::shared_ptr<Slot> slot = SlotOf(record.id);
  std::lock_guard op(slot->op_mu);
  BERTH_ASSIGN_OR_RETURN(record, store_->Get(ns, record.id));
  v1::ContainerSpec spec;
  spec.ParseFromString(record.spec);
  BERTH_ASSIGN_OR_RETURN(std::string name, network_->NetworkName(ns, network));
  BERTH_ASSIGN_OR_RETURN(std::vector<std::string> joined, JoinedNetworks(ns, spec));
  bool attached = false;
  if (record.state.status == ContainerStatus::kRunning ||
      record.state.status == ContainerStatus::kPaused) {
    absl::Status detached = network_->Detach(ns, record.id, name);
    if (!detached.ok() && !absl::IsNotFound(detached)) return detached;
    attached = detached.ok();
  }
  if (!attached && std::find(joined.begin(), joined.end(), name) == joined.end()) {
    return absl::NotFoundError(
        absl::StrCat("container ", record.id, " is not connected to network ", name));
  }
  return store_
      ->Update(ns, record.id,
               [&](ContainerRecord& r) {
                 v1::ContainerSpec stored;
                 stored.ParseFromString(r.spec);
                 v1::NetworkRequest& net = *stored.mutable_network();
                 // Entries are kept by the name they were given with; `joined` holds
                 // their names in the same order, the mode first.
                 std::vector<v1::ContainerNetworkRequest> kept;
                 for (int i = 0; i < net.networks_size(); ++i) {
                   const size_t at = static_cast<size_t>(i) + 1;
                   if (at >= joined.size() || joined[at] != name) kept.push_back(net.networks(i));
                 }
                 net.clear_networks();
                 for (const v1::ContainerNetworkRequest& n : kept) *net.add_networks() = n;
                 if (joined[0] == name) {
                   // Its first remaining network becomes the one attached first; with
                   // none left the container has no network but loopback.
                   net.set_mode(kept.empty() ? "none" : kept.front().network());
                 }
                 r.spec = stored.SerializeAsString();
                 return absl::OkStatus();
               })
      .status();
}

absl::StatusOr<std::vector<std::string>> ContainerSupervisor::JoinedNetworks(
    const std::string& ns, const v1::ContainerSpec& spec) {
  const v1::NetworkRequest& net = spec.network();
  std::vector<std::string> names;
  for (int i = -1; i < net.networks_size(); ++i) {
    std::string ref = i < 0 ? net.mode() : net.networks(i).network();
    if (i < 0 && (ref.empty() || ref == "default")) ref = "bridge";
    absl::StatusOr<std::string> name = network_->NetworkName(ns, ref);
    // A network removed since keeps its given name (it fails the next start clearly).
    names.push_back(name.ok() ? *name : ref);
  }
  return names;
}

}  // namespace berth::runtime
