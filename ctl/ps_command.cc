// berthctl ps / container ls: one row per container, as `docker ps`.
#include <cstdio>
#include <memory>

#include "absl/strings/str_split.h"
#include "ctl/container_client.h"
#include "ctl/container_commands.h"
#include "ctl/container_format.h"

namespace berth::ctl {
namespace {

struct PsFlags {
  bool all = false;
  bool latest = false;
  int last = -1;  // -n
  std::vector<std::string> filters;
  PsOptions output;
};

int Run(const GlobalOptions& global, const PsFlags& flags) {
  runtime::v1::ListContainersRequest request;
  // Docker: -n and -l imply -a.
  const int limit = flags.latest ? 1 : flags.last;
  request.set_all(flags.all || limit > 0);
  if (limit > 0) request.set_limit(limit);
  request.set_size(flags.output.size);
  if (!AddFilterFlags(flags.filters, request.mutable_filters())) return kExitUsage;
  runtime::v1::ListContainersResponse response;
  grpc::Status status = CallService<runtime::v1::Containers>(
      global, [&](auto& stub, auto& context) { return stub.List(&context, request, &response); });
  if (!status.ok()) return ReportCallError(global, status);
  std::fputs(RenderPs(response, flags.output, absl::Now()).c_str(), stdout);
  return 0;
}

}  // namespace

void AddPsCommand(CLI::App& parent, const std::string& name, CommandRunner& run) {
  auto flags = std::make_shared<PsFlags>();
  auto* cmd = parent.add_subcommand(name, "List containers");
  cmd->add_flag("-a,--all", flags->all, "Show all containers (default shows just running)");
  cmd->add_flag("-q,--quiet", flags->output.quiet, "Only display container IDs");
  cmd->add_option("-n,--last", flags->last, "Show n last created containers (includes all states)");
  cmd->add_flag("-l,--latest", flags->latest,
                "Show the latest created container (includes all states)");
  cmd->add_flag("-s,--size", flags->output.size, "Display total file sizes");
  cmd->add_flag("--no-trunc", flags->output.no_trunc, "Don't truncate output");
  cmd->add_option("-f,--filter", flags->filters, "Filter output based on conditions provided")
      ->allow_extra_args(false);
  cmd->add_option("--format", flags->output.format,
                  "Format output using a custom template: 'table', 'table TEMPLATE', 'json' or "
                  "TEMPLATE");
  cmd->callback([&run, flags] {
    run = [flags](const GlobalOptions& global) { return Run(global, *flags); };
  });
}

}  // namespace berth::ctl
