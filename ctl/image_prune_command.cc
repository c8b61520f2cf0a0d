// berthctl image prune: delete dangling (or, with -a, all unused) images after asking,
// as `docker image prune`.
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "ctl/daemon_call.h"
#include "ctl/image_commands.h"
#include "ctl/output_format.h"

namespace berth::ctl {
namespace {

struct PruneFlags {
  bool all = false;
  bool force = false;
  std::vector<std::string> filters;  // key=value
};

int Run(const GlobalOptions& global, const PruneFlags& flags) {
  images::v1::PruneImagesRequest request;
  if (!AddFilterFlags(flags.filters, request.mutable_filters())) return kExitUsage;
  auto* dangling = request.add_filters();
  dangling->set_key("dangling");
  dangling->add_values(flags.all ? "false" : "true");
  const std::string warning =
      flags.all ? "WARNING! This will remove all images without at least one container "
                  "associated to them."
                : "WARNING! This will remove all dangling images.";
  if (!flags.force && !Confirm(warning)) return 0;

  images::v1::PruneImagesResponse response;
  grpc::Status status = CallImages(
      global, [&](auto& stub, auto& context) { return stub.Prune(&context, request, &response); });
  if (!status.ok()) return ReportCallError(global, status);
  if (response.items_size() > 0) {
    std::printf("Deleted Images:\n");
    for (const auto& item : response.items()) {
      if (!item.untagged().empty()) std::printf("untagged: %s\n", item.untagged().c_str());
      if (!item.deleted().empty()) std::printf("deleted: %s\n", item.deleted().c_str());
    }
    std::printf("\n");
  }
  std::printf("Total reclaimed space: %s\n", ReclaimedSize(response.space_reclaimed()).c_str());
  return 0;
}

}  // namespace

void AddImagePruneCommand(CLI::App& parent, CommandRunner& run) {
  auto flags = std::make_shared<PruneFlags>();
  auto* cmd = parent.add_subcommand("prune", "Remove unused images");
  cmd->add_flag("-a,--all", flags->all, "Remove all unused images, not just dangling ones");
  cmd->add_flag("-f,--force", flags->force, "Do not prompt for confirmation");
  cmd->add_option("--filter", flags->filters, "Provide filter values (e.g. \"label=<key>\")")
      ->allow_extra_args(false);
  cmd->callback([&run, flags] {
    run = [flags](const GlobalOptions& global) { return Run(global, *flags); };
  });
}

}  // namespace berth::ctl
