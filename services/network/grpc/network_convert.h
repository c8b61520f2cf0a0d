// Conversions between the network core's records and berth.network.v1 messages.
#pragma once

#include <optional>
#include <vector>

#include "berth/network/v1/network.pb.h"
#include "services/network/core/endpoint_registry.h"
#include "services/network/core/network_catalog.h"

namespace berth::network {

NetworkFilters FiltersFromProto(
    const google::protobuf::RepeatedPtrField<types::v1::Filter>& filters);
NetworkSpec FromProto(const v1::CreateNetworkRequest& request);
AttachSpec FromProto(const v1::AttachEndpointRequest& request);
PortRequest FromProto(const types::v1::PortMapping& mapping);

// `sandbox` (the container's) fills the name-file paths when given.
void ToProto(const NetworkRecord& network, v1::Network* out);
void ToProto(const EndpointRecord& endpoint, const std::optional<SandboxRecord>& sandbox,
             bool user_network, v1::Endpoint* out);
void ToProto(const PortBinding& binding, types::v1::PortMapping* out);
types::v1::PortProtocol ProtocolToProto(const std::string& protocol);
std::string ProtocolFromProto(types::v1::PortProtocol protocol);

}  // namespace berth::network
