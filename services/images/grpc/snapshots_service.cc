#include "services/images/grpc/snapshots_service.h"

#include <algorithm>
#include <functional>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/rpc/namespace.h"
#include "common/rpc/status.h"
#include "common/status_macros.h"
#include "services/images/core/image_filters.h"
#include "services/images/grpc/image_convert.h"
#include "services/images/grpc/proto_filters.h"

namespace berth::images {
namespace {

constexpr int kListBatch = 100;

// The caller's namespace and the snapshotter it named ("" or the root's own).
struct Target {
  std::string ns;
  std::string lease;  // "" when the call names none
  std::string snapshotter;
};

absl::StatusOr<Target> TargetOf(ImageRoot& root, const grpc::ServerContext& context,
                                const std::string& snapshotter) {
  const std::string own = root.snapshotter().name();
  if (!snapshotter.empty() && snapshotter != own) {
    return absl::InvalidArgumentError(absl::StrCat(
        "snapshotter \"", snapshotter, "\" is not available (this daemon uses \"", own, "\")"));
  }
  Target target;
  BERTH_ASSIGN_OR_RETURN(target.ns, rpc::NamespaceOf(context));
  target.lease = rpc::LeaseOf(context);
  target.snapshotter = own;
  return target;
}

absl::Status RequireKey(const std::string& key, absl::string_view field = "key") {
  if (!key.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(field, " is required"));
}

// Runs `create` (which makes snapshot `key`) and records `key` in the call's lease, with
// the GC lock held so a collection cannot remove it in between.
absl::Status Leased(ImageRoot& root, const Target& target, const std::string& key,
                    const std::function<absl::Status()>& create) {
  auto hold = root.gc_lock().Shared();
  if (target.lease.empty()) return create();
  // Checked first, so an unknown lease leaves no snapshot behind.
  BERTH_ASSIGN_OR_RETURN(std::vector<LeaseRecord> leases, root.metadata().ListLeases(target.ns));
  if (std::none_of(leases.begin(), leases.end(),
                   [&](const LeaseRecord& l) { return l.id == target.lease; })) {
    return absl::NotFoundError(absl::StrCat("lease ", target.lease, " not found"));
  }
  BERTH_RETURN_IF_ERROR(create());
  return root.metadata().AddLeaseResource(
      target.ns, target.lease, absl::StrCat(kLeaseSnapshotsPrefix, target.snapshotter), key);
}

bool Matches(const SnapshotInfo& info, const ProtoFilters& filters) {
  return MatchesFilters(filters, [&](const std::string& key, const std::string& value) {
    if (key == "name") return info.name == value;
    if (key == "parent") return info.parent == value;
    if (key == "kind") return SnapshotKindName(info.kind) == value;
    return HasLabel(info.labels, value);
  });
}

}  // namespace

grpc::Status SnapshotsService::Prepare(grpc::ServerContext* context,
                                       const v1::PrepareSnapshotRequest* request,
                                       v1::PrepareSnapshotResponse* response) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_RETURN_IF_ERROR(RequireKey(request->key()));
    BERTH_ASSIGN_OR_RETURN(Target target, TargetOf(*root_, *context, request->snapshotter()));
    NamespacedSnapshotter snapshots = root_->SnapshotsOf(target.ns);
    return Leased(*root_, target, request->key(), [&]() -> absl::Status {
      BERTH_ASSIGN_OR_RETURN(
          std::vector<Mount> mounts,
          snapshots.Prepare(request->key(), request->parent(),
                            Labels(request->labels().begin(), request->labels().end())));
      ToProto(mounts, response->mutable_mounts());
      return absl::OkStatus();
    });
  }());
}

grpc::Status SnapshotsService::View(grpc::ServerContext* context,
                                    const v1::ViewSnapshotRequest* request,
                                    v1::ViewSnapshotResponse* response) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_RETURN_IF_ERROR(RequireKey(request->key()));
    BERTH_ASSIGN_OR_RETURN(Target target, TargetOf(*root_, *context, request->snapshotter()));
    NamespacedSnapshotter snapshots = root_->SnapshotsOf(target.ns);
    return Leased(*root_, target, request->key(), [&]() -> absl::Status {
      BERTH_ASSIGN_OR_RETURN(
          std::vector<Mount> mounts,
          snapshots.View(request->key(), request->parent(),
                         Labels(request->labels().begin(), request->labels().end())));
      ToProto(mounts, response->mutable_mounts());
      return absl::OkStatus();
    });
  }());
}

grpc::Status SnapshotsService::Mounts(grpc::ServerContext* context,
                                      const v1::SnapshotMountsRequest* request,
                                      v1::SnapshotMountsResponse* response) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_RETURN_IF_ERROR(RequireKey(request->key()));
    BERTH_ASSIGN_OR_RETURN(Target target, TargetOf(*root_, *context, request->snapshotter()));
    BERTH_ASSIGN_OR_RETURN(std::vector<Mount> mounts,
                           root_->SnapshotsOf(target.ns).Mounts(request->key()));
    ToProto(mounts, response->mutable_mounts());
    return absl::OkStatus();
  }());
}

