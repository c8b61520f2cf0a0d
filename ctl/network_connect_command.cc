// berthctl network connect / disconnect: a container joins or leaves a network (Docker's
// commands and messages). berthd keeps the change with the container: a running one is
// attached or detached at once, and every later start attaches what it is connected to.
#include <memory>
#include <string>
#include <vector>

#include "berth/runtime/v1/containers.grpc.pb.h"
#include "ctl/container_client.h"
#include "ctl/network_commands.h"

namespace berth::ctl {
namespace {

struct ConnectFlags {
  std::string network, container, ip;
  std::vector<std::string> aliases;
  bool force = false;  // disconnect -f
};

int RunConnect(const GlobalOptions& global, const ConnectFlags& flags) {
  runtime::v1::ConnectNetworkRequest request;
  request.set_id(flags.container);
  request.mutable_network()->set_network(flags.network);
  request.mutable_network()->set_ipv4_address(flags.ip);
  for (const std::string& alias : flags.aliases) request.mutable_network()->add_aliases(alias);
  google::protobuf::Empty response;
  grpc::Status status = CallService<runtime::v1::Containers>(
      global, [&](auto& stub, auto& ctx) { return stub.ConnectNetwork(&ctx, request, &response); });
  return status.ok() ? 0 : ReportCallError(global, status);
}

int RunDisconnect(const GlobalOptions& global, const ConnectFlags& flags) {
  runtime::v1::DisconnectNetworkRequest request;
  request.set_id(flags.container);
  request.set_network(flags.network);
  request.set_force(flags.force);
  google::protobuf::Empty response;
  grpc::Status status = CallService<runtime::v1::Containers>(global, [&](auto& stub, auto& ctx) {
    return stub.DisconnectNetwork(&ctx, request, &response);
  });
  return status.ok() ? 0 : ReportCallError(global, status);
}

}  // namespace

void AddNetworkConnectCommands(CLI::App& parent, CommandRunner& run) {
  auto connect_flags = std::make_shared<ConnectFlags>();
  auto* connect = parent.add_subcommand("connect", "Connect a container to a network");
  connect
      ->add_option("--alias", connect_flags->aliases, "Add network-scoped alias for the container")
      ->allow_extra_args(false);
  connect->add_option("--ip", connect_flags->ip, "IPv4 address (e.g., \"172.30.100.104\")");
  connect->add_option("NETWORK", connect_flags->network, "Network")->required();
  connect->add_option("CONTAINER", connect_flags->container, "Container")->required();
  connect->callback([&run, connect_flags] {
    run = [connect_flags](const GlobalOptions& global) {
      return RunConnect(global, *connect_flags);
    };
  });

  auto disconnect_flags = std::make_shared<ConnectFlags>();
  auto* disconnect = parent.add_subcommand("disconnect", "Disconnect a container from a network");
  disconnect->add_flag("-f,--force", disconnect_flags->force,
                       "Force the container to disconnect from a network");
  disconnect->add_option("NETWORK", disconnect_flags->network, "Network")->required();
  disconnect->add_option("CONTAINER", disconnect_flags->container, "Container")->required();
  disconnect->callback([&run, disconnect_flags] {
    run = [disconnect_flags](const GlobalOptions& global) {
      return RunDisconnect(global, *disconnect_flags);
    };
  });
}

}  // namespace berth::ctl
