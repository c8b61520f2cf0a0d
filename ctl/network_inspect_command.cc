// berthctl network inspect: Docker's JSON array, or a template per network.
#include <cstdio>
#include <memory>

#include "ctl/daemon_call.h"
#include "ctl/network_commands.h"
#include "ctl/network_format.h"
#include "ctl/output_format.h"

namespace berth::ctl {
namespace {

struct InspectFlags {
  std::vector<std::string> names;
  std::string format;
};

int Run(const GlobalOptions& global, const InspectFlags& flags) {
  nlohmann::ordered_json all = nlohmann::ordered_json::array();
  int exit_code = 0;
  for (const std::string& name : flags.names) {
    network::v1::GetNetworkRequest request;
    request.set_name(name);
    network::v1::GetNetworkResponse response;
    grpc::Status status = CallService<network::v1::Networks>(
        global, [&](auto& stub, auto& context) { return stub.Get(&context, request, &response); });
    if (!status.ok()) {
      exit_code = ReportCallError(global, status);
      continue;
    }
    all.push_back(NetworkInspectJson(response.network()));
  }
  if (flags.format.empty()) {
    std::printf("%s\n", all.dump(4).c_str());
  } else {
    for (const auto& item : all) std::printf("%s\n", ExpandTemplate(flags.format, item).c_str());
  }
  return exit_code;
}

}  // namespace

void AddNetworkInspectCommand(CLI::App& parent, CommandRunner& run) {
  auto flags = std::make_shared<InspectFlags>();
  auto* cmd =
      parent.add_subcommand("inspect", "Display detailed information on one or more networks");
  cmd->add_option("-f,--format", flags->format, "Format the output using the given Go template");
  cmd->add_option("NETWORK", flags->names, "Networks")->required();
  cmd->callback([&run, flags] {
    run = [flags](const GlobalOptions& global) { return Run(global, *flags); };
  });
}

}  // namespace berth::ctl
