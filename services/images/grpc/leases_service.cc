#include "services/images/grpc/leases_service.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/rpc/namespace.h"
#include "common/rpc/status.h"
#include "common/status_macros.h"
#include "google/protobuf/util/time_util.h"
#include "services/images/core/image_filters.h"
#include "services/images/grpc/image_convert.h"
#include "services/images/grpc/proto_filters.h"

namespace berth::images {
namespace {

void LeaseToProto(const LeaseRecord& lease, v1::Lease* out) {
  out->set_id(lease.id);
  ToProto(lease.created, out->mutable_created_at());
  if (lease.expire_at.has_value()) ToProto(*lease.expire_at, out->mutable_expires_at());
  out->mutable_labels()->insert(lease.labels.begin(), lease.labels.end());
}

absl::Status RequireId(const std::string& id, absl::string_view field = "id") {
  if (!id.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(field, " is required"));
}

// A resource as the metadata store keeps it: a content digest (checked), an ingest ref or
// a snapshot key of a named snapshotter.
absl::StatusOr<LeaseResource> FromProto(const v1::LeaseResource& resource) {
  BERTH_RETURN_IF_ERROR(RequireId(resource.id(), "resource.id"));
  const std::string& type = resource.type();
  if (type == kLeaseContent) BERTH_RETURN_IF_ERROR(Digest::Parse(resource.id()).status());
  const bool snapshots = absl::StartsWith(type, kLeaseSnapshotsPrefix) &&
                         type.size() > std::string_view(kLeaseSnapshotsPrefix).size();
  if (type != kLeaseContent && type != kLeaseIngests && !snapshots) {
    return absl::InvalidArgumentError(
        absl::StrCat("resource type \"", type,
                     "\" is not one of \"content\", \"ingests\", \"snapshots/<snapshotter>\""));
  }
  return LeaseResource{.kind = type, .key = resource.id()};
}

}  // namespace

grpc::Status LeasesService::Create(grpc::ServerContext* context,
                                   const v1::CreateLeaseRequest* request,
                                   v1::CreateLeaseResponse* response) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(std::string ns, rpc::NamespaceOf(*context));
    std::optional<absl::Time> expire_at;
    if (request->has_expire_after()) {
      const int64_t after_ns =
          google::protobuf::util::TimeUtil::DurationToNanoseconds(request->expire_after());
      if (after_ns <= 0) return absl::InvalidArgumentError("expire_after must be positive");
      expire_at = absl::Now() + absl::Nanoseconds(after_ns);
    }
    BERTH_ASSIGN_OR_RETURN(
        LeaseRecord lease,
        root_->metadata().CreateLease(ns, request->id(),
                                      Labels(request->labels().begin(), request->labels().end()),
                                      expire_at));
    LeaseToProto(lease, response->mutable_lease());
    return absl::OkStatus();
  }());
}

grpc::Status LeasesService::Delete(grpc::ServerContext* context,
                                   const v1::DeleteLeaseRequest* request,
                                   google::protobuf::Empty*) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(std::string ns, rpc::NamespaceOf(*context));
    BERTH_RETURN_IF_ERROR(RequireId(request->id()));
    BERTH_RETURN_IF_ERROR(root_->metadata().DeleteLease(ns, request->id()));
    if (!request->sync()) return absl::OkStatus();
    return root_->CollectGarbage().status();
  }());
}

grpc::Status LeasesService::List(grpc::ServerContext* context, const v1::ListLeasesRequest* request,
                                 v1::ListLeasesResponse* response) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(std::string ns, rpc::NamespaceOf(*context));
    BERTH_RETURN_IF_ERROR(CheckFilterKeys(request->filters(), {"id", "label"}));
    BERTH_ASSIGN_OR_RETURN(std::vector<LeaseRecord> leases, root_->metadata().ListLeases(ns));
    for (const LeaseRecord& lease : leases) {
      const bool match =
          MatchesFilters(request->filters(), [&](const std::string& key, const std::string& value) {
            return key == "id" ? lease.id == value : HasLabel(lease.labels, value);
          });
      if (match) LeaseToProto(lease, response->add_leases());
    }
    return absl::OkStatus();
  }());
}

grpc::Status LeasesService::AddResource(grpc::ServerContext* context,
                                        const v1::AddLeaseResourceRequest* request,
                                        google::protobuf::Empty*) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(std::string ns, rpc::NamespaceOf(*context));
    BERTH_RETURN_IF_ERROR(RequireId(request->lease_id(), "lease_id"));
    BERTH_ASSIGN_OR_RETURN(LeaseResource resource, FromProto(request->resource()));
    return root_->metadata().AddLeaseResource(ns, request->lease_id(), resource.kind, resource.key);
  }());
}

grpc::Status LeasesService::DeleteResource(grpc::ServerContext* context,
                                           const v1::DeleteLeaseResourceRequest* request,
                                           google::protobuf::Empty*) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(std::string ns, rpc::NamespaceOf(*context));
    BERTH_RETURN_IF_ERROR(RequireId(request->lease_id(), "lease_id"));
    BERTH_ASSIGN_OR_RETURN(LeaseResource resource, FromProto(request->resource()));
    return root_->metadata().DeleteLeaseResource(ns, request->lease_id(), resource.kind,
                                                 resource.key);
  }());
}

grpc::Status LeasesService::ListResources(grpc::ServerContext* context,
                                          const v1::ListLeaseResourcesRequest* request,
                                          v1::ListLeaseResourcesResponse* response) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(std::string ns, rpc::NamespaceOf(*context));
    BERTH_RETURN_IF_ERROR(RequireId(request->lease_id(), "lease_id"));
    BERTH_ASSIGN_OR_RETURN(std::vector<LeaseResource> resources,
                           root_->metadata().ListLeaseResources(ns, request->lease_id()));
    for (const LeaseResource& resource : resources) {
      v1::LeaseResource* out = response->add_resources();
      out->set_id(resource.key);
      out->set_type(resource.kind);
    }
    return absl::OkStatus();
  }());
}

}  // namespace berth::images
