// berthctl volume create, rm and prune.
#include "ctl/volume_commands.h"

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "berth/volumes/v1/volumes.grpc.pb.h"
#include "ctl/daemon_call.h"
#include "ctl/output_format.h"

namespace berth::ctl {
namespace {

using volumes::v1::Volumes;

struct CreateFlags {
  std::string name, name_flag, driver = "local";
  std::vector<std::string> labels, options;
};

// "k=v" → (k, v); "k" → (k, "").
std::pair<std::string, std::string> Split(const std::string& text) {
  const size_t eq = text.find('=');
  if (eq == std::string::npos) return {text, ""};
  return {text.substr(0, eq), text.substr(eq + 1)};
}

int RunCreate(const GlobalOptions& global, const CreateFlags& flags) {
  if (!flags.name.empty() && !flags.name_flag.empty() && flags.name != flags.name_flag) {
    std::fprintf(stderr,
                 "conflicting options: either specify --name or provide positional arg, not "
                 "both\n");
    return kExitUsage;
  }
  volumes::v1::CreateVolumeRequest request;
  request.set_name(flags.name.empty() ? flags.name_flag : flags.name);
  request.set_driver(flags.driver);
  for (const std::string& label : flags.labels) {
    auto [key, value] = Split(label);
    (*request.mutable_labels())[key] = value;
  }
  for (const std::string& option : flags.options) {
    if (option.find('=') == std::string::npos) {
      std::fprintf(stderr,
                   "invalid argument \"%s\" for \"-o, --opt\" flag: %s is not a key=value "
                   "pair\n",
                   option.c_str(), option.c_str());
      return kExitUsage;
    }
    auto [key, value] = Split(option);
    (*request.mutable_driver_options())[key] = value;
  }
  volumes::v1::CreateVolumeResponse response;
  grpc::Status status = CallService<Volumes>(
      global, [&](auto& stub, auto& context) { return stub.Create(&context, request, &response); });
  if (!status.ok()) return ReportCallError(global, status);
  std::printf("%s\n", response.volume().name().c_str());
  return 0;
}

struct RemoveFlags {
  bool force = false;
  std::vector<std::string> names;
};

int RunRemove(const GlobalOptions& global, const RemoveFlags& flags) {
  int exit_code = 0;
  for (const std::string& name : flags.names) {
    volumes::v1::RemoveVolumeRequest request;
    request.set_name(name);
    request.set_force(flags.force);
    volumes::v1::RemoveVolumeResponse response;
    grpc::Status status = CallService<Volumes>(global, [&](auto& stub, auto& context) {
      return stub.Remove(&context, request, &response);
    });
    if (!status.ok()) {
      exit_code = ReportCallError(global, status);
      continue;
    }
    std::printf("%s\n", name.c_str());
  }
  return exit_code;
}

struct PruneFlags {
  bool all = false;
  bool force = false;
  std::vector<std::string> filters;
};

int RunPrune(const GlobalOptions& global, const PruneFlags& flags) {
  volumes::v1::PruneVolumesRequest request;
  request.set_all(flags.all);
  if (!AddFilterFlags(flags.filters, request.mutable_filters())) return kExitUsage;
  const std::string warning =
      flags.all ? "WARNING! This will remove all local volumes not used by at least one container."
                : "WARNING! This will remove anonymous local volumes not used by at least one "
                  "container.";
  if (!flags.force && !Confirm(warning)) return 0;
  volumes::v1::PruneVolumesResponse response;
  grpc::Status status = CallService<Volumes>(
      global, [&](auto& stub, auto& context) { return stub.Prune(&context, request, &response); });
  if (!status.ok()) return ReportCallError(global, status);
  if (response.deleted_size() > 0) {
    std::printf("Deleted Volumes:\n");
    for (const std::string& name : response.deleted()) std::printf("%s\n", name.c_str());
    std::printf("\n");
  }
  std::printf("Total reclaimed space: %s\n", ReclaimedSize(response.space_reclaimed()).c_str());
  return 0;
}

}  // namespace

void AddVolumeCommands(CLI::App& app, CommandRunner& run) {
  auto* volume = app.add_subcommand("volume", "Manage volumes");
  volume->require_subcommand(1);

  auto create_flags = std::make_shared<CreateFlags>();
  auto* create = volume->add_subcommand("create", "Create a volume");
  create->add_option("-d,--driver", create_flags->driver, "Specify volume driver name");
  create->add_option("--label", create_flags->labels, "Set metadata for a volume")
      ->allow_extra_args(false);
  create->add_option("-o,--opt", create_flags->options, "Set driver specific options")
      ->allow_extra_args(false);
  create->add_option("--name", create_flags->name_flag, "Specify volume name");
  create->add_option("VOLUME", create_flags->name, "Volume name");
  create->callback([&run, create_flags] {
    run = [create_flags](const GlobalOptions& global) { return RunCreate(global, *create_flags); };
  });

  AddVolumeListCommand(*volume, run);
  AddVolumeInspectCommand(*volume, run);

  auto remove_flags = std::make_shared<RemoveFlags>();
  auto* remove = volume->add_subcommand("rm", "Remove one or more volumes");
  remove->alias("remove");
  remove->add_flag("-f,--force", remove_flags->force, "Force the removal of one or more volumes");
  remove->add_option("VOLUME", remove_flags->names, "Volumes to remove")->required();
  remove->callback([&run, remove_flags] {
    run = [remove_flags](const GlobalOptions& global) { return RunRemove(global, *remove_flags); };
  });

  auto prune_flags = std::make_shared<PruneFlags>();
  auto* prune = volume->add_subcommand("prune", "Remove unused local volumes");
  prune->add_flag("-a,--all", prune_flags->all,
                  "Remove all unused volumes, not just anonymous ones");
  prune->add_flag("-f,--force", prune_flags->force, "Do not prompt for confirmation");
  prune
      ->add_option("--filter", prune_flags->filters,
                   "Provide filter values (e.g. \"label=<label>\")")
      ->allow_extra_args(false);
  prune->callback([&run, prune_flags] {
    run = [prune_flags](const GlobalOptions& global) { return RunPrune(global, *prune_flags); };
  });
}

}  // namespace berth::ctl
