// berthctl load: an image archive (docker-archive or OCI layout tar) from a file or stdin.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "berth/images/v1/transfer.grpc.pb.h"
#include "ctl/command.h"
#include "services/images/core/image_reference.h"

namespace berth::ctl {
namespace {

constexpr size_t kChunkBytes = 1 << 20;

struct LoadFlags {
  std::string input;
  bool quiet = false;
};

int Run(const GlobalOptions& options, const LoadFlags& flags) {
  int fd = STDIN_FILENO;
  if (!flags.input.empty()) {
    fd = ::open(flags.input.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      std::fprintf(stderr, "open %s: %s\n", flags.input.c_str(), std::strerror(errno));
      return 1;
    }
  } else if (::isatty(STDIN_FILENO)) {
    std::fprintf(stderr, "requested load from stdin, but stdin is empty\n");
    return 1;
  }
  auto channel = Connect(options);
  if (!channel.ok()) {
    return ReportConnectError(options, channel.status());
  }
  grpc::ClientContext context;
  images::v1::LoadImagesResponse response;
  auto stream = images::v1::Transfer::NewStub(*channel)->Load(&context, &response);
  std::string buffer(kChunkBytes, '\0');
  images::v1::LoadImagesRequest request;
  bool read_failed = false;
  for (;;) {
    ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) read_failed = true;
    if (n <= 0) break;
    request.set_chunk(buffer.data(), static_cast<size_t>(n));
    if (!stream->Write(request)) break;  // the daemon stopped reading: Finish says why
  }
  if (fd != STDIN_FILENO) ::close(fd);
  if (read_failed) {
    context.TryCancel();
    std::fprintf(stderr, "reading the archive: %s\n", std::strerror(errno));
    return 1;
  }
  stream->WritesDone();
  grpc::Status status = stream->Finish();
  if (!status.ok()) return ReportCallError(options, status);
  for (const auto& image : response.images()) {
    if (image.reference().empty()) {
      std::printf("Loaded image ID: %s\n", image.image_id().c_str());
      continue;
    }
    auto ref = images::ParseImageReference(image.reference());
    std::printf("Loaded image: %s\n",
                ref.ok() ? ref->FamiliarString().c_str() : image.reference().c_str());
  }
  return 0;
}

}  // namespace

void AddLoadCommand(CLI::App& app, CommandRunner& run) {
  auto flags = std::make_shared<LoadFlags>();
  CLI::App* load = app.add_subcommand("load", "Load an image from a tar archive or STDIN");
  load->add_option("-i,--input", flags->input, "Read from tar archive file, instead of STDIN");
  load->add_flag("-q,--quiet", flags->quiet, "Suppress the load output");
  load->callback([&run, flags] {
    run = [flags](const GlobalOptions& options) { return Run(options, *flags); };
  });
}

}  // namespace berth::ctl
