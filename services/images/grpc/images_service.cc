#include "services/images/grpc/images_service.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/rpc/namespace.h"
#include "common/rpc/status.h"
#include "common/status_macros.h"
#include "services/images/core/gc.h"
#include "services/images/core/image_catalog.h"
#include "services/images/core/image_commit.h"
#include "services/images/grpc/image_convert.h"

namespace berth::images {
namespace {

absl::Status Require(const std::string& value, absl::string_view field) {
  if (!value.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(field, " is required"));
}

absl::StatusOr<ImageCatalog> CatalogFor(ImageRoot& root, const grpc::ServerContext& context,
                                        const types::v1::Platform* platform = nullptr) {
  BERTH_ASSIGN_OR_RETURN(std::string ns, rpc::NamespaceOf(context));
  return ImageCatalog(root, std::move(ns),
                      platform != nullptr ? FromProto(*platform) : HostPlatform());
}

}  // namespace

grpc::Status ImagesService::Get(grpc::ServerContext* context, const v1::GetImageRequest* request,
                                v1::GetImageResponse* response) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_RETURN_IF_ERROR(Require(request->name(), "name"));
    BERTH_ASSIGN_OR_RETURN(ImageCatalog catalog, CatalogFor(*root_, *context));
    BERTH_ASSIGN_OR_RETURN(ImageRecord record, catalog.Get(request->name()));
    ToProto(record, response->mutable_image());
    return absl::OkStatus();
  }());
}

grpc::Status ImagesService::List(grpc::ServerContext* context, const v1::ListImagesRequest* request,
                                 v1::ListImagesResponse* response) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(ImageFilters filters,
                           ParseImageFilters(FiltersFromProto(request->filters())));
    BERTH_ASSIGN_OR_RETURN(ImageCatalog catalog, CatalogFor(*root_, *context));
    BERTH_ASSIGN_OR_RETURN(std::vector<ImageSummary> images, catalog.List(filters));
    for (const ImageSummary& image : images) ToProto(image, response->add_images());
    return absl::OkStatus();
  }());
}

grpc::Status ImagesService::Delete(grpc::ServerContext* context,
                                   const v1::DeleteImageRequest* request,
                                   v1::DeleteImageResponse* response) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_RETURN_IF_ERROR(Require(request->name(), "name"));
    BERTH_ASSIGN_OR_RETURN(ImageCatalog catalog, CatalogFor(*root_, *context));
    // Collection always runs before the answer, so `sync` changes nothing.
    BERTH_ASSIGN_OR_RETURN(std::vector<DeletedItem> items,
                           catalog.Delete(request->name(), request->force()));
    for (const DeletedItem& item : items) ToProto(item, response->add_items());
    return absl::OkStatus();
  }());
}

grpc::Status ImagesService::Tag(grpc::ServerContext* context, const v1::TagImageRequest* request,
                                v1::TagImageResponse* response) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_RETURN_IF_ERROR(Require(request->source(), "source"));
    BERTH_RETURN_IF_ERROR(Require(request->target(), "target"));
    BERTH_ASSIGN_OR_RETURN(ImageCatalog catalog, CatalogFor(*root_, *context));
    BERTH_ASSIGN_OR_RETURN(ImageRecord record, catalog.Tag(request->source(), request->target()));
    ToProto(record, response->mutable_image());
    return absl::OkStatus();
  }());
}

grpc::Status ImagesService::History(grpc::ServerContext* context,
                                    const v1::ImageHistoryRequest* request,
                                    v1::ImageHistoryResponse* response) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_RETURN_IF_ERROR(Require(request->name(), "name"));
    BERTH_ASSIGN_OR_RETURN(ImageCatalog catalog,
                           CatalogFor(*root_, *context, &request->platform()));
    BERTH_ASSIGN_OR_RETURN(std::vector<HistoryItem> items, catalog.History(request->name()));
    for (const HistoryItem& item : items) ToProto(item, response->add_history());
    return absl::OkStatus();
  }());
}

grpc::Status ImagesService::Inspect(grpc::ServerContext* context,
                                    const v1::InspectImageRequest* request,
                                    v1::InspectImageResponse* response) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_RETURN_IF_ERROR(Require(request->name(), "name"));
    BERTH_ASSIGN_OR_RETURN(ImageCatalog catalog,
                           CatalogFor(*root_, *context, &request->platform()));
    BERTH_ASSIGN_OR_RETURN(ImageDetails details, catalog.Inspect(request->name()));
    ToProto(details, response->mutable_image());
    return absl::OkStatus();
  }());
}

