// berthctl network ls: one row per network, as `docker network ls`.
#include <cstdio>
#include <memory>

#include "absl/strings/str_split.h"
#include "ctl/network_commands.h"
#include "ctl/network_format.h"
#include "ctl/output_format.h"

namespace berth::ctl {
namespace {

struct ListFlags {
  bool quiet = false;
  bool no_trunc = false;
  std::string format;
  std::vector<std::string> filters;
};

const std::vector<std::pair<std::string, std::string>> kHeaders = {
    {"ID", "NETWORK ID"}, {"Name", "NAME"},           {"Driver", "DRIVER"},
    {"Scope", "SCOPE"},   {"IPv6", "IPV6"},           {"Internal", "INTERNAL"},
    {"Labels", "LABELS"}, {"CreatedAt", "CREATED AT"}};

int Run(const GlobalOptions& global, const ListFlags& flags) {
  network::v1::ListNetworksRequest request;
  if (!AddFilterFlags(flags.filters, request.mutable_filters())) return kExitUsage;
  network::v1::ListNetworksResponse response;
  grpc::Status status = CallService<network::v1::Networks>(
      global, [&](auto& stub, auto& context) { return stub.List(&context, request, &response); });
  if (!status.ok()) return ReportCallError(global, status);
  std::vector<nlohmann::ordered_json> rows;
  for (const auto& n : response.networks()) rows.push_back(NetworkListRow(n, flags.no_trunc));
  if (flags.quiet) {
    for (const auto& row : rows) std::printf("%s\n", row["ID"].get<std::string>().c_str());
    return 0;
  }
  std::fputs(RenderRows(rows, flags.format, "{{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}", kHeaders)
                 .c_str(),
             stdout);
  return 0;
}

}  // namespace

void AddNetworkListCommand(CLI::App& parent, CommandRunner& run) {
  auto flags = std::make_shared<ListFlags>();
  for (const char* name : {"ls", "list"}) {
    auto* cmd = parent.add_subcommand(name, "List networks");
    cmd->add_flag("-q,--quiet", flags->quiet, "Only display network IDs");
    cmd->add_flag("--no-trunc", flags->no_trunc, "Do not truncate the output");
    cmd->add_option("--format", flags->format,
                    "Format output using a custom template: 'table', 'table TEMPLATE', 'json' or "
                    "TEMPLATE");
    cmd->add_option("-f,--filter", flags->filters, "Provide filter values (e.g. \"driver=bridge\")")
        ->allow_extra_args(false);
    cmd->callback([&run, flags] {
      run = [flags](const GlobalOptions& global) { return Run(global, *flags); };
    });
  }
}

}  // namespace berth::ctl
