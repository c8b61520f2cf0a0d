// berthctl save: images → an image archive on a file (-o) or stdout, as `docker save`.
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "berth/images/v1/transfer.grpc.pb.h"
#include "ctl/command.h"
#include "ctl/daemon_call.h"
#include "services/images/core/platform.h"

namespace berth::ctl {
namespace {

struct SaveFlags {
  std::string output;
  std::string format;
  std::vector<std::string> platforms;
  std::vector<std::string> images;
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

// Fills `request` from the flags; false (after saying why) on a bad value.
bool BuildRequest(const SaveFlags& flags, images::v1::SaveImagesRequest& request) {
  for (const std::string& name : flags.images) request.add_names(name);
  for (const std::string& text : flags.platforms) {
    absl::StatusOr<images::Platform> platform = images::ParsePlatform(text);
    if (!platform.ok()) {
      std::fprintf(stderr, "%s\n", std::string(platform.status().message()).c_str());
      return false;
    }
    auto* out = request.add_platforms();
    out->set_os(platform->os);
    out->set_architecture(platform->architecture);
    out->set_variant(platform->variant);
  }
  if (flags.format == "docker") {
    request.set_format(images::v1::ARCHIVE_FORMAT_DOCKER);
  } else if (flags.format == "oci") {
    request.set_format(images::v1::ARCHIVE_FORMAT_OCI);
  } else if (!flags.format.empty()) {
    std::fprintf(stderr, "invalid --format \"%s\": want docker or oci\n", flags.format.c_str());
    return false;
  }
  return true;
}

int Run(const GlobalOptions& options, const SaveFlags& flags) {
  if (flags.output.empty() && ::isatty(STDOUT_FILENO)) {
    std::fprintf(stderr, "cowardly refusing to save to a terminal. Use the -o flag or redirect\n");
    return 1;
  }
  images::v1::SaveImagesRequest request;
  if (!BuildRequest(flags, request)) return kExitUsage;
  auto channel = Connect(options);
  if (!channel.ok()) {
    return ReportConnectError(options, channel.status());
  }
  // As Docker: a temporary file beside the output, renamed once the archive is whole.
  int fd = STDOUT_FILENO;
  std::string temp;
  if (!flags.output.empty()) {
    temp = flags.output + ".berth-save-XXXXXX";
    fd = ::mkstemp(temp.data());
    if (fd < 0) {
      std::fprintf(stderr, "failed to save image: %s: %s\n", flags.output.c_str(),
                   std::strerror(errno));
      return 1;
    }
  }
  grpc::ClientContext context;
  PrepareCall(context, 3600);
  auto stream = images::v1::Transfer::NewStub(*channel)->Save(&context, request);
  images::v1::SaveImagesResponse response;
  bool write_failed = false;
  while (!write_failed && stream->Read(&response)) write_failed = !WriteAll(fd, response.chunk());
  const int write_errno = errno;
  if (write_failed) context.TryCancel();
  grpc::Status status = stream->Finish();
  if (fd != STDOUT_FILENO) ::close(fd);
  if (write_failed || !status.ok()) {
    if (!temp.empty()) ::unlink(temp.c_str());
    if (!write_failed) return ReportCallError(options, status);
    std::fprintf(stderr, "failed to save image: %s\n", std::strerror(write_errno));
    return 1;
  }
  if (!temp.empty() && ::rename(temp.c_str(), flags.output.c_str()) != 0) {
    std::fprintf(stderr, "failed to save image: %s: %s\n", flags.output.c_str(),
                 std::strerror(errno));
    ::unlink(temp.c_str());
    return 1;
  }
  return 0;
}

}  // namespace

void AddSaveCommand(CLI::App& app, CommandRunner& run) {
  auto flags = std::make_shared<SaveFlags>();
  CLI::App* save = app.add_subcommand(
      "save", "Save one or more images to a tar archive (streamed to STDOUT by default)");
  save->add_option("-o,--output", flags->output, "Write to a file, instead of STDOUT");
  save->add_option("--platform", flags->platforms,
                   "Save only the given platform(s) (os[/arch[/variant]])")
      ->allow_extra_args(false);
  save->add_option("--format", flags->format,
                   "Archive layout: \"docker\" or \"oci\" (default: both, as Docker 25+)");
  save->add_option("IMAGE", flags->images, "Images to save")->required();
  save->callback([&run, flags] {
    run = [flags](const GlobalOptions& options) { return Run(options, *flags); };
  });
}

}  // namespace berth::ctl
