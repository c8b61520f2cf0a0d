// berthctl version: the client's version and each service's, as `docker version`.
#include <sys/utsname.h>

#include <chrono>
#include <cstdio>
#include <iostream>

#include "berth/system/v1/system.grpc.pb.h"
#include "common/version.h"
#include "ctl/command.h"
#include "nlohmann/json.hpp"

namespace berth::ctl {
namespace {

std::string ClientArch() {
  utsname uts{};
  ::uname(&uts);
  std::string machine = uts.machine;
  return machine == "x86_64" ? "amd64" : machine == "aarch64" ? "arm64" : machine;
}

void Line(int indent, const std::string& key, const std::string& value) {
  std::printf("%*s%-*s%s\n", indent, "", 19 - indent, (key + ":").c_str(), value.c_str());
}

nlohmann::json AsJson(const system::v1::VersionResponse* server) {
  nlohmann::json out;
  out["Client"] = {{"Version", berth::Version()},
                   {"ApiVersion", kApiVersion},
                   {"GitCommit", berth::GitCommit()},
                   {"Os", "linux"},
                   {"Arch", ClientArch()}};
  if (server == nullptr) return out;
  nlohmann::json services = nlohmann::json::array();
  for (const auto& s : server->services()) {
    services.push_back({{"Name", s.name()},
                        {"Version", s.version()},
                        {"GitCommit", s.commit()},
                        {"Address", s.address()},
                        {"Local", s.local()},
                        {"Error", s.error()}});
  }
  out["Server"] = {{"Version", server->version()},  {"ApiVersion", server->api_version()},
                   {"GitCommit", server->commit()}, {"Os", server->os()},
                   {"Arch", server->arch()},        {"KernelVersion", server->kernel_version()},
                   {"Services", services}};
  return out;
}

int Run(const GlobalOptions& options, const std::string& format) {
  system::v1::VersionResponse response;
  grpc::Status status;
  auto channel = Connect(options);
  if (channel.ok()) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    status = system::v1::System::NewStub(*channel)->Version(&context, {}, &response);
  } else {
    status =
        grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::string(channel.status().message()));
  }
  if (format == "json") {
    std::cout << AsJson(status.ok() ? &response : nullptr).dump() << "\n";
  } else {
    std::printf("Client:\n");
    Line(1, "Version", berth::Version());
    Line(1, "API version", kApiVersion);
    Line(1, "Git commit", berth::GitCommit());
    Line(1, "OS/Arch", "linux/" + ClientArch());
    if (status.ok()) {
      std::printf("\nServer: berth\n berthd:\n");
      Line(2, "Version", response.version());
      Line(2, "API version", response.api_version());
      Line(2, "Git commit", response.commit());
      Line(2, "OS/Arch", response.os() + "/" + response.arch());
      Line(2, "Kernel version", response.kernel_version());
      for (const auto& s : response.services()) {
        std::printf(" %s:\n", s.name().c_str());
        Line(2, "Version", s.error().empty() ? s.version() : "unreachable: " + s.error());
        Line(2, "Address", s.address() + (s.local() ? " (this berthd)" : ""));
      }
    }
  }
  if (!status.ok()) {
    std::fprintf(stderr, "%s\n", CannotConnectMessage(options, status.error_message()).c_str());
    return 1;
  }
  return 0;
}

}  // namespace

void AddVersionCommand(CLI::App& app, CommandRunner& run) {
  AddFormattedCommand(app, "version", "Show the berth version information", run, Run);
}

}  // namespace berth::ctl
