#include "services/network/grpc/network_convert.h"

#include "absl/time/time.h"

namespace berth::network {
namespace {

void TimeToProto(absl::Time time, google::protobuf::Timestamp* out) {
  if (time == absl::InfinitePast() || time == absl::InfiniteFuture()) return;
  const int64_t seconds = absl::ToUnixSeconds(time);
  out->set_seconds(seconds);
  out->set_nanos(
      static_cast<int32_t>(absl::ToInt64Nanoseconds(time - absl::FromUnixSeconds(seconds))));
}

template <typename Repeated>
std::vector<std::string> Strings(const Repeated& values) {
  return std::vector<std::string>(values.begin(), values.end());
}

}  // namespace

NetworkFilters FiltersFromProto(
    const google::protobuf::RepeatedPtrField<types::v1::Filter>& filters) {
  NetworkFilters out;
  for (const types::v1::Filter& f : filters) {
    auto& values = out[f.key()];
    values.insert(values.end(), f.values().begin(), f.values().end());
  }
  return out;
}

NetworkSpec FromProto(const v1::CreateNetworkRequest& request) {
  NetworkSpec spec;
  spec.name = request.name();
  spec.driver = request.driver();
  if (request.ipam_configs_size() > 0) {
    spec.subnet = request.ipam_configs(0).subnet();
    spec.gateway = request.ipam_configs(0).gateway();
    spec.ip_range = request.ipam_configs(0).ip_range();
  }
  spec.internal = request.internal();
  spec.attachable = request.attachable();
  spec.labels.insert(request.labels().begin(), request.labels().end());
  spec.options.insert(request.options().begin(), request.options().end());
  return spec;
}

std::string ProtocolFromProto(types::v1::PortProtocol protocol) {
  switch (protocol) {
    case types::v1::PORT_PROTOCOL_UDP:
      return "udp";
    case types::v1::PORT_PROTOCOL_SCTP:
      return "sctp";
    default:
      return "tcp";
  }
}

types::v1::PortProtocol ProtocolToProto(const std::string& protocol) {
  if (protocol == "udp") return types::v1::PORT_PROTOCOL_UDP;
  if (protocol == "sctp") return types::v1::PORT_PROTOCOL_SCTP;
  return types::v1::PORT_PROTOCOL_TCP;
}

PortRequest FromProto(const types::v1::PortMapping& m) {
  PortRequest r;
  r.host_ip = m.host_ip();
  r.host_port = static_cast<uint16_t>(m.host_port());
  r.host_port_end = static_cast<uint16_t>(m.host_port_end());
  r.container_port = static_cast<uint16_t>(m.container_port());
  r.container_port_end = static_cast<uint16_t>(m.container_port_end());
  r.protocol = ProtocolFromProto(m.protocol());
  return r;
}

AttachSpec FromProto(const v1::AttachEndpointRequest& request) {
  AttachSpec spec;
  spec.container_id = request.container_id();
  spec.container_name = request.container_name();
  if (request.netns_case() == v1::AttachEndpointRequest::kNetnsPath) {
    spec.netns_path = request.netns_path();
  }
  spec.network = request.network();
  spec.aliases = Strings(request.aliases());
  spec.ipv4 = request.ipv4_address();
  spec.mac = request.mac_address();
  for (const auto& m : request.port_mappings()) spec.ports.push_back(FromProto(m));
  spec.publish_all = request.publish_all();
  spec.exposed = Strings(request.exposed_ports());
  spec.dns = {Strings(request.dns()), Strings(request.dns_search()),
              Strings(request.dns_options())};
  spec.extra_hosts = Strings(request.extra_hosts());
  spec.hostname = request.hostname();
  spec.domainname = request.domainname();
  return spec;
}

void ToProto(const NetworkRecord& n, v1::Network* out) {
  out->set_id(n.id);
  out->set_name(n.name);
  TimeToProto(n.created, out->mutable_created());
  out->set_scope("local");
  out->set_driver(n.driver);
  out->set_ipam_driver("default");
  if (!n.subnet.empty()) {
    v1::IpamConfig* ipam = out->add_ipam_configs();
    ipam->set_subnet(n.subnet);
    ipam->set_gateway(n.gateway);
    ipam->set_ip_range(n.ip_range);
  }
  out->set_internal(n.internal);
  out->set_attachable(n.attachable);
  out->mutable_options()->insert(n.options.begin(), n.options.end());
  out->mutable_labels()->insert(n.labels.begin(), n.labels.end());
}

void ToProto(const PortBinding& b, types::v1::PortMapping* out) {
  out->set_host_ip(b.host_ip);
  out->set_host_port(b.host_port);
  out->set_container_port(b.container_port);
  out->set_protocol(ProtocolToProto(b.protocol));
}

void ToProto(const EndpointRecord& e, const std::optional<SandboxRecord>& sandbox,
             bool user_network, v1::Endpoint* out) {
  out->set_id(e.id);
  out->set_container_id(e.container_id);
  out->set_network_id(e.network_id);
  out->set_network_name(e.network_name);
  out->set_netns_path(e.netns_path);
  if (!e.interface.empty()) {
    v1::InterfaceInfo* interface = out->add_interfaces();
    interface->set_name(e.interface);
    interface->set_mac_address(e.mac);
    if (!e.ipv4.empty()) interface->add_addresses(e.ipv4);
    interface->set_gateway(e.gateway);
  }
  for (const PortBinding& b : e.ports) ToProto(b, out->add_port_bindings());
  for (const std::string& alias : e.aliases) out->add_aliases(alias);
  if (sandbox) {
    if (user_network) {
      if (!sandbox->name.empty()) out->add_dns_names(sandbox->name);
      for (const std::string& alias : e.aliases) out->add_dns_names(alias);
    }
    out->set_hosts_path(sandbox->hosts_path);
    out->set_resolv_conf_path(sandbox->resolv_conf_path);
    out->set_hostname_path(sandbox->hostname_path);
  }
  TimeToProto(e.created, out->mutable_created());
}

}  // namespace berth::network
