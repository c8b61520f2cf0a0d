// berthctl save: images → an image archive on a file (-o) or stdout, as `docker save`.
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "berth/images/v1/transfer.grpc.pb.h"
#include "ctl/archive_output.h"
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
  ArchiveOutput out(flags.output, "save image");
  return ReceiveArchive<images::v1::SaveImagesResponse>(
      options, out, [&](grpc::ClientContext& context) {
        return images::v1::Transfer::NewStub(*channel)->Save(&context, request);
      });
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
