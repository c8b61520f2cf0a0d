// One of berth's four services as a berthd process hosts it: its gRPC services
// and the facts it reports in `berthctl info`.
#pragma once

#include <grpcpp/impl/service_type.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/daemon_config.h"

namespace prometheus {
class Collectable;
class Registry;
}  // namespace prometheus

namespace berth::rpc {

// What a service gets from the host that starts it.
struct ServiceSetup {
  std::string root_dir;   // persistent, owned by this service alone (<root>/<name>)
  std::string state_dir;  // volatile, owned by this service alone (<state>/<name>)
  const DaemonConfig* config = nullptr;
  // Every service's address; a service calls another only through a client on these.
  std::map<std::string, std::string> service_addresses;
  // The process's /metrics registry, for the service's own counters and histograms.
  std::shared_ptr<prometheus::Registry> metrics;
};

struct HostedService {
  std::string name;  // images, runtime, network or volumes
  // What the services use and must outlive them (declared first: destroyed last).
  std::vector<std::shared_ptr<void>> owned;
  std::vector<std::unique_ptr<grpc::Service>> grpc_services;
  std::vector<std::string> grpc_service_names;  // full names, for health and metrics
  std::map<std::string, std::string> details;
  // Metrics computed at scrape time, exposed beside the registry's.
  std::vector<std::shared_ptr<prometheus::Collectable>> collectables;

  // Adds an implementation of the generated service `Generated`.
  template <typename Generated>
  void Add(std::unique_ptr<typename Generated::Service> service) {
    grpc_services.push_back(std::move(service));
    grpc_service_names.emplace_back(Generated::service_full_name());
  }

  // Adds a generated service whose RPCs are not written yet: every call answers
  // UNIMPLEMENTED (the interceptor names the RPC in the message).
  template <typename Generated>
  void AddPending() {
    grpc_services.push_back(std::make_unique<typename Generated::Service>());
    grpc_service_names.emplace_back(Generated::service_full_name());
  }
};

}  // namespace berth::rpc
