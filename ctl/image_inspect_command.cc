// berthctl image inspect: a JSON array in Docker's shape, or a --format template per image.
#include <cstdio>
#include <memory>

#include "ctl/daemon_call.h"
#include "ctl/image_commands.h"
#include "ctl/output_format.h"

namespace berth::ctl {
namespace {

struct InspectOptions {
  std::string format;
  std::vector<std::string> images;
};

absl::Time TimeOf(const google::protobuf::Timestamp& t) {
  if (t.seconds() == 0 && t.nanos() == 0) return absl::InfinitePast();
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

// Go's nil slice: null when empty.
template <typename Repeated>
nlohmann::ordered_json List(const Repeated& items) {
  if (items.empty()) return nullptr;
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const auto& item : items) out.push_back(item);
  return out;
}

// A set as Docker writes it ({"80/tcp": {}}), null when empty.
template <typename Repeated>
nlohmann::ordered_json Set(const Repeated& items) {
  if (items.empty()) return nullptr;
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const auto& item : items) out[item] = nlohmann::ordered_json::object();
  return out;
}

nlohmann::ordered_json AsDocker(const images::v1::ImageInspect& image) {
  const images::v1::ImageConfig& c = image.config();
  nlohmann::ordered_json config;
  config["User"] = c.user();
  config["ExposedPorts"] = Set(c.exposed_ports());
  config["Env"] = List(c.env());
  config["Cmd"] = List(c.cmd());
  if (c.has_healthcheck()) config["Healthcheck"] = {{"Test", List(c.healthcheck().test())}};
  config["Volumes"] = Set(c.volumes());
  config["WorkingDir"] = c.working_dir();
  config["Entrypoint"] = List(c.entrypoint());
  config["OnBuild"] = List(c.on_build());
  config["Labels"] = c.labels().empty() ? nlohmann::ordered_json(nullptr)
                                        : nlohmann::ordered_json(std::map<std::string, std::string>(
                                              c.labels().begin(), c.labels().end()));
  if (!c.stop_signal().empty()) config["StopSignal"] = c.stop_signal();

  nlohmann::ordered_json out;
  out["Id"] = image.id();
  out["RepoTags"] = nlohmann::ordered_json::array();
  for (const auto& tag : image.repo_tags()) out["RepoTags"].push_back(tag);
  out["RepoDigests"] = nlohmann::ordered_json::array();
  for (const auto& digest : image.repo_digests()) out["RepoDigests"].push_back(digest);
  out["Parent"] = image.parent();
  out["Comment"] = image.comment();
  out["Created"] = Rfc3339(TimeOf(image.created()));
  out["Author"] = image.author();
  out["Config"] = config;
  out["Architecture"] = image.architecture();
  if (!image.variant().empty()) out["Variant"] = image.variant();
  out["Os"] = image.os();
  out["Size"] = image.size();
  out["GraphDriver"] = {{"Data", nullptr}, {"Name", image.snapshotter()}};
  out["RootFS"] = {{"Type", image.rootfs_type()}, {"Layers", List(image.rootfs_layers())}};
  out["Metadata"] = {{"LastTagTime", Rfc3339(TimeOf(image.last_tag_time()))}};
  return out;
}

}  // namespace

grpc::Status InspectImageJson(const GlobalOptions& global, const std::string& name,
                              nlohmann::ordered_json* out) {
  images::v1::InspectImageRequest request;
  request.set_name(name);
  images::v1::InspectImageResponse response;
  grpc::Status status = CallImages(global, [&](auto& stub, auto& context) {
    return stub.Inspect(&context, request, &response);
  });
  if (status.ok()) *out = AsDocker(response.image());
  return status;
}

namespace {

int Run(const GlobalOptions& global, const InspectOptions& options) {
  OutputFormat format = ParseOutputFormat(options.format);
  nlohmann::ordered_json all = nlohmann::ordered_json::array();
  int exit_code = 0;
  for (const std::string& name : options.images) {
    nlohmann::ordered_json image;
    grpc::Status status = InspectImageJson(global, name, &image);
    if (status.error_code() == grpc::StatusCode::NOT_FOUND) {
      std::fprintf(stderr, "Error: %s\n", status.error_message().c_str());
      exit_code = 1;
      continue;
    }
    if (!status.ok()) return ReportCallError(global, status);
    all.push_back(std::move(image));
  }
  if (!format.template_text.empty()) {
    for (const auto& image : all)
      std::printf("%s\n", ExpandTemplate(format.template_text, image).c_str());
  } else {
    std::printf("%s\n", all.dump(4).c_str());
  }
  return exit_code;
}

}  // namespace

void AddImageInspectCommand(CLI::App& parent, CommandRunner& run) {
  auto* cmd =
      parent.add_subcommand("inspect", "Display detailed information on one or more images");
  auto options = std::make_shared<InspectOptions>();
  cmd->add_option("-f,--format", options->format,
                  "Format output using a custom template: 'json' or TEMPLATE");
  cmd->add_option("IMAGE", options->images, "Images to inspect")->required();
  cmd->callback([&run, options] {
    run = [options](const GlobalOptions& global) { return Run(global, *options); };
  });
}

}  // namespace berth::ctl
