// The Prometheus /metrics endpoint of a berth process, with process_* and
// berth_build_info always present.
#pragma once

#include <prometheus/exposer.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace berth::metrics {

class MetricsEndpoint {
 public:
  // `bind` is host:port; port 0 picks a free one (see address()).
  static absl::StatusOr<std::unique_ptr<MetricsEndpoint>> Start(
      const std::string& bind, std::shared_ptr<prometheus::Registry> registry);

  // Exposes `collectable` (metrics computed at scrape time) beside the registry's.
  void Add(std::shared_ptr<prometheus::Collectable> collectable);

  // host:port actually listening.
  const std::string& address() const { return address_; }

 private:
  MetricsEndpoint() = default;
  // The exposer holds collectables weakly; these keep them alive.
  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<prometheus::Collectable> process_;
  std::vector<std::shared_ptr<prometheus::Collectable>> added_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::string address_;
};

// berth_build_info{version,commit} 1
void RegisterBuildInfo(prometheus::Registry& registry, const std::string& version,
                       const std::string& commit);

}  // namespace berth::metrics
