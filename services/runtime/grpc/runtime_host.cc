#include "services/runtime/grpc/runtime_host.h"

#include <unistd.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "berth/runtime/v1/containers.grpc.pb.h"
#include "berth/runtime/v1/events.grpc.pb.h"
#include "berth/runtime/v1/logs.grpc.pb.h"
#include "berth/runtime/v1/rootfs.grpc.pb.h"
#include "berth/runtime/v1/tasks.grpc.pb.h"
#include "common/status_macros.h"
#include "services/runtime/core/cgroup_layout.h"
#include "services/runtime/core/container_store.h"
#include "services/runtime/core/event_bus.h"
#include "services/runtime/grpc/container_metrics.h"
#include "services/runtime/grpc/container_rootfs_service.h"
#include "services/runtime/grpc/containers_service.h"
#include "services/runtime/grpc/events_service.h"
#include "services/runtime/grpc/images_proxy.h"
#include "services/runtime/grpc/logs_service.h"
#include "services/runtime/grpc/network_proxy.h"
#include "services/runtime/grpc/shim_sample_source.h"
#include "services/runtime/grpc/tasks_service.h"
#include "services/runtime/grpc/volumes_proxy.h"
#include "services/runtime/supervisor/container_export.h"
#include "services/runtime/supervisor/container_supervisor.h"

namespace berth::runtime {
namespace {

// A helper program (berth-shim, berth-init) next to the running binary (an installed
// layout), in the build tree's shim/ beside daemon/, or on PATH.
absl::StatusOr<std::string> FindHelperBinary(const std::string& name) {
  std::error_code error;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
  if (!error) {
    for (const std::filesystem::path& candidate :
         {self.parent_path() / name, self.parent_path().parent_path() / "shim" / name}) {
      if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    }
  }
  const char* path = std::getenv("PATH");
  for (absl::string_view dir :
       absl::StrSplit(path != nullptr ? path : "", ':', absl::SkipEmpty())) {
    std::string candidate = absl::StrCat(dir, "/", name);
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return absl::NotFoundError(absl::StrCat(name, " was not found next to berthd nor on PATH"));
}

// The runtime's parts, shared by its gRPC services and destroyed after them.
struct RuntimeParts {
  std::unique_ptr<ContainerStore> store;
  EventBus events;
  std::unique_ptr<ImagesProxy> images;
  std::unique_ptr<VolumesProxy> volumes;  // null without a volume service address
  std::unique_ptr<NetworkProxy> network;  // null without a network service address
  std::unique_ptr<ContainerSupervisor> supervisor;
};

}  // namespace

absl::StatusOr<rpc::HostedService> HostRuntimeService(const rpc::ServiceSetup& setup) {
  rpc::HostedService hosted;
  hosted.name = "runtime";
  BERTH_ASSIGN_OR_RETURN(CgroupLayout layout, DetectCgroupLayout());
  auto parts = std::make_shared<RuntimeParts>();
  BERTH_ASSIGN_OR_RETURN(parts->store, ContainerStore::Open(setup.root_dir + "/metadata.db"));
  auto images_address = setup.service_addresses.find("images");
  if (images_address == setup.service_addresses.end()) {
    return absl::FailedPreconditionError("the runtime needs the images service's address");
  }
  BERTH_ASSIGN_OR_RETURN(parts->images, ImagesProxy::Dial(images_address->second));
  if (auto volumes_address = setup.service_addresses.find("volumes");
      volumes_address != setup.service_addresses.end()) {
    BERTH_ASSIGN_OR_RETURN(parts->volumes, VolumesProxy::Dial(volumes_address->second));
  }
  if (auto network_address = setup.service_addresses.find("network");
      network_address != setup.service_addresses.end()) {
    BERTH_ASSIGN_OR_RETURN(parts->network, NetworkProxy::Dial(network_address->second));
  }
  SupervisorOptions options;
  options.root_dir = setup.root_dir;
  options.state_dir = setup.state_dir;
  BERTH_ASSIGN_OR_RETURN(options.shim_binary, FindHelperBinary("berth-shim"));
  // Only `--init` needs it: its absence fails those creates, not berthd.
  options.init_binary = FindHelperBinary("berth-init").value_or("");
  options.default_init = setup.config->init;
  options.cgroup_parent = setup.config->cgroup_parent;
  options.default_log_driver = setup.config->log_driver;
  options.default_log_opts = setup.config->log_opts;
  if (setup.metrics) options.started = RegisterContainerStartHistogram(setup.metrics);
  BERTH_ASSIGN_OR_RETURN(
      parts->supervisor,
      ContainerSupervisor::Create(options, parts->store.get(), parts->images.get(),
                                  parts->volumes.get(), parts->network.get(), &parts->events));
  BERTH_RETURN_IF_ERROR(parts->supervisor->Restore());

  hosted.owned.push_back(parts);
  if (setup.metrics) {
    // The source borrows the store and supervisor: its deleter keeps `parts` alive.
    auto source = std::shared_ptr<const ContainerSampleSource>(
        new ShimSampleSource(parts->store.get(), parts->supervisor.get(),
                             setup.config->cgroup_parent, layout.own_path),
        [parts](const ContainerSampleSource* p) { delete p; });
    hosted.collectables.push_back(MakeContainerMetricsCollector(std::move(source)));
  }
  hosted.Add<v1::Containers>(std::make_unique<ContainersService>(
      parts->store.get(), parts->supervisor.get(), parts->images.get()));
  hosted.Add<v1::Tasks>(
      std::make_unique<TasksService>(parts->store.get(), parts->supervisor.get()));
  const std::string export_dir = setup.state_dir + "/exports";
  CleanExportMounts(export_dir);
  hosted.Add<v1::ContainerRootfs>(std::make_unique<ContainerRootfsService>(
      parts->store.get(), parts->supervisor.get(), parts->images.get(), parts->images.get(),
      export_dir));
  hosted.Add<v1::Logs>(std::make_unique<LogsService>(parts->store.get(), parts->supervisor.get()));
  hosted.Add<v1::Events>(std::make_unique<EventsService>(&parts->events));
  hosted.details["cgroup_version"] = layout.VersionName();
  hosted.details["cgroup_v1_controllers"] = absl::StrJoin(layout.v1_controllers, ",");
  hosted.details["cgroup_unified_mount"] = layout.unified_mountpoint;
  // Containers nest under berthd's own cgroup unless cgroup-parent names another.
  hosted.details["cgroup_parent"] =
      setup.config->cgroup_parent.empty() ? layout.own_path : setup.config->cgroup_parent;
  hosted.details["state_dir"] = setup.state_dir;
  hosted.details["shim_binary"] = options.shim_binary;
  hosted.details["init_binary"] = options.init_binary;
  return hosted;
}

}  // namespace berth::runtime
