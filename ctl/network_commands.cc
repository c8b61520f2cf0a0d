// berthctl network create / rm / prune, and the group itself.
#include "ctl/network_commands.h"

#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "ctl/daemon_call.h"

namespace berth::ctl {
namespace {

struct CreateFlags {
  std::string name;
  std::string driver = "bridge";
  std::string subnet;
  std::string gateway;
  std::string ip_range;
  bool internal = false;
  bool attachable = false;
  bool ipv6 = false;
  std::vector<std::string> labels;   // key=value
  std::vector<std::string> options;  // key=value
};

std::map<std::string, std::string> KeyValues(const std::vector<std::string>& items) {
  std::map<std::string, std::string> out;
  for (const std::string& item : items) {
    std::pair<std::string, std::string> kv = absl::StrSplit(item, absl::MaxSplits('=', 1));
    out[kv.first] = kv.second;
  }
  return out;
}

int RunCreate(const GlobalOptions& global, const CreateFlags& flags) {
  network::v1::CreateNetworkRequest request;
  request.set_name(flags.name);
  request.set_driver(flags.driver);
  if (!flags.subnet.empty() || !flags.gateway.empty() || !flags.ip_range.empty()) {
    auto* ipam = request.add_ipam_configs();
    ipam->set_subnet(flags.subnet);
    ipam->set_gateway(flags.gateway);
    ipam->set_ip_range(flags.ip_range);
  }
  request.set_internal(flags.internal);
  request.set_attachable(flags.attachable);
  request.set_enable_ipv6(flags.ipv6);
  for (const auto& [k, v] : KeyValues(flags.labels)) (*request.mutable_labels())[k] = v;
  for (const auto& [k, v] : KeyValues(flags.options)) (*request.mutable_options())[k] = v;
  network::v1::CreateNetworkResponse response;
  grpc::Status status = CallService<network::v1::Networks>(
      global, [&](auto& stub, auto& context) { return stub.Create(&context, request, &response); });
  if (!status.ok()) return ReportCallError(global, status);
  if (!response.warning().empty()) std::fprintf(stderr, "%s\n", response.warning().c_str());
  std::printf("%s\n", response.id().c_str());
  return 0;
}

int RunRemove(const GlobalOptions& global, const std::vector<std::string>& names) {
  int exit_code = 0;
  for (const std::string& name : names) {
    network::v1::DeleteNetworkRequest request;
    request.set_name(name);
    google::protobuf::Empty response;
    grpc::Status status = CallService<network::v1::Networks>(
        global,
        [&](auto& stub, auto& context) { return stub.Delete(&context, request, &response); });
    if (status.ok()) {
      std::printf("%s\n", name.c_str());
    } else {
      exit_code = ReportCallError(global, status);
    }
  }
  return exit_code;
}

int RunPrune(const GlobalOptions& global, const std::vector<std::string>& filters, bool force) {
  network::v1::PruneNetworksRequest request;
  if (!AddFilterFlags(filters, request.mutable_filters())) return kExitUsage;
  if (!force && !Confirm("WARNING! This will remove all custom networks not used by at least "
                         "one container.")) {
    return 0;
  }
  network::v1::PruneNetworksResponse response;
  grpc::Status status = CallService<network::v1::Networks>(
      global, [&](auto& stub, auto& context) { return stub.Prune(&context, request, &response); });
  if (!status.ok()) return ReportCallError(global, status);
  if (response.deleted_size() > 0) {
    std::printf("Deleted Networks:\n");
    for (const std::string& name : response.deleted()) std::printf("%s\n", name.c_str());
    std::printf("\n");
  }
  return 0;
}

}  // namespace

void AddNetworkCommands(CLI::App& app, CommandRunner& run) {
  auto* group = app.add_subcommand("network", "Manage networks");
  group->require_subcommand(1);

  auto create = std::make_shared<CreateFlags>();
  auto* cmd = group->add_subcommand("create", "Create a network");
  cmd->add_option("-d,--driver", create->driver, "Driver to manage the Network")
      ->capture_default_str();
  cmd->add_option("--subnet", create->subnet,
                  "Subnet in CIDR format that represents a network segment");
  cmd->add_option("--gateway", create->gateway, "IPv4 Gateway for the master subnet");
  cmd->add_option("--ip-range", create->ip_range, "Allocate container ip from a sub-range");
  cmd->add_flag("--internal", create->internal, "Restrict external access to the network");
  cmd->add_flag("--attachable", create->attachable, "Enable manual container attachment");
  cmd->add_flag("--ipv6", create->ipv6, "Enable IPv6 networking");
  cmd->add_option("--label", create->labels, "Set metadata on a network")->allow_extra_args(false);
  cmd->add_option("-o,--opt", create->options, "Set driver specific options")
      ->allow_extra_args(false);
  cmd->add_option("NETWORK", create->name, "Network name")->required();
  cmd->callback([&run, create] {
    run = [create](const GlobalOptions& global) { return RunCreate(global, *create); };
  });

  auto names = std::make_shared<std::vector<std::string>>();
  for (const char* name : {"rm", "remove"}) {
    auto* rm = group->add_subcommand(name, "Remove one or more networks");
    rm->add_option("NETWORK", *names, "Networks")->required();
    rm->callback([&run, names] {
      run = [names](const GlobalOptions& global) { return RunRemove(global, *names); };
    });
  }

  auto prune_filters = std::make_shared<std::vector<std::string>>();
  auto force = std::make_shared<bool>(false);
  auto* prune = group->add_subcommand("prune", "Remove all unused networks");
  prune
      ->add_option("--filter", *prune_filters, "Provide filter values (e.g. \"until=<timestamp>\")")
      ->allow_extra_args(false);
  prune->add_flag("-f,--force", *force, "Do not prompt for confirmation");
  prune->callback([&run, prune_filters, force] {
    run = [prune_filters, force](const GlobalOptions& global) {
      return RunPrune(global, *prune_filters, *force);
    };
  });

  AddNetworkListCommand(*group, run);
  AddNetworkInspectCommand(*group, run);
  AddNetworkConnectCommands(*group, run);
  for (CLI::App* sub : group->get_subcommands([](const CLI::App*) { return true; })) {
    sub->set_help_flag("-h,--help", "Print usage");
  }
}

}  // namespace berth::ctl
