#include "daemon/daemon_host.h"

#include <sys/stat.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/rpc/unimplemented_interceptor.h"
#include "common/status_macros.h"
#include "common/version.h"
#include "proto/service_methods.h"
#include "services/images/grpc/images_host.h"
#include "services/network/grpc/network_host.h"
#include "services/runtime/core/cgroup_layout.h"
#include "services/runtime/grpc/runtime_host.h"
#include "services/volumes/grpc/volumes_host.h"

namespace berth::daemon {
namespace {

absl::Status MakeDirectory(const std::string& path, mode_t mode) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) return absl::InternalError(absl::StrCat("create ", path, ": ", ec.message()));
  if (::chmod(path.c_str(), mode) != 0) {
    return absl::InternalError(absl::StrCat("chmod ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::StatusOr<rpc::HostedService> HostService(const std::string& name,
                                               const rpc::ServiceSetup& setup) {
  if (name == "images") return images::HostImagesService(setup);
  if (name == "runtime") return runtime::HostRuntimeService(setup);
  if (name == "network") return network::HostNetworkService(setup);
  return volumes::HostVolumesService(setup);
}

}  // namespace

absl::StatusOr<std::unique_ptr<DaemonHost>> DaemonHost::Start(const HostConfig& config) {
  std::unique_ptr<DaemonHost> host(new DaemonHost());
  BERTH_RETURN_IF_ERROR(MakeDirectory(config.root, 0711));
  BERTH_RETURN_IF_ERROR(MakeDirectory(config.state, 0711));
  BERTH_ASSIGN_OR_RETURN(gid_t socket_group, ResolveSocketGroup(config));

  host->registry_ = std::make_shared<prometheus::Registry>();
  metrics::RegisterBuildInfo(*host->registry_, berth::Version(), berth::GitCommit());

  std::vector<ServiceEntry> entries;
  for (absl::string_view view : kServiceNames) {
    std::string name(view);
    entries.push_back(ServiceEntry{name, config.service_addresses.at(name), false, {}});
  }
  for (const std::string& name : config.services) {
    rpc::ServiceSetup setup;
    setup.root_dir = absl::StrCat(config.root, "/", name);
    setup.state_dir = absl::StrCat(config.state, "/", name);
    setup.config = &config.file;
    setup.service_addresses = config.service_addresses;
    setup.metrics = host->registry_;
    BERTH_RETURN_IF_ERROR(MakeDirectory(setup.root_dir, 0700));
    BERTH_RETURN_IF_ERROR(MakeDirectory(setup.state_dir, 0700));
    BERTH_ASSIGN_OR_RETURN(rpc::HostedService hosted, HostService(name, setup));
    for (ServiceEntry& entry : entries) {
      if (entry.name != name) continue;
      entry.local = true;
      entry.details = hosted.details;
    }
    host->hosted_.push_back(std::move(hosted));
  }

  SystemFacts facts{config.root, config.state, "", ReadHostFacts()};
  if (auto layout = runtime::DetectCgroupLayout(); layout.ok()) {
    facts.cgroup_version = layout->VersionName();
  }
  std::optional<rpc::ClientTlsFiles> peer_tls;
  if (config.tls)
    peer_tls = rpc::ClientTlsFiles{config.tls->ca_cert, config.tls->cert, config.tls->key};
  host->system_ = std::make_unique<SystemService>(std::move(facts), std::move(entries), peer_tls);

  host->grpc_metrics_ = std::make_unique<metrics::GrpcServerMetrics>(*host->registry_);

  rpc::ServerOptions options;
  options.addresses = config.listen;
  options.tls = config.tls;
  options.allow_insecure_tcp = config.allow_insecure_tcp;
  options.socket_group = socket_group;
  std::vector<std::string> grpc_names = {berth::system::v1::System::service_full_name()};
  options.services.push_back(host->system_.get());
  for (auto& hosted : host->hosted_) {
    for (auto& service : hosted.grpc_services) options.services.push_back(service.get());
    grpc_names.insert(grpc_names.end(), hosted.grpc_service_names.begin(),
                      hosted.grpc_service_names.end());
  }
  const std::map<std::string, std::vector<proto::ServiceMethod>> methods = proto::ServiceMethods();
  for (const std::string& name : grpc_names) {
    auto service = methods.find(name);
    if (service == methods.end()) continue;
    for (const proto::ServiceMethod& m : service->second) {
      host->grpc_metrics_->InitializeMethod(absl::StrCat("/", name, "/", m.name),
                                            m.client_streaming, m.server_streaming);
    }
  }
  options.interceptors.push_back(rpc::MakeUnimplementedMessageInterceptorFactory());
  options.interceptors.push_back(host->grpc_metrics_->MakeInterceptorFactory());
  if (options.allow_insecure_tcp && config.listen.size() > 1) {
    for (int i = 0; i < 3; ++i) {
      log::Warn(
          "listening on TCP WITHOUT TLS: anyone who can connect controls this machine as root");
    }
  }
  BERTH_ASSIGN_OR_RETURN(host->server_, rpc::RpcServer::Start(std::move(options)));
  if (auto* health = host->server_->server().GetHealthCheckService()) {
    for (const std::string& name : grpc_names) health->SetServingStatus(name, true);
  }

  if (!config.metrics_address.empty()) {
    BERTH_ASSIGN_OR_RETURN(
        host->metrics_, metrics::MetricsEndpoint::Start(config.metrics_address, host->registry_));
    for (const auto& hosted : host->hosted_) {
      for (const auto& collectable : hosted.collectables) host->metrics_->Add(collectable);
    }
  }
  host->system_->SetListening(host->server_->listen_addresses(), host->metrics_address());
  return host;
}

void DaemonHost::Shutdown() {
  if (server_) {
    if (auto* health = server_->server().GetHealthCheckService()) health->Shutdown();
    server_->Shutdown();
  }
}

DaemonHost::~DaemonHost() { Shutdown(); }

}  // namespace berth::daemon
