// Running containers' resource usage on berthd's /metrics under cAdvisor's names, read
// from each container's shim at scrape time, plus berth_containers{state}.
//
// Labels follow cAdvisor: `id` is the container's cgroup path as cAdvisor reports it
// (e.g. "/berth/<64-hex id>" or "<berthd's cgroup>/berth-<id>"), `name` the container's
// name, `image` the image reference it was created from.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/registry.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "berth/types/v1/metrics.pb.h"

namespace berth::runtime {

// One running container as a scrape sees it.
struct ContainerSample {
  std::string cgroup_id;  // the `id` label
  std::string name;
  std::string image;
  absl::Time started_at = absl::InfinitePast();
  types::v1::ContainerMetrics metrics;  // its shim's Stats; read_at is container_last_seen
};

// Where the collector's samples come from: the supervisor's shims in berthd, a fake in
// tests. Called once per scrape; must not block for long.
class ContainerSampleSource {
 public:
  virtual ~ContainerSampleSource() = default;
  virtual std::vector<ContainerSample> SampleRunning() const = 0;
  // Containers by Docker state name ("running", "paused", "exited", "created").
  virtual std::map<std::string, int> CountByState() const = 0;
};

// container_cpu_usage_seconds_total, container_cpu_user_seconds_total,
// container_cpu_system_seconds_total, container_memory_usage_bytes,
// container_memory_working_set_bytes, container_memory_rss, container_memory_cache,
// container_spec_memory_limit_bytes, container_processes, container_start_time_seconds,
// container_last_seen, container_oom_events_total and berth_containers{state}.
std::shared_ptr<prometheus::Collectable> MakeContainerMetricsCollector(
    std::shared_ptr<const ContainerSampleSource> source);

// Registers the berth_container_start_seconds histogram on `registry` and returns the
// callback that observes one successful start's latency.
std::function<void(absl::Duration)> RegisterContainerStartHistogram(
    std::shared_ptr<prometheus::Registry> registry);

}  // namespace berth::runtime
