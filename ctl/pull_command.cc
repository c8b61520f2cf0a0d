// berthctl pull: Docker's per-layer progress on a terminal, plain lines otherwise.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "berth/images/v1/transfer.grpc.pb.h"
#include "ctl/command.h"
#include "ctl/layer_progress.h"
#include "ctl/registry_request.h"
#include "services/images/core/image_reference.h"

namespace berth::ctl {
namespace {

const char* StatusText(images::v1::LayerStatus status) {
  switch (status) {
    case images::v1::LAYER_STATUS_PULLING_FS_LAYER:
      return "Pulling fs layer";
    case images::v1::LAYER_STATUS_WAITING:
      return "Waiting";
    case images::v1::LAYER_STATUS_DOWNLOADING:
      return "Downloading";
    case images::v1::LAYER_STATUS_VERIFYING:
      return "Verifying Checksum";
    case images::v1::LAYER_STATUS_DOWNLOADED:
      return "Download complete";
    case images::v1::LAYER_STATUS_EXTRACTING:
      return "Extracting";
    case images::v1::LAYER_STATUS_PULL_COMPLETE:
      return "Pull complete";
    case images::v1::LAYER_STATUS_ALREADY_EXISTS:
      return "Already exists";
    default:
      return "";
  }
}

}  // namespace

int PullImage(const GlobalOptions& options, const PullFlags& flags) {
  FILE* out = flags.out;
  absl::StatusOr<images::ImageReference> ref = images::ParseImageReference(flags.reference);
  if (!ref.ok()) {
    std::fprintf(stderr, "%s\n", std::string(ref.status().message()).c_str());
    return 1;
  }
  images::v1::PullImageRequest request;
  request.set_reference(ref->String());
  if (!flags.platform.empty() && !SetPlatform(flags.platform, request.mutable_platform())) {
    return kExitUsage;
  }
  SetStoredCredentials(ref->domain, request.mutable_auth());

  auto channel = Connect(options);
  if (!channel.ok()) return ReportConnectError(options, channel.status());
  grpc::ClientContext context;
  auto stream = images::v1::Transfer::NewStub(*channel)->Pull(&context, request);
  if (!flags.quiet) {
    std::fprintf(out, "%s: Pulling from %s\n", ref->TagOrDigest().c_str(), ref->path.c_str());
  }
  LayerDisplay display(::isatty(::fileno(out)) == 1, out);
  images::v1::PullImageResponse response;
  images::v1::PulledImage result;
  while (stream->Read(&response)) {
    if (response.has_result()) result = response.result();
    if (!response.has_progress() || flags.quiet) continue;
    for (const auto& layer : response.progress().layers()) {
      const bool moving = layer.status() == images::v1::LAYER_STATUS_DOWNLOADING ||
                          layer.status() == images::v1::LAYER_STATUS_EXTRACTING;
      display.Update(layer, StatusText(layer.status()), moving);
    }
  }
  grpc::Status status = stream->Finish();
  if (!status.ok()) return ReportCallError(options, status);
  if (!flags.quiet) {
    std::fprintf(out, "Digest: %s\n", result.digest().c_str());
    std::fprintf(out, "Status: %s for %s\n",
                 result.updated() ? "Downloaded newer image" : "Image is up to date",
                 ref->FamiliarString().c_str());
  }
  if (flags.print_reference) std::fprintf(out, "%s\n", ref->String().c_str());
  return 0;
}

void AddPullCommand(CLI::App& app, CommandRunner& run) {
  auto flags = std::make_shared<PullFlags>();
  CLI::App* pull = app.add_subcommand("pull", "Download an image from a registry");
  pull->add_option("NAME[:TAG|@DIGEST]", flags->reference, "Image to pull")->required();
  pull->add_flag("-q,--quiet", flags->quiet, "Suppress verbose output");
  pull->add_option("--platform", flags->platform,
                   "Set platform if server is multi-platform capable");
  pull->callback([&run, flags] {
    run = [flags](const GlobalOptions& options) { return PullImage(options, *flags); };
  });
}

}  // namespace berth::ctl
