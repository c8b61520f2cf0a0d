#include "services/runtime/grpc/shim_sample_source.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "berth/shim/v1/shim.pb.h"

namespace berth::runtime {
namespace {

// A stuck shim leaves its container out of one scrape rather than holding /metrics.
constexpr absl::Duration kStatsTimeout = absl::Seconds(2);

absl::string_view StateLabel(ContainerStatus status) {
  switch (status) {
    case ContainerStatus::kRunning:
      return "running";
    case ContainerStatus::kPaused:
      return "paused";
    case ContainerStatus::kCreated:
      return "created";
    default:  // restarting, removing, dead: not running, as Docker's "stopped"
      return "exited";
  }
}

}  // namespace

std::string ShimSampleSource::CgroupIdOf(const ContainerRecord& record) const {
  const std::string spec_parent = ContainerSupervisor::SpecOf(record).cgroup_parent();
  const std::string parent = !spec_parent.empty() ? spec_parent : default_cgroup_parent_;
  const std::string path =
      parent.empty() ? absl::StrCat(absl::StripSuffix(own_cgroup_, "/"), "/berth-", record.id)
                     : absl::StrCat(absl::StripSuffix(parent, "/"), "/", record.id);
  return absl::StartsWith(path, "/") ? path : absl::StrCat("/", path);
}

std::vector<ContainerSample> ShimSampleSource::SampleRunning() const {
  std::vector<ContainerSample> samples;
  absl::StatusOr<std::vector<std::string>> namespaces = store_->ListNamespaces();
  if (!namespaces.ok()) return samples;
  for (const std::string& ns : *namespaces) {
    absl::StatusOr<std::vector<ContainerRecord>> records = store_->List(ns);
    if (!records.ok()) continue;
    for (const ContainerRecord& record : *records) {
      if (record.state.status != ContainerStatus::kRunning &&
          record.state.status != ContainerStatus::kPaused) {
        continue;
      }
      auto shim = supervisor_->ShimOf(ns, record.id);
      if (!shim.ok()) continue;
      shim::v1::StatsRequest request;
      request.set_id(record.id);
      auto stats = (*shim)->Call<shim::v1::StatsResponse>("Stats", request, kStatsTimeout);
      if (!stats.ok()) continue;
      ContainerSample& sample = samples.emplace_back();
      sample.cgroup_id = CgroupIdOf(record);
      sample.name = record.name;
      sample.image = record.image;
      sample.started_at = record.state.started_at;
      sample.metrics = std::move(*stats->mutable_metrics());
    }
  }
  return samples;
}

std::map<std::string, int> ShimSampleSource::CountByState() const {
  std::map<std::string, int> counts;
  absl::StatusOr<std::vector<std::string>> namespaces = store_->ListNamespaces();
  if (!namespaces.ok()) return counts;
  for (const std::string& ns : *namespaces) {
    absl::StatusOr<std::vector<ContainerRecord>> records = store_->List(ns);
    if (!records.ok()) continue;
    for (const ContainerRecord& record : *records) {
      counts[std::string(StateLabel(record.state.status))]++;
    }
  }
  return counts;
}

}  // namespace berth::runtime
