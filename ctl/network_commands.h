// berthctl network: create, ls, inspect, rm, prune (Docker's commands and output).
#pragma once

#include <functional>

#include "berth/network/v1/network.grpc.pb.h"
#include "ctl/command.h"

namespace berth::ctl {

void AddNetworkCommands(CLI::App& app, CommandRunner& run);
void AddNetworkListCommand(CLI::App& parent, CommandRunner& run);
void AddNetworkInspectCommand(CLI::App& parent, CommandRunner& run);

// One Networks call with berthctl's namespace and deadline; UNAVAILABLE when berthd
// cannot be reached.
grpc::Status CallNetworks(
    const GlobalOptions& global,
    const std::function<grpc::Status(network::v1::Networks::Stub&, grpc::ClientContext&)>& call);

// "key=value" filters into the request's; false (after printing Docker's message) on
// a malformed one.
bool AddFilters(const std::vector<std::string>& filters,
                google::protobuf::RepeatedPtrField<types::v1::Filter>* out);

}  // namespace berth::ctl
