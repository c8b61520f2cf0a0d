// berthctl port: a container's published ports, as `docker port` prints them.
#include <cstdio>
#include <memory>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "berth/network/v1/network.grpc.pb.h"
#include "ctl/container_client.h"
#include "ctl/container_commands.h"
#include "ctl/container_format.h"

namespace berth::ctl {
namespace {

struct PortFlags {
  std::string container;
  std::string port;  // PRIVATE_PORT[/PROTO]
};

int RunPort(const GlobalOptions& global, const PortFlags& flags) {
  network::v1::ContainerPortsRequest request;
  std::string wanted;
  if (!flags.port.empty()) {
    std::pair<std::string, std::string> port_proto =
        absl::StrSplit(flags.port, absl::MaxSplits('/', 1));
    uint32_t port = 0;
    if (!absl::SimpleAtoi(port_proto.first, &port) || port == 0 || port > 65535) {
      return ReportUsageError("port", "Error: invalid port (" + flags.port + ")");
    }
    const std::string proto = port_proto.second.empty() ? "tcp" : port_proto.second;
    request.set_container_port(port);
    request.set_protocol(proto == "udp"    ? types::v1::PORT_PROTOCOL_UDP
                         : proto == "sctp" ? types::v1::PORT_PROTOCOL_SCTP
                                           : types::v1::PORT_PROTOCOL_TCP);
    wanted = absl::StrCat(port, "/", proto);
  }
  // The endpoints are the network service's, keyed by the full container ID.
  runtime::v1::InspectContainerRequest inspect;
  inspect.set_id(flags.container);
  runtime::v1::InspectContainerResponse container;
  grpc::Status status = CallService<runtime::v1::Containers>(
      global, [&](auto& stub, auto& ctx) { return stub.Inspect(&ctx, inspect, &container); });
  if (!status.ok()) return ReportCallError(global, status);
  request.set_container_id(container.container().id());
  network::v1::ContainerPortsResponse response;
  status = CallService<network::v1::Endpoints>(
      global, [&](auto& stub, auto& ctx) { return stub.Ports(&ctx, request, &response); });
  if (!status.ok()) return ReportCallError(global, status);
  if (!wanted.empty() && response.ports().empty()) {
    std::fprintf(stderr, "Error: No public port '%s' published for %s\n", wanted.c_str(),
                 flags.container.c_str());
    return 1;
  }
  for (const types::v1::PortMapping& port : response.ports()) {
    const std::string host =
        absl::StrCat(port.host_ip().empty() ? "0.0.0.0" : port.host_ip(), ":", port.host_port());
    if (wanted.empty()) {
      std::printf("%u/%s -> %s\n", port.container_port(), ProtocolName(port.protocol()).c_str(),
                  host.c_str());
    } else {
      std::printf("%s\n", host.c_str());
    }
  }
  return 0;
}

}  // namespace

void AddPortCommand(CLI::App& parent, CommandRunner& run) {
  auto flags = std::make_shared<PortFlags>();
  auto* cmd = parent.add_subcommand("port",
                                    "List port mappings or a specific mapping for the "
                                    "container");
  cmd->add_option("CONTAINER", flags->container, "Container")->required();
  cmd->add_option("PRIVATE_PORT", flags->port, "PRIVATE_PORT[/PROTO]");
  cmd->callback([&run, flags] {
    run = [flags](const GlobalOptions& global) { return RunPort(global, *flags); };
  });
}

}  // namespace berth::ctl
