// berthctl tag / rmi and the `image` command group, as Docker's.
#include "ctl/image_commands.h"

#include <cstdio>
#include <memory>

#include "ctl/daemon_call.h"

namespace berth::ctl {
namespace {

struct RemoveOptions {
  bool force = false;
  bool no_prune = false;
  std::vector<std::string> images;
};

int RunRemove(const GlobalOptions& global, const RemoveOptions& options) {
  int exit_code = 0;
  for (const std::string& name : options.images) {
    images::v1::DeleteImageRequest request;
    request.set_name(name);
    request.set_force(options.force);
    request.set_no_prune(options.no_prune);
    images::v1::DeleteImageResponse response;
    grpc::Status status = CallImages(global, [&](auto& stub, auto& context) {
      return stub.Delete(&context, request, &response);
    });
    if (!status.ok()) {
      exit_code = ReportCallError(global, status);
      continue;
    }
    for (const auto& item : response.items()) {
      if (!item.untagged().empty()) std::printf("Untagged: %s\n", item.untagged().c_str());
      if (!item.deleted().empty()) std::printf("Deleted: %s\n", item.deleted().c_str());
    }
  }
  return exit_code;
}

void AddRemoveCommand(CLI::App& parent, const std::string& name, CommandRunner& run) {
  auto* cmd = parent.add_subcommand(name, "Remove one or more images");
  auto options = std::make_shared<RemoveOptions>();
  cmd->add_flag("-f,--force", options->force, "Force removal of the image");
  cmd->add_flag("--no-prune", options->no_prune, "Do not delete untagged parents");
  cmd->add_option("IMAGE", options->images, "Images to remove")->required();
  cmd->callback([&run, options] {
    run = [options](const GlobalOptions& global) { return RunRemove(global, *options); };
  });
}

void AddTagCommand(CLI::App& parent, CommandRunner& run) {
  auto* cmd = parent.add_subcommand("tag", "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE");
  auto request = std::make_shared<images::v1::TagImageRequest>();
  cmd->add_option("SOURCE_IMAGE", *request->mutable_source(), "SOURCE_IMAGE[:TAG]")->required();
  cmd->add_option("TARGET_IMAGE", *request->mutable_target(), "TARGET_IMAGE[:TAG]")->required();
  cmd->callback([&run, request] {
    run = [request](const GlobalOptions& global) {
      images::v1::TagImageResponse response;
      grpc::Status status = CallImages(global, [&](auto& stub, auto& context) {
        return stub.Tag(&context, *request, &response);
      });
      return status.ok() ? 0 : ReportCallError(global, status);
    };
  });
}

}  // namespace

std::string ImageIdShort(const std::string& id) {
  std::string hex = id.rfind("sha256:", 0) == 0 ? id.substr(7) : id;
  return hex.substr(0, 12);
}

grpc::Status CallImages(
    const GlobalOptions& global,
    const std::function<grpc::Status(images::v1::Images::Stub&, grpc::ClientContext&)>& call) {
  return CallService<images::v1::Images>(global, call);
}

void AddImageCommands(CLI::App& app, CommandRunner& run) {
  AddImageListCommand(app, "images", run);
  AddImageHistoryCommand(app, run);
  AddTagCommand(app, run);
  AddRemoveCommand(app, "rmi", run);

  auto* image = app.add_subcommand("image", "Manage images");
  image->require_subcommand(1);
  AddImageListCommand(*image, "ls", run);
  AddImageInspectCommand(*image, run);
  AddImageHistoryCommand(*image, run);
  AddTagCommand(*image, run);
  AddRemoveCommand(*image, "rm", run);
  AddImagePruneCommand(*image, run);
  for (CLI::App* sub : image->get_subcommands([](const CLI::App*) { return true; })) {
    sub->set_help_flag("-h,--help", "Print usage");
  }
}

}  // namespace berth::ctl
