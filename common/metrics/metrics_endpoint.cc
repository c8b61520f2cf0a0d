#include "common/metrics/metrics_endpoint.h"

#include <prometheus/gauge.h>

#include <exception>

#include "absl/strings/str_cat.h"
#include "common/metrics/process_collector.h"

namespace berth::metrics {

absl::StatusOr<std::unique_ptr<MetricsEndpoint>> MetricsEndpoint::Start(
    const std::string& bind, std::shared_ptr<prometheus::Registry> registry) {
  size_t colon = bind.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("metrics address \"", bind, "\": want host:port, e.g. 127.0.0.1:9323"));
  }
  std::unique_ptr<MetricsEndpoint> endpoint(new MetricsEndpoint());
  try {
    // One thread serves scrapes; a Prometheus server scrapes rarely.
    endpoint->exposer_ = std::make_unique<prometheus::Exposer>(bind, 1);
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("metrics address ", bind, ": ", e.what()));
  }
  endpoint->registry_ = std::move(registry);
  endpoint->process_ = std::make_shared<ProcessCollector>();
  endpoint->exposer_->RegisterCollectable(endpoint->registry_);
  endpoint->exposer_->RegisterCollectable(endpoint->process_);
  std::vector<int> ports = endpoint->exposer_->GetListeningPorts();
  if (ports.empty())
    return absl::UnavailableError(absl::StrCat("metrics address ", bind, ": not listening"));
  endpoint->address_ = absl::StrCat(bind.substr(0, colon), ":", ports.front());
  return endpoint;
}

void MetricsEndpoint::Add(std::shared_ptr<prometheus::Collectable> collectable) {
  exposer_->RegisterCollectable(collectable);
  added_.push_back(std::move(collectable));
}

void RegisterBuildInfo(prometheus::Registry& registry, const std::string& version,
                       const std::string& commit) {
  prometheus::BuildGauge()
      .Name("berth_build_info")
      .Help("A metric with a constant '1' value labeled by version and commit of berth.")
      .Register(registry)
      .Add({{"version", version}, {"commit", commit}})
      .Set(1);
}

}  // namespace berth::metrics
