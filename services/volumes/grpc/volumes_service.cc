#include "services/volumes/grpc/volumes_service.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/rpc/namespace.h"
#include "common/rpc/status.h"
#include "common/status_macros.h"
#include "shim/protocol/proto_time.h"

namespace berth::volumes {
namespace {

using ProtoFilters = google::protobuf::RepeatedPtrField<types::v1::Filter>;

void VolumeToProto(const VolumeInfo& info, v1::Volume* out) {
  out->set_name(info.volume.name);
  out->set_driver(info.volume.driver);
  out->set_mountpoint(info.mountpoint);
  shim::ToProtoTime(info.volume.created, out->mutable_created_at());
  out->mutable_labels()->insert(info.volume.labels.begin(), info.volume.labels.end());
  out->mutable_options()->insert(info.volume.options.begin(), info.volume.options.end());
  out->set_scope("local");
  out->mutable_usage_data()->set_size(info.size);
  out->mutable_usage_data()->set_ref_count(info.ref_count);
  out->set_anonymous(info.volume.anonymous);
}

// Keys of `volume ls` (all four) or `volume prune` (label only, as Docker).
absl::StatusOr<VolumeFilter> FilterFromProto(const ProtoFilters& filters, bool prune) {
  VolumeFilter out;
  for (const types::v1::Filter& filter : filters) {
    const std::string& key = filter.key();
    const std::vector<std::string> values(filter.values().begin(), filter.values().end());
    if (key == "label") {
      out.labels.insert(out.labels.end(), values.begin(), values.end());
    } else if (prune) {
      return absl::InvalidArgumentError(absl::StrCat("invalid filter '", key, "'"));
    } else if (key == "name") {
      out.names.insert(out.names.end(), values.begin(), values.end());
    } else if (key == "driver") {
      out.drivers.insert(out.drivers.end(), values.begin(), values.end());
    } else if (key == "dangling") {
      for (const std::string& value : values) {
        if (value == "true" || value == "1") {
          out.dangling = true;
        } else if (value == "false" || value == "0") {
          out.dangling = false;
        } else {
          return absl::InvalidArgumentError(absl::StrCat("invalid filter 'dangling=", value, "'"));
        }
      }
    } else {
      return absl::InvalidArgumentError(absl::StrCat("invalid filter '", key, "'"));
    }
  }
  return out;
}

std::string PropagationName(types::v1::MountPropagation propagation) {
  switch (propagation) {
    case types::v1::MOUNT_PROPAGATION_PRIVATE:
      return "private";
    case types::v1::MOUNT_PROPAGATION_SHARED:
      return "shared";
    case types::v1::MOUNT_PROPAGATION_RSHARED:
      return "rshared";
    case types::v1::MOUNT_PROPAGATION_SLAVE:
      return "slave";
    case types::v1::MOUNT_PROPAGATION_RSLAVE:
      return "rslave";
    default:
      return "";  // rprivate
  }
}

types::v1::MountPropagation PropagationOf(const std::string& name) {
  if (name == "private") return types::v1::MOUNT_PROPAGATION_PRIVATE;
  if (name == "rprivate") return types::v1::MOUNT_PROPAGATION_RPRIVATE;
  if (name == "shared") return types::v1::MOUNT_PROPAGATION_SHARED;
  if (name == "rshared") return types::v1::MOUNT_PROPAGATION_RSHARED;
  if (name == "slave") return types::v1::MOUNT_PROPAGATION_SLAVE;
  if (name == "rslave") return types::v1::MOUNT_PROPAGATION_RSLAVE;
  return types::v1::MOUNT_PROPAGATION_UNSPECIFIED;
}

MountRequest RequestFromProto(const types::v1::MountRequest& in) {
  MountRequest out;
  out.target = in.target();
  out.read_only = in.read_only();
  out.mode = in.read_only() ? "ro" : "";
  if (in.has_bind()) {
    out.kind = MountKind::kBind;
    out.host_path = in.bind().host_path();
    out.propagation = PropagationName(in.bind().propagation());
    out.create_host_path = in.bind().create_host_path();
    out.non_recursive = in.bind().non_recursive();
  } else if (in.has_tmpfs()) {
    out.kind = MountKind::kTmpfs;
    out.tmpfs_size = in.tmpfs().size_bytes();
    out.tmpfs_mode = in.tmpfs().mode();
    out.tmpfs_options.assign(in.tmpfs().options().begin(), in.tmpfs().options().end());
  } else {
    out.kind = MountKind::kVolume;
    out.volume_name = in.volume().name();
    out.nocopy = in.volume().nocopy();
    out.driver_options.insert(in.volume().driver_options().begin(),
                              in.volume().driver_options().end());
    out.labels.insert(in.volume().labels().begin(), in.volume().labels().end());
    out.subpath = in.volume().subpath();
  }
  return out;
}

void MountToProto(const ResolvedMount& in, v1::ResolvedMount* out) {
  switch (in.kind) {
    case MountKind::kVolume:
      out->set_kind(v1::RESOLVED_MOUNT_KIND_VOLUME);
      out->set_volume_driver("local");
      break;
    case MountKind::kBind:
      out->set_kind(v1::RESOLVED_MOUNT_KIND_BIND);
      break;
    case MountKind::kTmpfs:
      out->set_kind(v1::RESOLVED_MOUNT_KIND_TMPFS);
      break;
  }
  out->mutable_mount()->set_type(in.type);
  out->mutable_mount()->set_source(in.source);
  out->mutable_mount()->set_target(in.destination);
  for (const std::string& option : in.options) out->mutable_mount()->add_options(option);
  out->set_propagation(PropagationOf(in.propagation));
  out->set_read_only(in.read_only);
  out->set_volume_name(in.volume_name);
  out->set_mode(in.mode);
  out->set_from_container_id(in.from_container);
}

absl::Status RequireName(const std::string& name) {
  if (name.empty()) return absl::InvalidArgumentError("a volume name is required");
  return absl::OkStatus();
}

}  // namespace

grpc::Status VolumesService::Create(grpc::ServerContext* context,
                                    const v1::CreateVolumeRequest* request,
                                    v1::CreateVolumeResponse* response) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(std::string ns, rpc::NamespaceOf(*context));
    CreateVolume create;
    create.name = request->name();
    create.driver = request->driver();
    create.options.insert(request->driver_options().begin(), request->driver_options().end());
    create.labels.insert(request->labels().begin(), request->labels().end());
    BERTH_ASSIGN_OR_RETURN(VolumeInfo info, manager_->Create(ns, create));
    VolumeToProto(info, response->mutable_volume());
    return absl::OkStatus();
  }());
}

