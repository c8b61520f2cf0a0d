// berthctl push: Docker's per-layer progress on a terminal, plain lines otherwise.
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

struct PushFlags {
  std::string reference;
  std::string platform;
  bool quiet = false;
};

std::string StatusText(const images::v1::LayerProgress& layer) {
  switch (layer.status()) {
    case images::v1::LAYER_STATUS_PREPARING:
      return "Preparing";
    case images::v1::LAYER_STATUS_WAITING:
      return "Waiting";
    case images::v1::LAYER_STATUS_PUSHING:
      return "Pushing";
    case images::v1::LAYER_STATUS_PUSHED:
      return "Pushed";
    case images::v1::LAYER_STATUS_LAYER_EXISTS:
      return "Layer already exists";
    case images::v1::LAYER_STATUS_MOUNTED:
      return "Mounted from " + layer.mounted_from();
    default:
      return "";
  }
}

// Whether `text` names neither a tag nor a digest ("busybox", "host:5000/x").
bool NameOnly(const std::string& text) {
  if (text.find('@') != std::string::npos) return false;
  size_t slash = text.rfind('/');
  return text.find(':', slash == std::string::npos ? 0 : slash) == std::string::npos;
}

int Run(const GlobalOptions& options, const PushFlags& flags) {
  absl::StatusOr<images::ImageReference> ref = images::ParseImageReference(flags.reference);
  if (!ref.ok()) {
    std::fprintf(stderr, "%s\n", std::string(ref.status().message()).c_str());
    return 1;
  }
  images::v1::PushImageRequest request;
  request.set_reference(ref->String());
  if (!flags.platform.empty() && !SetPlatform(flags.platform, request.mutable_platform())) {
    return kExitUsage;
  }
  SetStoredCredentials(ref->domain, request.mutable_auth());

  auto channel = Connect(options);
  if (!channel.ok()) return ReportConnectError(options, channel.status());
  if (!flags.quiet) {
    if (NameOnly(flags.reference)) std::printf("Using default tag: %s\n", ref->tag.c_str());
    std::printf("The push refers to repository [%s]\n", ref->Name().c_str());
    std::fflush(stdout);
  }
  grpc::ClientContext context;
  auto stream = images::v1::Transfer::NewStub(*channel)->Push(&context, request);
  LayerDisplay display(::isatty(STDOUT_FILENO) == 1);
  images::v1::PushImageResponse response;
  images::v1::PushedImage result;
  bool answered = false;
  while (stream->Read(&response)) {
    answered = true;
    if (response.has_result()) result = response.result();
    if (!response.has_progress() || flags.quiet) continue;
    for (const auto& layer : response.progress().layers()) {
      display.Update(layer, StatusText(layer), layer.status() == images::v1::LAYER_STATUS_PUSHING);
    }
  }
  grpc::Status status = stream->Finish();
  if (!status.ok()) {
    if (status.error_code() == grpc::StatusCode::UNAVAILABLE && !answered) {
      return ReportCallError(options, status);
    }
    // As Docker: a push's error comes within its output, as a line of its own.
    std::fprintf(stderr, "%s\n", status.error_message().c_str());
    return 1;
  }
  if (flags.quiet) {
    std::printf("%s\n", ref->String().c_str());
  } else {
    std::printf("%s: digest: %s size: %lld\n", ref->tag.c_str(), result.digest().c_str(),
                static_cast<long long>(result.size()));
  }
  return 0;
}

}  // namespace

void AddPushCommand(CLI::App& app, CommandRunner& run) {
  auto flags = std::make_shared<PushFlags>();
  CLI::App* push = app.add_subcommand("push", "Upload an image to a registry");
  push->add_option("NAME[:TAG]", flags->reference, "Image to push")->required();
  push->add_flag("-q,--quiet", flags->quiet, "Suppress verbose output");
  push->add_option("--platform", flags->platform,
                   "Push a platform-specific manifest as a single-platform image to the registry");
  push->callback([&run, flags] {
    run = [flags](const GlobalOptions& options) { return Run(options, *flags); };
  });
}

}  // namespace berth::ctl
