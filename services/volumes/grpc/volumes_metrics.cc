#include "services/volumes/grpc/volumes_metrics.h"

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <string>
#include <vector>

namespace berth::volumes {
namespace {

prometheus::ClientMetric Sample(std::vector<prometheus::ClientMetric::Label> labels, double value) {
  prometheus::ClientMetric metric;
  metric.label = std::move(labels);
  metric.gauge.value = value;
  return metric;
}

class VolumesCollector : public prometheus::Collectable {
 public:
  explicit VolumesCollector(std::shared_ptr<VolumeManager> manager)
      : manager_(std::move(manager)) {}

  // A namespace that cannot be read is left out of this scrape.
  std::vector<prometheus::MetricFamily> Collect() const override {
    prometheus::MetricFamily count{
        "berth_volumes", "Volumes, by namespace.", prometheus::MetricType::Gauge, {}};
    prometheus::MetricFamily bytes{"berth_volume_bytes",
                                   "Bytes allocated by the files of each volume.",
                                   prometheus::MetricType::Gauge,
                                   {}};
    absl::StatusOr<std::vector<std::string>> namespaces = manager_->Namespaces();
    if (!namespaces.ok()) return {};
    for (const std::string& ns : *namespaces) {
      absl::StatusOr<std::vector<VolumeInfo>> volumes =
          manager_->List(ns, VolumeFilter{}, /*size=*/true);
      if (!volumes.ok()) continue;
      count.metric.push_back(Sample({{"namespace", ns}}, static_cast<double>(volumes->size())));
      for (const VolumeInfo& info : *volumes) {
        if (info.size < 0) continue;
        bytes.metric.push_back(Sample({{"namespace", ns}, {"volume", info.volume.name}},
                                      static_cast<double>(info.size)));
      }
    }
    return {count, bytes};
  }

 private:
  std::shared_ptr<VolumeManager> manager_;
};

}  // namespace

std::shared_ptr<prometheus::Collectable> MakeVolumesCollector(
    std::shared_ptr<VolumeManager> manager) {
  return std::make_shared<VolumesCollector>(std::move(manager));
}

}  // namespace berth::volumes