grpc::Status VolumesService::Get(grpc::ServerContext* context, const v1::GetVolumeRequest* request,
                                 v1::GetVolumeResponse* response) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(std::string ns, rpc::NamespaceOf(*context));
    BERTH_RETURN_IF_ERROR(RequireName(request->name()));
    BERTH_ASSIGN_OR_RETURN(VolumeInfo info, manager_->Get(ns, request->name(), request->size()));
    VolumeToProto(info, response->mutable_volume());
    return absl::OkStatus();
  }());
}

grpc::Status VolumesService::List(grpc::ServerContext* context,
                                  const v1::ListVolumesRequest* request,
                                  v1::ListVolumesResponse* response) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(std::string ns, rpc::NamespaceOf(*context));
    BERTH_ASSIGN_OR_RETURN(VolumeFilter filter, FilterFromProto(request->filters(), false));
    BERTH_ASSIGN_OR_RETURN(std::vector<VolumeInfo> volumes, manager_->List(ns, filter));
    for (const VolumeInfo& info : volumes) VolumeToProto(info, response->add_volumes());
    return absl::OkStatus();
  }());
}

grpc::Status VolumesService::Remove(grpc::ServerContext* context,
                                    const v1::RemoveVolumeRequest* request,
                                    v1::RemoveVolumeResponse*) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(std::string ns, rpc::NamespaceOf(*context));
    BERTH_RETURN_IF_ERROR(RequireName(request->name()));
    return manager_->Remove(ns, request->name(), request->force());
  }());
}

