#include "daemon/system_service.h"

#include <unistd.h>

#include <chrono>
#include <future>

#include "common/rpc/status.h"
#include "common/version.h"

namespace berth::daemon {
namespace {

using system::v1::InfoRequest;
using system::v1::InfoResponse;
using system::v1::VersionRequest;
using system::v1::VersionResponse;

constexpr auto kPeerTimeout = std::chrono::seconds(3);

}  // namespace

SystemService::SystemService(SystemFacts facts, std::vector<ServiceEntry> services,
                             std::optional<rpc::ClientTlsFiles> peer_tls)
    : facts_(std::move(facts)), services_(std::move(services)), peer_tls_(std::move(peer_tls)) {}

void SystemService::SetListening(std::vector<std::string> listen_addresses,
                                 std::string metrics_address) {
  std::lock_guard<std::mutex> lock(mu_);
  listen_addresses_ = std::move(listen_addresses);
  metrics_address_ = std::move(metrics_address);
}

absl::StatusOr<system::v1::System::Stub*> SystemService::PeerStub(const std::string& address) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = peers_.find(address);
  if (it != peers_.end()) return it->second.get();
  auto channel = rpc::Dial(address, peer_tls_);
  if (!channel.ok()) return channel.status();
  auto stub = system::v1::System::NewStub(*channel);
  return peers_.emplace(address, std::move(stub)).first->second.get();
}

template <typename Response, typename Call>
std::vector<std::optional<absl::StatusOr<Response>>> SystemService::AskPeers(Call call) {
  std::vector<std::future<absl::StatusOr<Response>>> pending(services_.size());
  for (size_t i = 0; i < services_.size(); ++i) {
    if (services_[i].local) continue;
    pending[i] = std::async(std::launch::async, [this, i, &call]() -> absl::StatusOr<Response> {
      auto stub = PeerStub(services_[i].address);
      if (!stub.ok()) return stub.status();
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + kPeerTimeout);
      context.set_wait_for_ready(true);  // a peer between reconnect attempts is waited for
      Response response;
      grpc::Status status = call(**stub, &context, &response);
      if (!status.ok()) return rpc::FromGrpcStatus(status);
      return response;
    });
  }
  std::vector<std::optional<absl::StatusOr<Response>>> answers(services_.size());
  for (size_t i = 0; i < services_.size(); ++i) {
    if (pending[i].valid()) answers[i] = pending[i].get();
  }
  return answers;
}

// The peer's entry for `name` in its answer, or why there is none.
template <typename Entry, typename Response>
absl::StatusOr<const Entry*> FindRemote(const absl::StatusOr<Response>& answer,
                                        const ServiceEntry& entry) {
  if (!answer.ok()) return answer.status();
  for (const Entry& remote : answer->services()) {
    if (remote.name() == entry.name) return &remote;
  }
  return absl::NotFoundError(entry.name + " is not hosted at " + entry.address);
}

grpc::Status SystemService::Version(grpc::ServerContext*, const VersionRequest* request,
                                    VersionResponse* response) {
  response->set_version(berth::Version());
  response->set_commit(berth::GitCommit());
  response->set_api_version(kApiVersion);
  response->set_os("linux");
  response->set_arch(GoArch(facts_.host.architecture));
  response->set_kernel_version(facts_.host.kernel_version);
  std::vector<std::optional<absl::StatusOr<VersionResponse>>> answers;
  if (!request->local_only()) {
    answers = AskPeers<VersionResponse>([](auto& stub, auto* context, auto* out) {
      VersionRequest peer_request;
      peer_request.set_local_only(true);
      return stub.Version(context, peer_request, out);
    });
  }
  for (size_t i = 0; i < services_.size(); ++i) {
    const ServiceEntry& entry = services_[i];
    if (!entry.local && request->local_only()) continue;
    system::v1::ServiceVersion* out = response->add_services();
    out->set_name(entry.name);
    out->set_address(entry.address);
    out->set_local(entry.local);
    if (entry.local) {
      out->set_version(berth::Version());
      out->set_commit(berth::GitCommit());
      continue;
    }
    auto remote = FindRemote<system::v1::ServiceVersion>(*answers[i], entry);
    if (!remote.ok()) {
      out->set_error(std::string(remote.status().message()));
      continue;
    }
    out->set_version((*remote)->version());
    out->set_commit((*remote)->commit());
  }
  return grpc::Status::OK;
}

grpc::Status SystemService::Info(grpc::ServerContext*, const InfoRequest* request,
                                 InfoResponse* response) {
  response->set_version(berth::Version());
  response->set_root_dir(facts_.root_dir);
  response->set_state_dir(facts_.state_dir);
  response->set_kernel_version(facts_.host.kernel_version);
  response->set_operating_system(facts_.host.operating_system);
  response->set_os_type("linux");
  response->set_architecture(facts_.host.architecture);
  response->set_hostname(facts_.host.hostname);
  response->set_ncpu(facts_.host.ncpu);
  response->set_mem_total(facts_.host.mem_total);
  response->set_cgroup_version(facts_.cgroup_version);
  response->set_cgroup_driver("cgroupfs");
  response->set_pid(::getpid());
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& address : listen_addresses_) response->add_listen_addresses(address);
    response->set_metrics_address(metrics_address_);
  }
  std::vector<std::optional<absl::StatusOr<InfoResponse>>> answers;
  if (!request->local_only()) {
    answers = AskPeers<InfoResponse>([](auto& stub, auto* context, auto* out) {
      InfoRequest peer_request;
      peer_request.set_local_only(true);
      return stub.Info(context, peer_request, out);
    });
  }
  for (size_t i = 0; i < services_.size(); ++i) {
    const ServiceEntry& entry = services_[i];
    if (!entry.local && request->local_only()) continue;
    system::v1::ServiceInfo* out = response->add_services();
    out->set_name(entry.name);
    out->set_address(entry.address);
    out->set_local(entry.local);
    if (entry.local) {
      out->set_reachable(true);
      out->set_version(berth::Version());
      out->mutable_details()->insert(entry.details.begin(), entry.details.end());
      continue;
    }
    auto remote = FindRemote<system::v1::ServiceInfo>(*answers[i], entry);
    if (!remote.ok()) {
      out->set_error(std::string(remote.status().message()));
      continue;
    }
    out->set_reachable(true);
    out->set_version((*remote)->version());
    out->mutable_details()->insert((*remote)->details().begin(), (*remote)->details().end());
  }
  return grpc::Status::OK;
}

}  // namespace berth::daemon
