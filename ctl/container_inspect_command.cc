// berthctl container inspect, and the top-level inspect that tries a container first,
// then an image: a JSON array in Docker's shape, or a --format template per object.
#include <cstdio>
#include <memory>

#include "ctl/container_client.h"
#include "ctl/container_commands.h"
#include "ctl/container_format.h"
#include "ctl/image_commands.h"
#include "ctl/output_format.h"

namespace berth::ctl {
namespace {

struct InspectFlags {
  std::string format;
  std::string type;  // top level --type: "", "container" or "image"
  bool size = false;
  std::vector<std::string> names;
};

grpc::Status InspectContainer(const GlobalOptions& global, const std::string& name, bool size,
                              nlohmann::ordered_json* out) {
  runtime::v1::InspectContainerRequest request;
  request.set_id(name);
  request.set_size(size);
  runtime::v1::InspectContainerResponse response;
  grpc::Status status = CallService<runtime::v1::Containers>(
      global,
      [&](auto& stub, auto& context) { return stub.Inspect(&context, request, &response); });
  if (status.ok()) *out = ContainerInspectJson(response.container(), size);
  return status;
}

int Run(const GlobalOptions& global, const InspectFlags& flags, bool any_object) {
  if (any_object && !flags.type.empty() && flags.type != "container" && flags.type != "image") {
    std::fprintf(stderr, "\"%s\" is not a valid value for --type\n", flags.type.c_str());
    return kExitUsage;
  }
  const bool containers = flags.type != "image";
  const bool images = any_object && flags.type != "container";
  nlohmann::ordered_json all = nlohmann::ordered_json::array();
  int exit_code = 0;
  for (const std::string& name : flags.names) {
    nlohmann::ordered_json object;
    grpc::Status status(grpc::StatusCode::NOT_FOUND, "");
    if (containers) status = InspectContainer(global, name, flags.size, &object);
    if (status.error_code() == grpc::StatusCode::NOT_FOUND && images) {
      status = InspectImageJson(global, name, &object);
    }
    if (status.error_code() == grpc::StatusCode::NOT_FOUND) {
      std::fprintf(
          stderr, "Error: No such %s: %s\n",
          any_object && flags.type.empty() ? "object" : (containers ? "container" : "image"),
          name.c_str());
      exit_code = 1;
      continue;
    }
    if (!status.ok()) return ReportCallError(global, status);
    all.push_back(std::move(object));
  }
  OutputFormat format = ParseOutputFormat(flags.format);
  if (!format.template_text.empty()) {
    for (const auto& object : all) {
      std::printf("%s\n", ExpandTemplate(format.template_text, object).c_str());
    }
  } else {
    std::printf("%s\n", all.dump(4).c_str());
  }
  return exit_code;
}

}  // namespace

void AddContainerInspectCommand(CLI::App& parent, bool any_object, CommandRunner& run) {
  auto flags = std::make_shared<InspectFlags>();
  auto* cmd = parent.add_subcommand(
      "inspect", any_object ? "Return low-level information on Docker objects"
                            : "Display detailed information on one or more containers");
  cmd->add_option("-f,--format", flags->format,
                  "Format output using a custom template: 'json' or TEMPLATE");
  cmd->add_flag("-s,--size", flags->size, "Display total file sizes");
  if (any_object) cmd->add_option("--type", flags->type, "Return JSON for specified type");
  cmd->add_option("NAME", flags->names, "Containers (or images) to inspect")->required();
  cmd->callback([&run, flags, any_object] {
    run = [flags, any_object](const GlobalOptions& global) {
      return Run(global, *flags, any_object);
    };
  });
}

}  // namespace berth::ctl