grpc::Status SnapshotsService::Commit(grpc::ServerContext* context,
                                      const v1::CommitSnapshotRequest* request,
                                      google::protobuf::Empty*) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_RETURN_IF_ERROR(RequireKey(request->key()));
    BERTH_RETURN_IF_ERROR(RequireKey(request->name(), "name"));
    BERTH_ASSIGN_OR_RETURN(Target target, TargetOf(*root_, *context, request->snapshotter()));
    NamespacedSnapshotter snapshots = root_->SnapshotsOf(target.ns);
    return Leased(*root_, target, request->name(), [&] {
      return snapshots.Commit(request->name(), request->key(),
                              Labels(request->labels().begin(), request->labels().end()));
    });
  }());
}

grpc::Status SnapshotsService::Remove(grpc::ServerContext* context,
                                      const v1::RemoveSnapshotRequest* request,
                                      google::protobuf::Empty*) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_RETURN_IF_ERROR(RequireKey(request->key()));
    BERTH_ASSIGN_OR_RETURN(Target target, TargetOf(*root_, *context, request->snapshotter()));
    return root_->SnapshotsOf(target.ns).Remove(request->key());
  }());
}

grpc::Status SnapshotsService::Stat(grpc::ServerContext* context,
                                    const v1::StatSnapshotRequest* request,
                                    v1::StatSnapshotResponse* response) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_RETURN_IF_ERROR(RequireKey(request->key()));
    BERTH_ASSIGN_OR_RETURN(Target target, TargetOf(*root_, *context, request->snapshotter()));
    BERTH_ASSIGN_OR_RETURN(SnapshotInfo info, root_->SnapshotsOf(target.ns).Stat(request->key()));
    ToProto(info, response->mutable_info());
    return absl::OkStatus();
  }());
}

grpc::Status SnapshotsService::Update(grpc::ServerContext* context,
                                      const v1::UpdateSnapshotRequest* request,
                                      v1::UpdateSnapshotResponse* response) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_RETURN_IF_ERROR(RequireKey(request->info().name(), "info.name"));
    BERTH_ASSIGN_OR_RETURN(Target target, TargetOf(*root_, *context, request->snapshotter()));
    std::vector<std::string> paths(request->update_mask().paths().begin(),
                                   request->update_mask().paths().end());
    BERTH_ASSIGN_OR_RETURN(SnapshotInfo info,
                           root_->SnapshotsOf(target.ns).Update(FromProto(request->info()), paths));
    ToProto(info, response->mutable_info());
    return absl::OkStatus();
  }());
}

grpc::Status SnapshotsService::List(grpc::ServerContext* context,
                                    const v1::ListSnapshotsRequest* request,
                                    grpc::ServerWriter<v1::ListSnapshotsResponse>* writer) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_RETURN_IF_ERROR(CheckFilterKeys(request->filters(), {"name", "parent", "kind", "label"}));
    BERTH_ASSIGN_OR_RETURN(Target target, TargetOf(*root_, *context, request->snapshotter()));
    BERTH_ASSIGN_OR_RETURN(std::vector<SnapshotInfo> all, root_->SnapshotsOf(target.ns).List());
    v1::ListSnapshotsResponse batch;
    for (const SnapshotInfo& info : all) {
      if (!Matches(info, request->filters())) continue;
      ToProto(info, batch.add_info());
      if (batch.info_size() == kListBatch) {
        if (!writer->Write(batch)) return absl::CancelledError("client went away");
        batch.Clear();
      }
    }
    if (batch.info_size() > 0 && !writer->Write(batch)) {
      return absl::CancelledError("client went away");
    }
    return absl::OkStatus();
  }());
}

grpc::Status SnapshotsService::Usage(grpc::ServerContext* context,
                                     const v1::SnapshotUsageRequest* request,
                                     v1::SnapshotUsageResponse* response) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_RETURN_IF_ERROR(RequireKey(request->key()));
    BERTH_ASSIGN_OR_RETURN(Target target, TargetOf(*root_, *context, request->snapshotter()));
    BERTH_ASSIGN_OR_RETURN(SnapshotUsage usage,
                           root_->SnapshotsOf(target.ns).Usage(request->key()));
    response->set_size(usage.size_bytes);
    response->set_inodes(usage.inodes);
    return absl::OkStatus();
  }());
}

grpc::Status SnapshotsService::Cleanup(grpc::ServerContext* context,
                                       const v1::CleanupSnapshotsRequest* request,
                                       google::protobuf::Empty*) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(Target target, TargetOf(*root_, *context, request->snapshotter()));
    return root_->SnapshotsOf(target.ns).Cleanup();
  }());
}

}  // namespace berth::images
