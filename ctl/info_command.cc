// berthctl info: what berthd knows about the host and its services, as `docker info`.
#include <chrono>
#include <cstdio>
#include <iostream>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "berth/system/v1/system.grpc.pb.h"
#include "common/version.h"
#include "ctl/command.h"
#include "google/protobuf/util/json_util.h"

namespace berth::ctl {
namespace {

void Line(const std::string& key, const std::string& value) {
  std::printf(" %s: %s\n", key.c_str(), value.c_str());
}

std::string Detail(const system::v1::InfoResponse& info, const std::string& service,
                   const std::string& key) {
  for (const auto& s : info.services()) {
    if (s.name() != service) continue;
    auto it = s.details().find(key);
    return it == s.details().end() ? "" : it->second;
  }
  return "";
}

void PrintTable(const GlobalOptions& options, const system::v1::InfoResponse& info) {
  std::printf("Client:\n");
  Line("Version", berth::Version());
  Line("Host", EffectiveHost(options));
  Line("Debug Mode", options.debug ? "true" : "false");
  std::printf("\nServer:\n");
  Line("Server Version", info.version());
  Line("Storage Driver", Detail(info, "images", "storage_driver"));
  Line("Logging Driver", "json-file");
  Line("Cgroup Driver", info.cgroup_driver());
  Line("Cgroup Version", info.cgroup_version());
  std::string controllers = Detail(info, "runtime", "cgroup_v1_controllers");
  if (!controllers.empty()) Line("Cgroup v1 Controllers", controllers);
  Line("Cgroup Parent", Detail(info, "runtime", "cgroup_parent"));
  Line("CNI Plugin Dir", Detail(info, "network", "cni_plugin_dir"));
  std::printf(" Services:\n");
  for (const auto& s : info.services()) {
    std::string state = s.reachable() ? "reachable" : "UNREACHABLE: " + s.error();
    std::printf("  %-8s %s at %s%s\n", s.name().c_str(), state.c_str(), s.address().c_str(),
                s.local() ? " (this berthd)" : "");
  }
  Line("Kernel Version", info.kernel_version());
  Line("Operating System", info.operating_system());
  Line("OSType", info.os_type());
  Line("Architecture", info.architecture());
  Line("CPUs", std::to_string(info.ncpu()));
  Line("Total Memory", absl::StrFormat("%.2fGiB", info.mem_total() / 1073741824.0));
  Line("Name", info.hostname());
  Line("Berth Root Dir", info.root_dir());
  Line("Berth State Dir", info.state_dir());
  Line("Listening", absl::StrJoin(info.listen_addresses(), ", "));
  Line("Metrics Address", info.metrics_address().empty() ? "(disabled)" : info.metrics_address());
}

int Run(const GlobalOptions& options, const std::string& format) {
  auto channel = Connect(options);
  if (!channel.ok()) {
    std::fprintf(stderr, "%s\n", std::string(channel.status().message()).c_str());
    return 1;
  }
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  system::v1::InfoResponse info;
  grpc::Status status = system::v1::System::NewStub(*channel)->Info(&context, {}, &info);
  if (!status.ok()) {
    std::fprintf(stderr, "%s\n", CannotConnectMessage(options, status.error_message()).c_str());
    return 1;
  }
  if (format == "json") {
    std::string json;
    google::protobuf::util::JsonPrintOptions print;
    print.preserve_proto_field_names = true;
    (void)google::protobuf::util::MessageToJsonString(info, &json, print);
    std::cout << json << "\n";
  } else {
    PrintTable(options, info);
  }
  bool all_reachable = true;
  for (const auto& s : info.services()) all_reachable = all_reachable && s.reachable();
  return all_reachable ? 0 : 1;
}

}  // namespace

void AddInfoCommand(CLI::App& app, CommandRunner& run) {
  AddFormattedCommand(app, "info", "Display system-wide information", run, Run);
}

}  // namespace berth::ctl