grpc::Status VolumesService::Prune(grpc::ServerContext* context,
                                   const v1::PruneVolumesRequest* request,
                                   v1::PruneVolumesResponse* response) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(std::string ns, rpc::NamespaceOf(*context));
    BERTH_ASSIGN_OR_RETURN(VolumeFilter filter, FilterFromProto(request->filters(), true));
    BERTH_ASSIGN_OR_RETURN(PruneResult result, manager_->Prune(ns, request->all(), filter));
    for (const std::string& name : result.deleted) response->add_deleted(name);
    response->set_space_reclaimed(result.space_reclaimed);
    return absl::OkStatus();
  }());
}

grpc::Status VolumesService::Resolve(grpc::ServerContext* context,
                                     const v1::ResolveMountsRequest* request,
                                     v1::ResolveMountsResponse* response) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(std::string ns, rpc::NamespaceOf(*context));
    if (request->container_id().empty()) {
      return absl::InvalidArgumentError("container_id is required");
    }
    ResolveRequest resolve;
    resolve.container_id = request->container_id();
    for (const types::v1::MountRequest& mount : request->mounts()) {
      resolve.mounts.push_back(RequestFromProto(mount));
    }
    for (const types::v1::VolumesFromRequest& from : request->volumes_from()) {
      VolumesFrom::Mode mode = VolumesFrom::Mode::kSame;
      if (from.mode() == types::v1::VOLUMES_FROM_MODE_READ_ONLY) {
        mode = VolumesFrom::Mode::kReadOnly;
      } else if (from.mode() == types::v1::VOLUMES_FROM_MODE_READ_WRITE) {
        mode = VolumesFrom::Mode::kReadWrite;
      }
      resolve.volumes_from.push_back(VolumesFrom{from.container_id(), mode});
    }
    resolve.image_volumes.assign(request->image_volumes().begin(), request->image_volumes().end());
    for (const types::v1::Mount& mount : request->rootfs()) {
      resolve.rootfs.push_back(RootfsMount{
          mount.type(), mount.source(), {mount.options().begin(), mount.options().end()}});
    }
    BERTH_ASSIGN_OR_RETURN(ResolveResult result, manager_->Resolve(ns, resolve));
    for (const ResolvedMount& mount : result.mounts) MountToProto(mount, response->add_mounts());
    for (const std::string& name : result.volume_names) response->add_volume_names(name);
    return absl::OkStatus();
  }());
}

grpc::Status VolumesService::Release(grpc::ServerContext* context,
                                     const v1::ReleaseMountsRequest* request,
                                     v1::ReleaseMountsResponse* response) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(std::string ns, rpc::NamespaceOf(*context));
    if (request->container_id().empty()) {
      return absl::InvalidArgumentError("container_id is required");
    }
    BERTH_ASSIGN_OR_RETURN(
        std::vector<std::string> removed,
        manager_->Release(ns, request->container_id(), request->remove_anonymous()));
    for (const std::string& name : removed) response->add_removed_volumes(name);
    return absl::OkStatus();
  }());
}

grpc::Status VolumesService::Usage(grpc::ServerContext* context, const v1::VolumesUsageRequest*,
                                   v1::VolumesUsageResponse* response) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(std::string ns, rpc::NamespaceOf(*context));
    BERTH_ASSIGN_OR_RETURN(std::vector<VolumeInfo> volumes,
                           manager_->List(ns, VolumeFilter{}, /*size=*/true));
    int64_t total = 0, reclaimable = 0, active = 0;
    for (const VolumeInfo& info : volumes) {
      VolumeToProto(info, response->add_volumes());
      const int64_t size = info.size > 0 ? info.size : 0;
      total += size;
      if (info.ref_count > 0) {
        ++active;
      } else {
        reclaimable += size;
      }
    }
    response->set_total_bytes(total);
    response->set_reclaimable_bytes(reclaimable);
    response->set_active_count(active);
    return absl::OkStatus();
  }());
}

}  // namespace berth::volumes
