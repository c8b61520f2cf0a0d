#include "services/runtime/grpc/runtime_convert.h"

#include "absl/strings/str_join.h"
#include "shim/protocol/proto_time.h"

namespace berth::runtime {
namespace {

struct EventTypeName {
  v1::EventType type;
  const char* name;
};
constexpr EventTypeName kEventTypes[] = {
    {v1::EVENT_TYPE_CONTAINER, "container"}, {v1::EVENT_TYPE_IMAGE, "image"},
    {v1::EVENT_TYPE_NETWORK, "network"},     {v1::EVENT_TYPE_VOLUME, "volume"},
    {v1::EVENT_TYPE_DAEMON, "daemon"},
};

}  // namespace

void ToProto(absl::Time time, google::protobuf::Timestamp* out) { shim::ToProtoTime(time, out); }

absl::Time FromProto(const google::protobuf::Timestamp& time) { return shim::FromProtoTime(time); }

v1::ContainerStatus ToProto(ContainerStatus status) {
  switch (status) {
    case ContainerStatus::kCreated:
      return v1::CONTAINER_STATUS_CREATED;
    case ContainerStatus::kRunning:
      return v1::CONTAINER_STATUS_RUNNING;
    case ContainerStatus::kPaused:
      return v1::CONTAINER_STATUS_PAUSED;
    case ContainerStatus::kRestarting:
      return v1::CONTAINER_STATUS_RESTARTING;
    case ContainerStatus::kRemoving:
      return v1::CONTAINER_STATUS_REMOVING;
    case ContainerStatus::kExited:
      return v1::CONTAINER_STATUS_EXITED;
    case ContainerStatus::kDead:
      return v1::CONTAINER_STATUS_DEAD;
  }
  return v1::CONTAINER_STATUS_UNSPECIFIED;
}

void ToProto(const ContainerState& state, v1::ContainerState* out) {
  out->set_status(ToProto(state.status));
  out->set_pid(state.pid);
  out->set_exit_code(state.exit_code);
  out->set_oom_killed(state.oom_killed);
  out->set_error(state.error);
  ToProto(state.started_at, out->mutable_started_at());
  ToProto(state.finished_at, out->mutable_finished_at());
  out->set_restart_count(state.restart_count);
}

void ToProto(const ContainerRecord& record, v1::Container* out) {
  out->set_id(record.id);
  out->set_name(record.name);
  ToProto(record.created, out->mutable_created_at());
  ToProto(record.updated, out->mutable_updated_at());
  out->set_image_id(record.image_id);
  out->mutable_spec()->ParseFromString(record.spec);
  ToProto(record.state, out->mutable_state());
  out->set_snapshotter(record.snapshotter);
  out->set_snapshot_key(record.snapshot_key);
}

std::string CommandLineOf(const v1::ContainerSpec& spec) {
  std::vector<std::string> words(spec.entrypoint().args().begin(), spec.entrypoint().args().end());
  words.insert(words.end(), spec.cmd().args().begin(), spec.cmd().args().end());
  return absl::StrJoin(words, " ");
}

void ToProto(const ContainerRecord& record, v1::ContainerSummary* out) {
  v1::ContainerSpec spec;
  spec.ParseFromString(record.spec);
  out->set_id(record.id);
  out->add_names(record.name);
  out->set_image(record.image);
  out->set_image_id(record.image_id);
  out->set_command(CommandLineOf(spec));
  ToProto(record.created, out->mutable_created());
  out->set_size_rw(-1);
  out->set_size_root_fs(-1);
  out->mutable_labels()->insert(record.labels.begin(), record.labels.end());
  ToProto(record.state, out->mutable_state());
  v1::MountPoints mounts;
  if (mounts.ParseFromString(record.mounts)) *out->mutable_mounts() = mounts.mounts();
}

void ToProto(const RuntimeEvent& event, v1::Event* out) {
  ToProto(event.time, out->mutable_time());
  out->set_namespace_(event.ns);
  for (const EventTypeName& known : kEventTypes) {
    if (event.type == known.name) out->set_type(known.type);
  }
  out->set_action(event.action);
  out->mutable_actor()->set_id(event.actor_id);
  out->mutable_actor()->mutable_attributes()->insert(event.attributes.begin(),
                                                     event.attributes.end());
  out->set_scope("local");
}

void ToProto(const std::vector<network::v1::Endpoint>& endpoints, v1::NetworkSettings* out) {
  for (const network::v1::Endpoint& endpoint : endpoints) {
    if (out->sandbox_key().empty()) out->set_sandbox_key(endpoint.netns_path());
    for (const types::v1::PortMapping& port : endpoint.port_bindings()) *out->add_ports() = port;
    v1::EndpointSettings& settings = (*out->mutable_networks())[endpoint.network_name()];
    settings.set_network_id(endpoint.network_id());
    settings.set_endpoint_id(endpoint.id());
    *settings.mutable_aliases() = endpoint.aliases();
    *settings.mutable_dns_names() = endpoint.dns_names();
    if (endpoint.interfaces_size() == 0) continue;
    const network::v1::InterfaceInfo& interface = endpoint.interfaces(0);
    settings.set_mac_address(interface.mac_address());
    settings.set_gateway(interface.gateway());
    if (interface.addresses_size() > 0) {
      // "10.88.0.2/16" → address and prefix length.
      const std::string& cidr = interface.addresses(0);
      const size_t slash = cidr.find('/');
      settings.set_ip_address(cidr.substr(0, slash));
      int prefix = 0;
      if (slash != std::string::npos && absl::SimpleAtoi(cidr.substr(slash + 1), &prefix)) {
        settings.set_ip_prefix_len(prefix);
      }
    }
  }
}

RuntimeEvent FromProto(const v1::Event& event) {
  RuntimeEvent out;
  out.time = event.has_time() ? FromProto(event.time()) : absl::Time();
  for (const EventTypeName& known : kEventTypes) {
    if (event.type() == known.type) out.type = known.name;
  }
  out.action = event.action();
  out.actor_id = event.actor().id();
  out.attributes.insert(event.actor().attributes().begin(), event.actor().attributes().end());
  return out;
}

}  // namespace berth::runtime
