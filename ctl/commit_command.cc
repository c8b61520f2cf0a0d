// berthctl commit: a container's changes → a new image, as `docker commit`.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "berth/runtime/v1/rootfs.grpc.pb.h"
#include "ctl/container_rootfs_commands.h"

namespace berth::ctl {
namespace {

struct CommitFlags {
  std::string author;
  std::string message;
  std::vector<std::string> changes;
  bool pause = true;
  std::string container;
  std::string reference;
};

int Run(const GlobalOptions& global, const CommitFlags& flags) {
  runtime::v1::CommitContainerRequest request;
  request.set_id(flags.container);
  request.set_reference(flags.reference);
  request.set_author(flags.author);
  request.set_comment(flags.message);
  for (const std::string& change : flags.changes) request.add_changes(change);
  request.set_pause(flags.pause);
  runtime::v1::CommitContainerResponse response;
  grpc::Status status = CallService<runtime::v1::ContainerRootfs>(
      global,
      [&](runtime::v1::ContainerRootfs::Stub& stub, grpc::ClientContext& context) {
        return stub.Commit(&context, request, &response);
      },
      3600);
  if (!status.ok()) return ReportCallError(global, status);
  std::printf("%s\n", response.image_id().c_str());
  return 0;
}

}  // namespace

void AddCommitCommand(CLI::App& parent, CommandRunner& run) {
  auto flags = std::make_shared<CommitFlags>();
  auto* cmd = parent.add_subcommand("commit", "Create a new image from a container's changes");
  cmd->add_option("-a,--author", flags->author,
                  "Author (e.g., \"John Hannibal Smith <hannibal@a-team.com>\")");
  cmd->add_option("-c,--change", flags->changes,
                  "Apply Dockerfile instruction to the created image")
      ->allow_extra_args(false);
  cmd->add_option("-m,--message", flags->message, "Commit message");
  cmd->add_flag("-p,--pause{true}", flags->pause, "Pause container during commit (default true)");
  cmd->add_option("CONTAINER", flags->container, "Container")->required();
  cmd->add_option("REPOSITORY[:TAG]", flags->reference, "Name of the new image");
  cmd->callback([&run, flags] {
    run = [flags](const GlobalOptions& global) { return Run(global, *flags); };
  });
}

}  // namespace berth::ctl
