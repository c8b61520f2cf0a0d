// berth.system.v1.System: Version and Info for this berthd and, through gRPC to the
// configured peers, for the services it does not host.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "berth/system/v1/system.grpc.pb.h"
#include "common/rpc/channel.h"
#include "daemon/host_facts.h"

namespace berth::daemon {

struct ServiceEntry {
  std::string name;
  std::string address;  // where peers reach it
  bool local = false;
  std::map<std::string, std::string> details;  // local services only
};

struct SystemFacts {
  std::string root_dir;
  std::string state_dir;
  std::string cgroup_version;
  HostFacts host;
};

class SystemService final : public berth::system::v1::System::Service {
 public:
  SystemService(SystemFacts facts, std::vector<ServiceEntry> services,
                std::optional<rpc::ClientTlsFiles> peer_tls);

  // Known only once the servers are up.
  void SetListening(std::vector<std::string> listen_addresses, std::string metrics_address);

  grpc::Status Version(grpc::ServerContext* context, const system::v1::VersionRequest* request,
                       system::v1::VersionResponse* response) override;
  grpc::Status Info(grpc::ServerContext* context, const system::v1::InfoRequest* request,
                    system::v1::InfoResponse* response) override;

 private:
  // A stub for the peer at `address`, dialled once and kept.
  absl::StatusOr<system::v1::System::Stub*> PeerStub(const std::string& address);

  // Asks every remote service's host at once (local_only), through `call`; the answer
  // for entry i is in slot i, empty for local services.
  template <typename Response, typename Call>
  std::vector<std::optional<absl::StatusOr<Response>>> AskPeers(Call call);

  const SystemFacts facts_;
  const std::vector<ServiceEntry> services_;
  const std::optional<rpc::ClientTlsFiles> peer_tls_;
  std::mutex mu_;
  std::vector<std::string> listen_addresses_;
  std::string metrics_address_;
  std::map<std::string, std::unique_ptr<system::v1::System::Stub>> peers_;
};

}  // namespace berth::daemon
