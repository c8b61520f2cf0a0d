// The running parts of one berthd: hosted services, System, gRPC server, /metrics.
#pragma once

#include <prometheus/registry.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/metrics/grpc_server_metrics.h"
#include "common/metrics/metrics_endpoint.h"
#include "common/rpc/hosted_service.h"
#include "common/rpc/server.h"
#include "daemon/host_config.h"
#include "daemon/system_service.h"

namespace berth::daemon {

class DaemonHost {
 public:
  static absl::StatusOr<std::unique_ptr<DaemonHost>> Start(const HostConfig& config);
  ~DaemonHost();

  const std::vector<std::string>& listen_addresses() const { return server_->listen_addresses(); }
  std::string metrics_address() const { return metrics_ ? metrics_->address() : ""; }
  void Shutdown();

 private:
  DaemonHost() = default;

  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<metrics::GrpcServerMetrics> grpc_metrics_;
  std::unique_ptr<metrics::MetricsEndpoint> metrics_;
  std::vector<rpc::HostedService> hosted_;
  std::unique_ptr<SystemService> system_;
  std::unique_ptr<rpc::RpcServer> server_;
};

}  // namespace berth::daemon