grpc::Status ImagesService::PrepareSnapshot(grpc::ServerContext* context,
                                            const v1::PrepareImageSnapshotRequest* request,
                                            v1::PrepareImageSnapshotResponse* response) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_RETURN_IF_ERROR(Require(request->name(), "name"));
    BERTH_RETURN_IF_ERROR(Require(request->key(), "key"));
    const std::string& own = root_->snapshotter().name();
    if (!request->snapshotter().empty() && request->snapshotter() != own) {
      return absl::InvalidArgumentError(absl::StrCat("snapshotter \"", request->snapshotter(),
                                                     "\" is not available (this daemon uses \"",
                                                     own, "\")"));
    }
    BERTH_ASSIGN_OR_RETURN(std::string ns, rpc::NamespaceOf(*context));
    BERTH_ASSIGN_OR_RETURN(ImageCatalog catalog,
                           CatalogFor(*root_, *context, &request->platform()));
    BERTH_ASSIGN_OR_RETURN(ResolvedImage image, catalog.Resolve(request->name()));
    if (image.chain_ids.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("image ", request->name(), " has no layers"));
    }
    NamespacedSnapshotter snapshots = root_->SnapshotsOf(ns);
    const std::string parent = image.top_chain_id().str();
    absl::StatusOr<SnapshotInfo> top = snapshots.Stat(parent);
    if (!top.ok() || top->kind != SnapshotKind::kCommitted) {
      return absl::FailedPreconditionError(absl::StrCat(
          "image ", request->name(), " is not unpacked for ", own, "; pull or load it again"));
    }
    Labels labels(request->labels().begin(), request->labels().end());
    // The caller's snapshot is its own to remove; no collection takes it meanwhile.
    labels[kGcRootLabel] = absl::FormatTime(absl::RFC3339_full, absl::Now(), absl::UTCTimeZone());
    auto hold = root_->gc_lock().Shared();
    BERTH_ASSIGN_OR_RETURN(std::vector<Mount> mounts,
                           request->read_only()
                               ? snapshots.View(request->key(), parent, labels)
                               : snapshots.Prepare(request->key(), parent, labels));
    ToProto(mounts, response->mutable_mounts());
    response->set_image_id(image.id().str());
    ToProto(image.manifest_descriptor, response->mutable_target());
    ToProto(image.config.config, response->mutable_config());
    response->mutable_platform()->set_os(image.config.os);
    response->mutable_platform()->set_architecture(image.config.architecture);
    response->mutable_platform()->set_variant(image.config.variant);
    return absl::OkStatus();
  }());
}

grpc::Status ImagesService::Commit(grpc::ServerContext* context,
                                   const v1::CommitImageRequest* request,
                                   v1::CommitImageResponse* response) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_RETURN_IF_ERROR(Require(request->snapshot_key(), "snapshot_key"));
    BERTH_RETURN_IF_ERROR(Require(request->parent(), "parent"));
    const std::string& own = root_->snapshotter().name();
    if (!request->snapshotter().empty() && request->snapshotter() != own) {
      return absl::InvalidArgumentError(
          absl::StrCat("snapshotter \"", request->snapshotter(), "\" is not available"));
    }
    BERTH_ASSIGN_OR_RETURN(std::string ns, rpc::NamespaceOf(*context));
    CommitOptions options;
    options.snapshot_key = request->snapshot_key();
    options.parent = request->parent();
    options.config = FromProto(request->config());
    options.changes.assign(request->changes().begin(), request->changes().end());
    options.reference = request->reference();
    options.author = request->author();
    options.comment = request->comment();
    options.container_id = request->container_id();
    options.mount_points.assign(request->mount_points().begin(), request->mount_points().end());
    BERTH_ASSIGN_OR_RETURN(Digest id, CommitSnapshot(*root_, ns, options));
    response->set_image_id(id.str());
    return absl::OkStatus();
  }());
}

grpc::Status ImagesService::Prune(grpc::ServerContext* context,
                                  const v1::PruneImagesRequest* request,
                                  v1::PruneImagesResponse* response) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(ImageFilters filters,
                           ParseImageFilters(FiltersFromProto(request->filters())));
    BERTH_ASSIGN_OR_RETURN(ImageCatalog catalog, CatalogFor(*root_, *context));
    BERTH_ASSIGN_OR_RETURN(PruneResult pruned, catalog.Prune(filters));
    for (const DeletedItem& item : pruned.items) ToProto(item, response->add_items());
    response->set_space_reclaimed(pruned.reclaimed_bytes);
    return absl::OkStatus();
  }());
}

grpc::Status ImagesService::GarbageCollect(grpc::ServerContext* /*context*/,
                                           const v1::GarbageCollectRequest* request,
                                           v1::GarbageCollectResponse* response) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    if (request->dry_run()) return absl::UnimplementedError("dry_run is not supported yet");
    const absl::Time start = absl::Now();
    BERTH_ASSIGN_OR_RETURN(GcResult collected, root_->CollectGarbage());
    const absl::Duration took = absl::Now() - start;
    response->set_content_removed(collected.removed_blobs);
    response->set_snapshots_removed(collected.removed_snapshots);
    response->set_leases_expired(collected.removed_leases);
    response->set_bytes_reclaimed(collected.reclaimed_bytes);
    const int64_t nanos = absl::ToInt64Nanoseconds(took);
    response->mutable_duration()->set_seconds(nanos / 1000000000);
    response->mutable_duration()->set_nanos(static_cast<int32_t>(nanos % 1000000000));
    return absl::OkStatus();
  }());
}

}  // namespace berth::images
