// berthctl network connect / disconnect: a running container joins or leaves a network,
// in its own network namespace (Docker's commands and messages). A connection is not
// remembered across the container's restarts: its start attaches the networks it was
// created with.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "berth/network/v1/network.grpc.pb.h"
#include "berth/runtime/v1/containers.grpc.pb.h"
#include "ctl/container_client.h"
#include "ctl/network_commands.h"

namespace berth::ctl {
namespace {

struct ConnectFlags {
  std::string network, container, ip;
  std::vector<std::string> aliases;
  bool force = false;  // disconnect -f: accepted
};

// The container as berthd knows it; prints Docker's error and returns false otherwise.
bool InspectContainer(const GlobalOptions& global, const std::string& ref,
                      runtime::v1::ContainerInspect* out, int* exit_code) {
  runtime::v1::InspectContainerRequest request;
  request.set_id(ref);
  runtime::v1::InspectContainerResponse response;
  grpc::Status status = CallService<runtime::v1::Containers>(
      global, [&](auto& stub, auto& ctx) { return stub.Inspect(&ctx, request, &response); });
  if (!status.ok()) {
    *exit_code = ReportCallError(global, status);
    return false;
  }
  *out = response.container();
  return true;
}

int RunConnect(const GlobalOptions& global, const ConnectFlags& flags) {
  runtime::v1::ContainerInspect container;
  int exit_code = 0;
  if (!InspectContainer(global, flags.container, &container, &exit_code)) return exit_code;
  const std::string& netns = container.network_settings().sandbox_key();
  if (container.state().status() != runtime::v1::CONTAINER_STATUS_RUNNING || netns.empty()) {
    std::fprintf(stderr, "Error response from daemon: container %s is not running\n",
                 container.id().c_str());
    return 1;
  }
  network::v1::AttachEndpointRequest request;
  request.set_container_id(container.id());
  request.set_container_name(container.name());
  request.set_netns_path(netns);
  request.set_network(flags.network);
  request.set_ipv4_address(flags.ip);
  for (const std::string& alias : flags.aliases) request.add_aliases(alias);
  network::v1::AttachEndpointResponse response;
  grpc::Status status = CallService<network::v1::Endpoints>(
      global, [&](auto& stub, auto& ctx) { return stub.Attach(&ctx, request, &response); });
  return status.ok() ? 0 : ReportCallError(global, status);
}

int RunDisconnect(const GlobalOptions& global, const ConnectFlags& flags) {
  runtime::v1::ContainerInspect container;
  int exit_code = 0;
  if (!InspectContainer(global, flags.container, &container, &exit_code)) return exit_code;
  if (!container.network_settings().networks().contains(flags.network)) {
    std::fprintf(stderr,
                 "Error response from daemon: container %s is not connected to network %s\n",
                 container.id().c_str(), flags.network.c_str());
    return 1;
  }
  network::v1::DetachEndpointRequest request;
  request.set_container_id(container.id());
  request.set_network(flags.network);
  google::protobuf::Empty response;
  grpc::Status status = CallService<network::v1::Endpoints>(
      global, [&](auto& stub, auto& ctx) { return stub.Detach(&ctx, request, &response); });
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
