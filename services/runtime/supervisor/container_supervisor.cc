#include "services/runtime/supervisor/container_supervisor.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/file_text.h"
#include "common/status_macros.h"
#include "services/runtime/core/container_names.h"
#include "services/runtime/core/container_spec_builder.h"
#include "services/runtime/core/restart_rules.h"
#include "services/runtime/supervisor/container_files.h"
#include "services/runtime/supervisor/container_slot.h"
#include "services/runtime/supervisor/spec_options.h"
#include "shim/oci/cgroups/cgroup_layout.h"
#include "shim/oci/rootfs_mounts.h"
#include "shim/oci/spec.h"

namespace berth::runtime {
namespace {

absl::Status MakeDir(const std::string& path) {
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
    return absl::ErrnoToStatus(errno, absl::StrCat("mkdir ", path));
  }
  return absl::OkStatus();
}

// The spec as stored and shown: the image's defaults merged in where the user gave none.
v1::ContainerSpec MergeImageDefaults(v1::ContainerSpec spec, const ImageRuntimeConfig& image) {
  if (!spec.has_entrypoint()) {
    spec.mutable_entrypoint()->mutable_args()->Add(image.entrypoint.begin(),
                                                   image.entrypoint.end());
    if (!spec.has_cmd()) {
      spec.mutable_cmd()->mutable_args()->Add(image.cmd.begin(), image.cmd.end());
    }
  } else if (!spec.has_cmd()) {
    spec.mutable_cmd();  // an entrypoint given clears the image's cmd
  }
  if (spec.user().empty()) spec.set_user(image.user);
  for (const std::string& port : image.exposed_ports) {
    const auto& exposed = spec.network().exposed_ports();
    if (std::find(exposed.begin(), exposed.end(), port) == exposed.end()) {
      spec.mutable_network()->add_exposed_ports(port);
    }
  }
  if (spec.working_dir().empty()) spec.set_working_dir(image.working_dir);
  if (spec.stop_signal().empty()) spec.set_stop_signal(image.stop_signal);
  for (const auto& [key, value] : image.labels) spec.mutable_labels()->insert({key, value});
  // --health-* fields given override the image's HEALTHCHECK field by field, as Docker.
  types::v1::HealthcheckConfig* health = spec.mutable_healthcheck();
  const HealthcheckSettings& from = image.healthcheck;
  auto duration = [](int64_t ns, google::protobuf::Duration* out) {
    out->set_seconds(ns / 1000000000);
    out->set_nanos(static_cast<int32_t>(ns % 1000000000));
  };
  if (health->test().empty()) health->mutable_test()->Add(from.test.begin(), from.test.end());
  if (!health->has_interval() && from.interval_ns > 0) {
    duration(from.interval_ns, health->mutable_interval());
  }
  if (!health->has_timeout() && from.timeout_ns > 0)
    duration(from.timeout_ns, health->mutable_timeout());
  if (!health->has_start_period() && from.start_period_ns > 0) {
    duration(from.start_period_ns, health->mutable_start_period());
  }
  if (health->retries() == 0) health->set_retries(from.retries);
  if (health->test().empty()) spec.clear_healthcheck();
  return spec;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ContainerSupervisor>> ContainerSupervisor::Create(
    SupervisorOptions options, ContainerStore* store, ImageSource* images, VolumeSource* volumes,
    NetworkSource* network, EventBus* events) {
  BERTH_RETURN_IF_ERROR(MakeDir(options.root_dir));
  BERTH_RETURN_IF_ERROR(MakeDir(options.root_dir + "/containers"));
  BERTH_RETURN_IF_ERROR(MakeDir(options.state_dir));
  BERTH_RETURN_IF_ERROR(MakeDir(options.state_dir + "/tasks"));
  std::unique_ptr<ContainerSupervisor> supervisor(
      new ContainerSupervisor(std::move(options), store, images, volumes, network, events));
  ContainerSupervisor* self = supervisor.get();
  TaskMonitor::Handlers handlers;
  handlers.event = [self](const std::string& id, const shim::v1::ShimEvent& event) {
    self->OnShimEvent(id, event);
  };
  handlers.closed = [self](const std::string& id) { self->OnShimGone(id); };
  BERTH_ASSIGN_OR_RETURN(supervisor->monitor_, TaskMonitor::Start(std::move(handlers)));
  supervisor->health_ = std::make_unique<HealthChecker>(
      [self](const std::string& id, const v1::Health& health, bool status_changed) {
        absl::StatusOr<std::string> ns = self->NamespaceOf(id);
        if (!ns.ok()) return;
        // Kept with the record, so a restarted runtime reports it before its next probe.
        absl::StatusOr<ContainerRecord> record =
            self->store_->Update(*ns, id, [&](ContainerRecord& r) {
              r.health = health.SerializeAsString();
              return absl::OkStatus();
            });
        if (!record.ok() || !status_changed) return;
        const v1::HealthStatus status = health.status();
        const char* name = status == v1::HEALTH_STATUS_HEALTHY     ? "healthy"
                           : status == v1::HEALTH_STATUS_UNHEALTHY ? "unhealthy"
                                                                   : "starting";
        self->Publish(*ns, *record, absl::StrCat("health_status: ", name));
      });
  return supervisor;
}

ContainerSupervisor::~ContainerSupervisor() {
  {
    std::lock_guard lock(mu_);
    shutting_down_ = true;
  }
  health_.reset();
  monitor_.reset();  // shims keep running: the next runtime reconnects
}

std::string ContainerSupervisor::ContainerDir(const std::string& id) const {
  return absl::StrCat(options_.root_dir, "/containers/", id);
}

std::string ContainerSupervisor::TaskDir(const std::string& id) const {
  return absl::StrCat(options_.state_dir, "/tasks/", id);
}

std::string ContainerSupervisor::LogPath(const std::string& id) const {
  return absl::StrCat(ContainerDir(id), "/", id, "-json.log");
}

v1::ContainerSpec ContainerSupervisor::SpecOf(const ContainerRecord& record) {
  v1::ContainerSpec spec;
  spec.ParseFromString(record.spec);
  return spec;
}

std::shared_ptr<ContainerSupervisor::Slot> ContainerSupervisor::SlotOf(const std::string& id) {
  std::lock_guard lock(mu_);
  std::shared_ptr<Slot>& slot = slots_[id];
  if (slot == nullptr) slot = std::make_shared<Slot>();
  return slot;
}

void ContainerSupervisor::DropSlot(const std::string& id) {
  std::lock_guard lock(mu_);
  slots_.erase(id);
  container_ns_.erase(id);
}

absl::StatusOr<std::string> ContainerSupervisor::NamespaceOf(const std::string& id) {
  {
    std::lock_guard lock(mu_);
    auto it = container_ns_.find(id);
    if (it != container_ns_.end()) return it->second;
  }
  auto text = ReadFileText(TaskDir(id) + "/namespace");
  if (!text.ok()) return absl::NotFoundError(absl::StrCat("No such container: ", id));
  return *text;
}

void ContainerSupervisor::Publish(const std::string& ns, const ContainerRecord& record,
                                  const std::string& action,
                                  std::map<std::string, std::string> extra) {
  RuntimeEvent event;
  event.ns = ns;
  event.type = "container";
  event.action = action;
  event.actor_id = record.id;
  event.attributes = record.labels;
  event.attributes["name"] = record.name;
  event.attributes["image"] = record.image;
  for (auto& [key, value] : extra) event.attributes[key] = std::move(value);
  events_->Publish(std::move(event));
}

void ContainerSupervisor::StartHealthCheck(const std::string& ns, const ContainerRecord& record,
                                           std::shared_ptr<shim::ShimClient> shim, bool resume) {
  const v1::ContainerSpec spec = SpecOf(record);
  if (!spec.has_healthcheck() || HealthChecker::TestArgs(spec.healthcheck()).empty()) return;
  absl::StatusOr<oci::Spec> oci_spec = oci::LoadSpec(TaskDir(record.id));
  if (!oci_spec.ok() || !oci_spec->process.has_value()) return;
  v1::Health health;
  if (resume) health.ParseFromString(record.health);
  health_->Start(record.id, spec.healthcheck(), std::move(shim), *oci_spec->process, health);
  if (!resume) {
    // A new task starts over: what an earlier one found must not come back after a
    // restart. Written after Start, which ended any earlier checker and its writes.
    health.set_status(v1::HEALTH_STATUS_STARTING);
    store_
        ->Update(ns, record.id,
                 [&](ContainerRecord& r) {
                   r.health = health.SerializeAsString();
                   return absl::OkStatus();
                 })
        .IgnoreError();
  }
}

absl::Status ContainerSupervisor::ResolveMounts(const std::string& ns, const std::string& id,
                                                const v1::ContainerSpec& spec,
                                                const PreparedRootfs& rootfs,
                                                ContainerOptions& options,
                                                v1::MountPoints& points) {
  const bool tmpfs_only =
      std::all_of(spec.mounts().begin(), spec.mounts().end(),
                  [](const types::v1::MountRequest& mount) { return mount.has_tmpfs(); });
  // Only tmpfs needs no volume service: the runtime mounts those itself.
  if (tmpfs_only && spec.volumes_from().empty() && rootfs.config.volumes.empty()) {
    return absl::OkStatus();
  }
  if (volumes_ == nullptr) {
    return absl::FailedPreconditionError(
        "volumes and bind mounts need the volume service, which this berthd does not know");
  }
  volumes::v1::ResolveMountsRequest request;
  request.set_container_id(id);
  *request.mutable_mounts() = spec.mounts();
  for (const types::v1::VolumesFromRequest& from : spec.volumes_from()) {
    BERTH_ASSIGN_OR_RETURN(ContainerRecord source, store_->Resolve(ns, from.container_id()));
    types::v1::VolumesFromRequest* resolved = request.add_volumes_from();
    resolved->set_container_id(source.id);
    resolved->set_mode(from.mode());
  }
  for (const std::string& path : rootfs.config.volumes) request.add_image_volumes(path);
  for (const RootfsMount& mount : rootfs.mounts) {
    types::v1::Mount* out = request.add_rootfs();
    out->set_type(mount.type);
    out->set_source(mount.source);
    for (const std::string& option : mount.options) out->add_options(option);
  }
  BERTH_ASSIGN_OR_RETURN(volumes::v1::ResolveMountsResponse response,
                         volumes_->Resolve(ns, request));
  // The volume service's answer replaces the runtime's own reading of --tmpfs.
  options.tmpfs.clear();
  for (const volumes::v1::ResolvedMount& resolved : response.mounts()) {
    const types::v1::Mount& mount = resolved.mount();
    v1::MountPoint* point = points.add_mounts();
    point->set_source(mount.source());
    point->set_destination(mount.target());
    point->set_mode(resolved.mode());
    point->set_rw(!resolved.read_only());
    point->set_propagation(resolved.propagation());
    switch (resolved.kind()) {
      case volumes::v1::RESOLVED_MOUNT_KIND_TMPFS:
        point->set_type("tmpfs");
        options.tmpfs[mount.target()] = absl::StrJoin(mount.options(), ",");
        continue;
      case volumes::v1::RESOLVED_MOUNT_KIND_VOLUME:
        point->set_type("volume");
        point->set_name(resolved.volume_name());
        point->set_driver(resolved.volume_driver());
        break;
      default:
        point->set_type("bind");
        break;
    }
    options.mounts.push_back(MountSpec{mount.target(),
                                       mount.type(),
                                       mount.source(),
                                       {mount.options().begin(), mount.options().end()}});
  }
  return absl::OkStatus();
}

absl::StatusOr<ContainerRecord> ContainerSupervisor::CreateContainer(
    const std::string& ns, const std::string& name, const v1::ContainerSpec& spec) {
  if (spec.image().empty()) return absl::InvalidArgumentError("an image is required");
  if (!name.empty()) BERTH_RETURN_IF_ERROR(ValidateContainerName(name));
  const RestartPolicy policy = PolicyFromSpec(spec);
  BERTH_RETURN_IF_ERROR(ValidateRestartPolicy(policy));
  if (spec.auto_remove() && policy.name != RestartPolicyName::kNo) {
    return absl::InvalidArgumentError("Conflicting options: --restart and --rm");  // Docker's check
  }
  const std::string id = NewContainerId();
  BERTH_ASSIGN_OR_RETURN(PreparedRootfs rootfs, images_->PrepareRootfs(ns, spec.image(), id));
  const std::string task_dir = TaskDir(id);
  const std::string container_dir = ContainerDir(id);
  bool created = false;
  bool mounts_resolved = false;
  auto undo = [&] {
    if (created) return;
    if (mounts_resolved) volumes_->Release(ns, id, /*remove_anonymous=*/true).IgnoreError();
    oci::UnmountAll(task_dir + "/rootfs").IgnoreError();
    std::error_code ignored;
    std::filesystem::remove_all(task_dir, ignored);
    std::filesystem::remove_all(container_dir, ignored);
    images_->RemoveRootfs(ns, rootfs.snapshotter, id).IgnoreError();
  };
  auto fail = [&](absl::Status status) {
    undo();
    return status;
  };
  if (auto s = MakeDir(task_dir); !s.ok()) return fail(s);
  if (auto s = MakeDir(container_dir); !s.ok()) return fail(s);
  if (auto s = WriteFileAtomically(task_dir + "/namespace", ns, 0600); !s.ok()) return fail(s);

  ContainerOptions options = OptionsFromSpec(spec);
  if (spec.has_init() ? spec.init() : options_.default_init) {
    if (options_.init_binary.empty()) {
      return fail(absl::FailedPreconditionError(
          "--init: berth-init was not found next to berthd nor on PATH"));
    }
    options.init_path = options_.init_binary;
  }
  v1::MountPoints mount_points;
  if (auto s = ResolveMounts(ns, id, spec, rootfs, options, mount_points); !s.ok()) {
    return fail(s);
  }
  mounts_resolved = mount_points.mounts_size() > 0 || spec.volumes_from_size() > 0;
  const std::string hostname = spec.hostname().empty() ? id.substr(0, 12) : spec.hostname();
  const v1::NetworkRequest& network = spec.network();
  absl::StatusOr<NameFiles> files = WriteNameFiles(
      container_dir, hostname, {network.extra_hosts().begin(), network.extra_hosts().end()},
      {network.dns().begin(), network.dns().end()},
      {network.dns_search().begin(), network.dns_search().end()},
      {network.dns_options().begin(), network.dns_options().end()});
  if (!files.ok()) return fail(files.status());

  BuildContext context;
  context.container_id = id;
  context.rootfs_path = task_dir + "/rootfs";
  context.hostname = hostname;
  const std::string parent =
      !spec.cgroup_parent().empty() ? spec.cgroup_parent() : options_.cgroup_parent;
  context.cgroups_path =
      parent.empty() ? absl::StrCat("berth-", id) : absl::StrCat(parent, "/", id);
  context.resolv_conf_path = files->resolv_conf_path;
  context.hosts_path = files->hosts_path;
  context.hostname_path = files->hostname_path;
  if (auto layout = oci::DetectCgroupLayout(); layout.ok()) {
    context.private_cgroupns = layout->VersionName() == "v2";
  }
  absl::StatusOr<oci::Spec> oci_spec;
  {
    // Mounted only to read the image's /etc/passwd and /etc/group; the shim mounts it again.
    std::vector<oci::Mount> mounts;
    for (const RootfsMount& mount : rootfs.mounts) {
      mounts.push_back(oci::Mount{"", mount.type, mount.source, mount.options});
    }
    absl::StatusOr<oci::RootfsMounts> mounted =
        oci::RootfsMounts::Mount(oci::ReadOnlyView(std::move(mounts)), context.rootfs_path);
    if (!mounted.ok()) return fail(mounted.status());
    oci_spec = BuildContainerSpec(rootfs.config, options, context);
  }
  if (!oci_spec.ok()) return fail(oci_spec.status());
  if (auto s = WriteFileAtomically(task_dir + "/config.json", oci::SerializeSpec(*oci_spec), 0600);
      !s.ok()) {
    return fail(s);
  }

  ContainerRecord record;
  record.id = id;
  record.name = name;
  record.image = spec.image();
  record.image_id = rootfs.image_id;
  record.snapshotter = rootfs.snapshotter;
  record.snapshot_key = id;
  const v1::ContainerSpec stored = MergeImageDefaults(spec, rootfs.config);
  record.labels.insert(stored.labels().begin(), stored.labels().end());
  record.restart_policy = policy;
  record.spec = stored.SerializeAsString();
  record.mounts = mount_points.SerializeAsString();
  record.bundle_dir = task_dir;
  record.shim_socket = shim::ShimSocketPath(task_dir);
  absl::StatusOr<ContainerRecord> saved = store_->Create(ns, record);
  if (!saved.ok()) return fail(saved.status());
  created = true;
  {
    std::lock_guard lock(mu_);
    container_ns_[id] = ns;
  }
  Publish(ns, *saved, "create");
  return saved;
}

}  // namespace berth::runtime
