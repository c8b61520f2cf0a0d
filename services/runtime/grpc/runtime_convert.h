// Conversions between the runtime's records and berth.runtime.v1 messages: shape only.
#pragma once

#include <vector>

#include "absl/time/time.h"
#include "berth/network/v1/network.pb.h"
#include "berth/runtime/v1/containers.pb.h"
#include "berth/runtime/v1/events.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "services/runtime/core/container_record.h"
#include "services/runtime/core/event_bus.h"

namespace berth::runtime {

// InfinitePast leaves the timestamp unset.
void ToProto(absl::Time time, google::protobuf::Timestamp* out);
absl::Time FromProto(const google::protobuf::Timestamp& time);

v1::ContainerStatus ToProto(ContainerStatus status);
void ToProto(const ContainerState& state, v1::ContainerState* out);
void ToProto(const ContainerRecord& record, v1::Container* out);
// `docker ps`'s COMMAND: entrypoint and cmd joined.
std::string CommandLineOf(const v1::ContainerSpec& spec);
void ToProto(const ContainerRecord& record, v1::ContainerSummary* out);
void ToProto(const RuntimeEvent& event, v1::Event* out);
// Docker's NetworkSettings from a container's endpoints.
void ToProto(const std::vector<network::v1::Endpoint>& endpoints, v1::NetworkSettings* out);
RuntimeEvent FromProto(const v1::Event& event);

}  // namespace berth::runtime
