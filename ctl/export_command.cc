// berthctl export: a container's file system as a tar on a file (-o) or stdout, as
// `docker export`.
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "berth/runtime/v1/rootfs.grpc.pb.h"
#include "ctl/container_rootfs_commands.h"

namespace berth::ctl {
namespace {

struct ExportFlags {
  std::string output;
  std::string container;
};

bool WriteAll(int fd, const std::string& data) {
  for (size_t done = 0; done < data.size();) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

int Run(const GlobalOptions& global, const ExportFlags& flags) {
  if (flags.output.empty() && ::isatty(STDOUT_FILENO)) {
    std::fprintf(stderr, "cowardly refusing to save to a terminal. Use the -o flag or redirect\n");
    return 1;
  }
  auto channel = Connect(global);
  if (!channel.ok()) return ReportConnectError(global, channel.status());
  // As Docker: a temporary file beside the output, renamed once the tar is whole.
  int fd = STDOUT_FILENO;
  std::string temp;
  if (!flags.output.empty()) {
    temp = flags.output + ".berth-export-XXXXXX";
    fd = ::mkstemp(temp.data());
    if (fd < 0) {
      std::fprintf(stderr, "failed to export container: %s: %s\n", flags.output.c_str(),
                   std::strerror(errno));
      return 1;
    }
  }
  runtime::v1::ExportContainerRequest request;
  request.set_id(flags.container);
  grpc::ClientContext context;
  PrepareCall(context, 3600);
  auto stream = runtime::v1::ContainerRootfs::NewStub(*channel)->Export(&context, request);
  runtime::v1::ExportContainerResponse response;
  bool write_failed = false;
  while (!write_failed && stream->Read(&response)) write_failed = !WriteAll(fd, response.chunk());
  const int write_errno = errno;
  if (write_failed) context.TryCancel();
  grpc::Status status = stream->Finish();
  if (fd != STDOUT_FILENO) ::close(fd);
  if (write_failed || !status.ok()) {
    if (!temp.empty()) ::unlink(temp.c_str());
    if (!write_failed) return ReportCallError(global, status);
    std::fprintf(stderr, "failed to export container: %s\n", std::strerror(write_errno));
    return 1;
  }
  if (!temp.empty() && ::rename(temp.c_str(), flags.output.c_str()) != 0) {
    std::fprintf(stderr, "failed to export container: %s: %s\n", flags.output.c_str(),
                 std::strerror(errno));
    ::unlink(temp.c_str());
    return 1;
  }
  return 0;
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
