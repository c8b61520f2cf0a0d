#include "services/network/grpc/network_metrics.h"

#include <prometheus/histogram.h>
#include <prometheus/metric_family.h>

#include <map>
#include <string>
#include <vector>

namespace berth::network {
namespace {

prometheus::ClientMetric GaugeValue(double value,
                                    std::vector<prometheus::ClientMetric::Label> labels = {}) {
  prometheus::ClientMetric metric;
  metric.gauge.value = value;
  metric.label = std::move(labels);
  return metric;
}

class NetworkCollector : public prometheus::Collectable {
 public:
  NetworkCollector(NetworkStore* store, std::shared_ptr<void> owner)
      : store_(store), owner_(std::move(owner)) {}

  // A count that cannot be read is left out of this scrape.
  std::vector<prometheus::MetricFamily> Collect() const override {
    std::vector<prometheus::MetricFamily> out;
    auto networks = store_->ListNetworks(std::nullopt);
    auto endpoints = store_->ListEndpoints("", "");
    if (!networks.ok() || !endpoints.ok()) return out;
    out.push_back({"berth_network_networks",
                   "Networks of every namespace, built-ins included.",
                   prometheus::MetricType::Gauge,
                   {GaugeValue(static_cast<double>(networks->size()))}});
    out.push_back({"berth_network_endpoints",
                   "Containers' endpoints on networks.",
                   prometheus::MetricType::Gauge,
                   {GaugeValue(static_cast<double>(endpoints->size()))}});
    std::map<std::string, int> in_use;
    for (const EndpointRecord& e : *endpoints) {
      if (!e.ipv4.empty()) ++in_use[e.network_id];
    }
    prometheus::MetricFamily addresses{"berth_network_ipam_addresses_in_use",
                                       "IPv4 addresses allocated to endpoints, per network.",
                                       prometheus::MetricType::Gauge,
                                       {}};
    for (const NetworkRecord& n : *networks) {
      if (n.driver != kDriverBridge && n.driver != kDriverCni) continue;
      addresses.metric.push_back(
          GaugeValue(in_use[n.id], {{"namespace", n.ns}, {"network", n.name}}));
    }
    out.push_back(std::move(addresses));
    return out;
  }

 private:
  NetworkStore* store_;
  std::shared_ptr<void> owner_;
};

}  // namespace

std::function<void(absl::string_view, absl::string_view, absl::Duration)>
RegisterEndpointDurationHistogram(std::shared_ptr<prometheus::Registry> registry) {
  auto& family = prometheus::BuildHistogram()
                     .Name("berth_network_endpoint_operation_duration_seconds")
                     .Help(
                         "Time taken to attach or detach a container's endpoint, by the "
                         "network's driver (bridge, cni, host, null).")
                     .Register(*registry);
  return [registry, &family](absl::string_view operation, absl::string_view driver,
                             absl::Duration took) {
    static const prometheus::Histogram::BucketBoundaries kBuckets = {0.01, 0.025, 0.05, 0.1, 0.25,
                                                                     0.5,  1,     2.5,  5,   10};
    // Add returns the series these labels already have.
    family.Add({{"operation", std::string(operation)}, {"driver", std::string(driver)}}, kBuckets)
        .Observe(absl::ToDoubleSeconds(took));
  };
}

std::shared_ptr<prometheus::Collectable> MakeNetworkCollector(NetworkStore* store,
                                                              std::shared_ptr<void> owner) {
  return std::make_shared<NetworkCollector>(store, std::move(owner));
}

}  // namespace berth::network
