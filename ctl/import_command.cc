// berthctl import: a filesystem tarball (file, URL or stdin) → a one-layer image, as
// `docker import`; prints the new image's ID.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "berth/images/v1/transfer.grpc.pb.h"
#include "ctl/command.h"
#include "ctl/daemon_call.h"
#include "services/images/core/platform.h"

namespace berth::ctl {
namespace {

constexpr size_t kChunkBytes = 1 << 20;

struct ImportFlags {
  std::string source;  // a file, an http(s) URL, or "-" for stdin
  std::string reference;
  std::vector<std::string> changes;
  std::string message;
  std::string platform;
};

// The first message of the stream; false (after saying why) on a bad flag.
bool BuildOptions(const ImportFlags& flags, images::v1::ImportImageOptions& options) {
  options.set_reference(flags.reference);
  for (const std::string& change : flags.changes) options.add_changes(change);
  options.set_message(flags.message);
  if (absl::StartsWith(flags.source, "http://") || absl::StartsWith(flags.source, "https://")) {
    options.set_source_url(flags.source);
  }
  if (!flags.platform.empty()) {
    absl::StatusOr<images::Platform> platform = images::ParsePlatform(flags.platform);
    if (!platform.ok()) {
      std::fprintf(stderr, "%s\n", std::string(platform.status().message()).c_str());
      return false;
    }
    options.mutable_platform()->set_os(platform->os);
    options.mutable_platform()->set_architecture(platform->architecture);
    options.mutable_platform()->set_variant(platform->variant);
  }
  return true;
}

int Run(const GlobalOptions& global, const ImportFlags& flags) {
  images::v1::ImportImageRequest request;
  if (!BuildOptions(flags, *request.mutable_options())) return kExitUsage;
  int fd = -1;  // none: the daemon fetches source_url
  if (flags.source == "-") {
    fd = STDIN_FILENO;
  } else if (request.options().source_url().empty()) {
    fd = ::open(flags.source.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      std::fprintf(stderr, "open %s: %s\n", flags.source.c_str(), std::strerror(errno));
      return 1;
    }
  }
  auto channel = Connect(global);
  if (!channel.ok()) {
    if (fd > STDIN_FILENO) ::close(fd);
    return ReportConnectError(global, channel.status());
  }
  grpc::ClientContext context;
  PrepareCall(context, 3600);
  images::v1::ImportImageResponse response;
  auto stream = images::v1::Transfer::NewStub(*channel)->Import(&context, &response);
  bool open = stream->Write(request);
  std::string buffer(kChunkBytes, '\0');
  int read_errno = 0;
  while (open && fd >= 0) {
    ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) read_errno = errno;
    if (n <= 0) break;
    request.set_chunk(buffer.data(), static_cast<size_t>(n));
    open = stream->Write(request);  // false: the daemon stopped reading; Finish says why
  }
  if (fd > STDIN_FILENO) ::close(fd);
  if (read_errno != 0) {
    context.TryCancel();
    std::fprintf(stderr, "reading %s: %s\n", flags.source.c_str(), std::strerror(read_errno));
    return 1;
  }
  stream->WritesDone();
  grpc::Status status = stream->Finish();
  if (!status.ok()) return ReportCallError(global, status);
  std::printf("%s\n", response.image_id().c_str());
  return 0;
}

}  // namespace

void AddImportCommand(CLI::App& app, CommandRunner& run) {
  auto flags = std::make_shared<ImportFlags>();
  CLI::App* cmd = app.add_subcommand(
      "import", "Import the contents from a tarball to create a filesystem image");
  cmd->add_option("-c,--change", flags->changes,
                  "Apply Dockerfile instruction to the created image")
      ->allow_extra_args(false);
  cmd->add_option("-m,--message", flags->message, "Set commit message for imported image");
  cmd->add_option("--platform", flags->platform,
                  "Set platform if server is multi-platform capable");
  cmd->add_option("SOURCE", flags->source, "file|URL|-")->required();
  cmd->add_option("REPOSITORY", flags->reference, "REPOSITORY[:TAG]");
  cmd->callback([&run, flags] {
    run = [flags](const GlobalOptions& global) { return Run(global, *flags); };
  });
}

}  // namespace berth::ctl
