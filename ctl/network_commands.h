// berthctl network: create, ls, inspect, rm, prune, connect and disconnect (Docker's
// commands and output).
#pragma once

#include <functional>

#include "berth/network/v1/network.grpc.pb.h"
#include "ctl/command.h"

namespace berth::ctl {

void AddNetworkCommands(CLI::App& app, CommandRunner& run);
void AddNetworkListCommand(CLI::App& parent, CommandRunner& run);
void AddNetworkInspectCommand(CLI::App& parent, CommandRunner& run);
// connect and disconnect (network_connect_command.cc).
void AddNetworkConnectCommands(CLI::App& parent, CommandRunner& run);

}  // namespace berth::ctl
