// berthctl rm, rename and container prune, as Docker's.
#include <cstdio>
#include <memory>

#include "absl/strings/str_split.h"
#include "ctl/container_client.h"
#include "ctl/container_commands.h"
#include "ctl/output_format.h"

namespace berth::ctl {
namespace {

using runtime::v1::Containers;

struct RemoveFlags {
  bool force = false;
  bool volumes = false;
  std::vector<std::string> containers;
};

struct PruneFlags {
  bool force = false;
  std::vector<std::string> filters;  // key=value
};

int RunPrune(const GlobalOptions& global, const PruneFlags& flags) {
  runtime::v1::PruneContainersRequest request;
  if (!AddFilterFlags(flags.filters, request.mutable_filters())) return kExitUsage;
  if (!flags.force && !Confirm("WARNING! This will remove all stopped containers.")) return 0;
  runtime::v1::PruneContainersResponse response;
  grpc::Status status = CallService<Containers>(
      global, [&](auto& stub, auto& context) { return stub.Prune(&context, request, &response); });
  if (!status.ok()) return ReportCallError(global, status);
  if (response.deleted_size() > 0) {
    std::printf("Deleted Containers:\n");
    for (const std::string& id : response.deleted()) std::printf("%s\n", id.c_str());
    std::printf("\n");
  }
  std::printf("Total reclaimed space: %s\n", ReclaimedSize(response.space_reclaimed()).c_str());
  return 0;
}

}  // namespace

void AddRemoveCommands(CLI::App& parent, CommandRunner& run) {
  auto flags = std::make_shared<RemoveFlags>();
  auto* rm = parent.add_subcommand("rm", "Remove one or more containers");
  rm->add_flag("-f,--force", flags->force,
               "Force the removal of a running container (uses SIGKILL)");
  rm->add_flag("-v,--volumes", flags->volumes,
               "Remove anonymous volumes associated with the container");
  rm->add_option("CONTAINER", flags->containers, "Containers")->required();
  rm->callback([&run, flags] {
    run = [flags](const GlobalOptions& global) {
      return ForEachContainer(global, flags->containers, [&](const std::string& id) {
        return CallService<Containers>(global, [&](auto& stub, auto& context) {
          runtime::v1::DeleteContainerRequest request;
          request.set_id(id);
          request.set_force(flags->force);
          request.set_remove_volumes(flags->volumes);
          google::protobuf::Empty response;
          return stub.Delete(&context, request, &response);
        });
      });
    };
  });

  auto request = std::make_shared<runtime::v1::RenameContainerRequest>();
  auto* rename = parent.add_subcommand("rename", "Rename a container");
  rename->add_option("CONTAINER", *request->mutable_id(), "Container")->required();
  rename->add_option("NEW_NAME", *request->mutable_new_name(), "New name")->required();
  rename->callback([&run, request] {
    run = [request](const GlobalOptions& global) {
      google::protobuf::Empty response;
      grpc::Status status = CallService<Containers>(global, [&](auto& stub, auto& context) {
        return stub.Rename(&context, *request, &response);
      });
      return status.ok() ? 0 : ReportCallError(global, status);
    };
  });
}

void AddContainerPruneCommand(CLI::App& parent, CommandRunner& run) {
  auto flags = std::make_shared<PruneFlags>();
  auto* cmd = parent.add_subcommand("prune", "Remove all stopped containers");
  cmd->add_flag("-f,--force", flags->force, "Do not prompt for confirmation");
  cmd->add_option("--filter", flags->filters, "Provide filter values (e.g. \"until=<timestamp>\")")
      ->allow_extra_args(false);
  cmd->callback([&run, flags] {
    run = [flags](const GlobalOptions& global) { return RunPrune(global, *flags); };
  });
}

}  // namespace berth::ctl
