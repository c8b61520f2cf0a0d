#include "services/images/grpc/images_metrics.h"

#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/metric_family.h>

#include <string>
#include <vector>

namespace berth::images {
namespace {

prometheus::MetricFamily Gauge(const std::string& name, const std::string& help, double value) {
  prometheus::ClientMetric metric;
  metric.gauge.value = value;
  return prometheus::MetricFamily{name, help, prometheus::MetricType::Gauge, {metric}};
}

class UsageCollector : public prometheus::Collectable {
 public:
  explicit UsageCollector(std::shared_ptr<ImageRoot> root) : root_(std::move(root)) {}

  // A total that cannot be read is left out of this scrape.
  std::vector<prometheus::MetricFamily> Collect() const override {
    std::vector<prometheus::MetricFamily> out;
    if (absl::StatusOr<ContentUsage> usage = root_->content().Usage(); usage.ok()) {
      out.push_back(Gauge("berth_images_content_bytes", "Bytes of blobs in the content store.",
                          static_cast<double>(usage->total_bytes)));
      out.push_back(Gauge("berth_images_content_blobs", "Blobs in the content store.",
                          static_cast<double>(usage->blob_count)));
    }
    if (auto snapshots = root_->snapshotter().List(); snapshots.ok()) {
      out.push_back(Gauge("berth_images_snapshots", "Snapshots of every namespace.",
                          static_cast<double>(snapshots->size())));
    }
    return out;
  }

 private:
  std::shared_ptr<ImageRoot> root_;
};

}  // namespace

ImageRootEvents RegisterImagesMetrics(std::shared_ptr<prometheus::Registry> registry) {
  prometheus::Counter& pulled_bytes = prometheus::BuildCounter()
                                          .Name("berth_images_pulled_bytes_total")
                                          .Help("Layer bytes received from registries.")
                                          .Register(*registry)
                                          .Add({});
  auto& durations = prometheus::BuildHistogram()
                        .Name("berth_images_pull_duration_seconds")
                        .Help("Time taken by image pulls, by result (ok or error).")
                        .Register(*registry);
  const prometheus::Histogram::BucketBoundaries buckets = {0.1, 0.5, 1,  2.5, 5,
                                                           10,  30,  60, 120, 300};
  prometheus::Histogram& pull_ok = durations.Add({{"result", "ok"}}, buckets);
  prometheus::Histogram& pull_error = durations.Add({{"result", "error"}}, buckets);
  prometheus::Counter& gc_runs = prometheus::BuildCounter()
                                     .Name("berth_images_gc_runs_total")
                                     .Help("Garbage collections of the images service.")
                                     .Register(*registry)
                                     .Add({});
  prometheus::Counter& gc_reclaimed = prometheus::BuildCounter()
                                          .Name("berth_images_gc_reclaimed_bytes_total")
                                          .Help("Bytes of blobs garbage collection removed.")
                                          .Register(*registry)
                                          .Add({});
  // The series live in `registry`; each callback holds it.
  ImageRootEvents events;
  events.fetched = [registry, &pulled_bytes](int64_t bytes) {
    pulled_bytes.Increment(static_cast<double>(bytes));
  };
  events.pulled = [registry, &pull_ok, &pull_error](bool ok, absl::Duration took) {
    (ok ? pull_ok : pull_error).Observe(absl::ToDoubleSeconds(took));
  };
  events.collected = [registry, &gc_runs, &gc_reclaimed](const GcResult& result) {
    gc_runs.Increment();
    gc_reclaimed.Increment(static_cast<double>(result.reclaimed_bytes));
  };
  return events;
}

std::shared_ptr<prometheus::Collectable> MakeImagesUsageCollector(std::shared_ptr<ImageRoot> root) {
  return std::make_shared<UsageCollector>(std::move(root));
}

}  // namespace berth::images
