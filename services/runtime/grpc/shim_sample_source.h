// The container metrics' samples in berthd: every namespace's running containers, each
// read with one short Stats call to its shim.
#pragma once

#include <string>

#include "services/runtime/core/container_store.h"
#include "services/runtime/grpc/container_metrics.h"
#include "services/runtime/supervisor/container_supervisor.h"

namespace berth::runtime {

class ShimSampleSource : public ContainerSampleSource {
 public:
  // `default_cgroup_parent` is where containers without their own cgroup parent nest:
  // the daemon's cgroup-parent, or "" for under berthd's cgroup `own_cgroup`.
  ShimSampleSource(ContainerStore* store, ContainerSupervisor* supervisor,
                   std::string default_cgroup_parent, std::string own_cgroup)
      : store_(store),
        supervisor_(supervisor),
        default_cgroup_parent_(std::move(default_cgroup_parent)),
        own_cgroup_(std::move(own_cgroup)) {}

  std::vector<ContainerSample> SampleRunning() const override;
  std::map<std::string, int> CountByState() const override;

  // The container's cgroup path as cAdvisor names it: the supervisor's rule for
  // cgroupsPath ("<parent>/<id>", or "berth-<id>" under berthd's own cgroup), absolute.
  std::string CgroupIdOf(const ContainerRecord& record) const;

 private:
  ContainerStore* store_;
  ContainerSupervisor* supervisor_;
  std::string default_cgroup_parent_;
  std::string own_cgroup_;
};

}  // namespace berth::runtime
