#include "services/runtime/grpc/runtime_host.h"

#include "absl/strings/str_join.h"
#include "berth/runtime/v1/containers.grpc.pb.h"
#include "berth/runtime/v1/events.grpc.pb.h"
#include "berth/runtime/v1/logs.grpc.pb.h"
#include "berth/runtime/v1/tasks.grpc.pb.h"
#include "services/runtime/core/cgroup_layout.h"

namespace berth::runtime {

absl::StatusOr<rpc::HostedService> HostRuntimeService(const rpc::ServiceSetup& setup) {
  rpc::HostedService hosted;
  hosted.name = "runtime";
  hosted.AddPending<v1::Containers>();
  hosted.AddPending<v1::Tasks>();
  hosted.AddPending<v1::Logs>();
  hosted.AddPending<v1::Events>();
  auto layout = DetectCgroupLayout();
  if (!layout.ok()) return layout.status();
  hosted.details["cgroup_version"] = layout->VersionName();
  hosted.details["cgroup_v1_controllers"] = absl::StrJoin(layout->v1_controllers, ",");
  hosted.details["cgroup_unified_mount"] = layout->unified_mountpoint;
  // Containers nest under berthd's own cgroup unless cgroup-parent names another.
  hosted.details["cgroup_parent"] =
      setup.config->cgroup_parent.empty() ? layout->own_path : setup.config->cgroup_parent;
  hosted.details["state_dir"] = setup.state_dir;
  return hosted;
}

}  // namespace berth::runtime
