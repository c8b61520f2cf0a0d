// berthctl export: a container's file system as a tar on a file (-o) or stdout, as
// `docker export`.
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>

#include "berth/runtime/v1/rootfs.grpc.pb.h"
#include "ctl/archive_output.h"
#include "ctl/container_rootfs_commands.h"

namespace berth::ctl {
namespace {

struct ExportFlags {
  std::string output;
  std::string container;
};

int Run(const GlobalOptions& global, const ExportFlags& flags) {
  if (flags.output.empty() && ::isatty(STDOUT_FILENO)) {
    std::fprintf(stderr, "cowardly refusing to save to a terminal. Use the -o flag or redirect\n");
    return 1;
  }
  auto channel = Connect(global);
  if (!channel.ok()) return ReportConnectError(global, channel.status());
  runtime::v1::ExportContainerRequest request;
  request.set_id(flags.container);
  ArchiveOutput out(flags.output, "export container");
  return ReceiveArchive<runtime::v1::ExportContainerResponse>(
      global, out, [&](grpc::ClientContext& context) {
        return runtime::v1::ContainerRootfs::NewStub(*channel)->Export(&context, request);
      });
}

}  // namespace

void AddExportCommand(CLI::App& parent, CommandRunner& run) {
  auto flags = std::make_shared<ExportFlags>();
  auto* cmd = parent.add_subcommand("export", "Export a container's filesystem as a tar archive");
  cmd->add_option("-o,--output", flags->output, "Write to a file, instead of STDOUT");
  cmd->add_option("CONTAINER", flags->container, "Container")->required();
  cmd->callback([&run, flags] {
    run = [flags](const GlobalOptions& global) { return Run(global, *flags); };
  });
}

}  // namespace berth::ctl
