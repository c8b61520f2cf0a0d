#include "services/images/grpc/content_service.h"

#include <fnmatch.h>
#include <sys/stat.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
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
constexpr int64_t kMaxChunk = 1 << 20;

// Ingests are kept per namespace: the store's ref is "<namespace>/<caller's ref>".
std::string IngestRef(const std::string& ns, absl::string_view ref) {
  return absl::StrCat(ns, "/", ref);
}

absl::StatusOr<Digest> ParseDigest(absl::string_view text, absl::string_view field = "digest") {
  if (text.empty()) return absl::InvalidArgumentError(absl::StrCat(field, " is required"));
  return Digest::Parse(text);
}

absl::Status RequireRef(const std::string& ref) {
  if (!ref.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError("ref is required");
}

// The blob as namespace `ns` sees it; NotFound when the namespace does not hold it.
absl::StatusOr<v1::ContentInfo> InfoIn(ImageRoot& root, const std::string& ns,
                                       const Digest& digest) {
  BERTH_ASSIGN_OR_RETURN(ContentRecord record, root.metadata().GetContent(ns, digest));
  BERTH_ASSIGN_OR_RETURN(ContentInfo blob, root.content().Info(digest));
  v1::ContentInfo info;
  info.set_digest(digest.str());
  info.set_size(blob.size);
  ToProto(record.created, info.mutable_created_at());
  ToProto(record.updated, info.mutable_updated_at());
  info.mutable_labels()->insert(record.labels.begin(), record.labels.end());
  return info;
}

void IngestToProto(const IngestStatus& status, absl::string_view ref, v1::ContentStatus* out) {
  out->set_ref(std::string(ref));
  out->set_offset(status.offset);
  out->set_total(std::max<int64_t>(status.total, 0));
  if (!status.expected.empty()) out->set_expected(status.expected.str());
  ToProto(status.started_at, out->mutable_started_at());
  ToProto(status.updated_at, out->mutable_updated_at());
}

bool MatchesContent(const ContentRecord& record, const ProtoFilters& filters) {
  return MatchesFilters(filters, [&](const std::string& key, const std::string& value) {
    return key == "digest" ? record.digest.str() == value : HasLabel(record.labels, value);
  });
}

bool MatchesRef(absl::string_view ref, const ProtoFilters& filters) {
  const std::string text(ref);
  return MatchesFilters(filters, [&](const std::string&, const std::string& glob) {
    return ::fnmatch(glob.c_str(), text.c_str(), 0) == 0;
  });
}

// One Write stream after its ingest was opened: answers STAT, WRITE and COMMIT messages
// in order until the blob is committed.
class IngestSession {
 public:
  IngestSession(ImageRoot& root, std::string ns, std::string lease, std::string ref,
                std::unique_ptr<ContentWriter> writer, int64_t total)
      : root_(root),
        ns_(std::move(ns)),
        lease_(std::move(lease)),
        ref_(std::move(ref)),
        writer_(std::move(writer)),
        total_(total) {
    auto status = root_.content().Status(IngestRef(ns_, ref_));
    started_at_ = status.ok() ? status->started_at : absl::Now();
  }

  // Handles one message; `done` turns true once the blob is committed.
  absl::StatusOr<v1::WriteContentResponse> Handle(const v1::WriteContentRequest& request,
                                                  bool& done) {
    v1::WriteContentResponse response;
    response.set_action(request.action());
    if (request.total() > 0) total_ = request.total();
    switch (request.action()) {
      case v1::WRITE_ACTION_STAT:
        break;
      case v1::WRITE_ACTION_WRITE:
        BERTH_RETURN_IF_ERROR(Append(request));
        break;
      case v1::WRITE_ACTION_COMMIT: {
        BERTH_RETURN_IF_ERROR(Append(request));
        BERTH_ASSIGN_OR_RETURN(Digest digest, Commit(request));
        response.set_digest(digest.str());
        done = true;
        break;
      }
      default:
        return absl::InvalidArgumentError(
            absl::StrCat("write action ", static_cast<int>(request.action()), " is not known"));
    }
    ToProto(started_at_, response.mutable_started_at());
    ToProto(absl::Now(), response.mutable_updated_at());
    response.set_offset(done ? committed_size_ : writer_->offset());
    response.set_total(std::max<int64_t>(total_, 0));
    return response;
  }

 private:
  absl::Status Append(const v1::WriteContentRequest& request) {
    if (static_cast<int64_t>(request.data().size()) > kMaxChunk) {
      return absl::InvalidArgumentError(absl::StrCat(
          "a write message carries ", request.data().size(), " bytes; at most ", kMaxChunk));
    }
    if (request.offset() != writer_->offset()) {
      // A writer may go back (and rewrite from there), never leave a hole.
      if (request.offset() < 0 || request.offset() > writer_->offset()) {
        return absl::OutOfRangeError(absl::StrCat("write at offset ", request.offset(),
                                                  " of ref \"", ref_, "\", which holds ",
                                                  writer_->offset(), " bytes"));
      }
      BERTH_RETURN_IF_ERROR(writer_->Truncate(request.offset()));
    }
    if (request.data().empty()) return absl::OkStatus();
    return writer_->Write(request.data());
  }

  // Publishes the blob and puts it in the namespace (and the lease) under the GC lock, so
  // a collection cannot take it in between. A blob the namespace held already is
  // AlreadyExists, its ingest dropped.
  absl::StatusOr<Digest> Commit(const v1::WriteContentRequest& request) {
    std::optional<Digest> expected;
    if (!request.expected().empty()) {
      BERTH_ASSIGN_OR_RETURN(expected, ParseDigest(request.expected(), "expected"));
    }
    auto hold = root_.gc_lock().Shared();
    const bool held = root_.metadata().GetContent(ns_, writer_->digest()).ok();
    committed_size_ = writer_->offset();
    BERTH_ASSIGN_OR_RETURN(Digest digest,
                           writer_->Commit(request.total() > 0 ? request.total() : -1,
                                           expected ? &*expected : nullptr));
    BERTH_RETURN_IF_ERROR(root_.RecordBlob(ns_, lease_, digest));
    if (!lease_.empty()) {
      BERTH_RETURN_IF_ERROR(root_.metadata().DeleteLeaseResource(ns_, lease_, kLeaseIngests, ref_));
    }
    if (!request.labels().empty()) {
      Labels labels(request.labels().begin(), request.labels().end());
      std::vector<std::string> paths;
      for (const auto& [key, value] : labels) paths.push_back(absl::StrCat("labels.", key));
      BERTH_RETURN_IF_ERROR(
          root_.metadata().UpdateContentLabels(ns_, digest, labels, paths).status());
    }
    if (held) {
      return absl::AlreadyExistsError(absl::StrCat("content ", digest.str(), " already exists"));
    }
    return digest;
  }

  ImageRoot& root_;
  const std::string ns_, lease_, ref_;
  std::unique_ptr<ContentWriter> writer_;
  int64_t total_;
  absl::Time started_at_;
  int64_t committed_size_ = 0;
};

}  // namespace

grpc::Status ContentService::Info(grpc::ServerContext* context,
                                  const v1::ContentInfoRequest* request,
                                  v1::ContentInfoResponse* response) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(std::string ns, rpc::NamespaceOf(*context));
    BERTH_ASSIGN_OR_RETURN(Digest digest, ParseDigest(request->digest()));
    BERTH_ASSIGN_OR_RETURN(*response->mutable_info(), InfoIn(*root_, ns, digest));
    return absl::OkStatus();
  }());
}

grpc::Status ContentService::Update(grpc::ServerContext* context,
                                    const v1::UpdateContentRequest* request,
                                    v1::UpdateContentResponse* response) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(std::string ns, rpc::NamespaceOf(*context));
    BERTH_ASSIGN_OR_RETURN(Digest digest, ParseDigest(request->info().digest(), "info.digest"));
    std::vector<std::string> paths(request->update_mask().paths().begin(),
                                   request->update_mask().paths().end());
    for (const std::string& path : paths) {
      if (path != "labels" && !absl::StartsWith(path, "labels.")) {
        return absl::InvalidArgumentError(
            absl::StrCat("cannot update \"", path, "\": only labels of content are mutable"));
      }
    }
    Labels labels(request->info().labels().begin(), request->info().labels().end());
    BERTH_RETURN_IF_ERROR(
        root_->metadata().UpdateContentLabels(ns, digest, labels, paths).status());
    BERTH_ASSIGN_OR_RETURN(*response->mutable_info(), InfoIn(*root_, ns, digest));
    return absl::OkStatus();
  }());
}

grpc::Status ContentService::List(grpc::ServerContext* context,
                                  const v1::ListContentRequest* request,
                                  grpc::ServerWriter<v1::ListContentResponse>* writer) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(std::string ns, rpc::NamespaceOf(*context));
    BERTH_RETURN_IF_ERROR(CheckFilterKeys(request->filters(), {"digest", "label"}));
    BERTH_ASSIGN_OR_RETURN(std::vector<ContentRecord> records, root_->metadata().ListContent(ns));
    v1::ListContentResponse batch;
    for (const ContentRecord& record : records) {
      if (!MatchesContent(record, request->filters())) continue;
      absl::StatusOr<v1::ContentInfo> info = InfoIn(*root_, ns, record.digest);
      if (absl::IsNotFound(info.status())) continue;  // removed meanwhile
      BERTH_RETURN_IF_ERROR(info.status());
      *batch.add_info() = *std::move(info);
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

grpc::Status ContentService::Delete(grpc::ServerContext* context,
                                    const v1::DeleteContentRequest* request,
                                    google::protobuf::Empty*) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(std::string ns, rpc::NamespaceOf(*context));
    BERTH_ASSIGN_OR_RETURN(Digest digest, ParseDigest(request->digest()));
    // Exclusive: no write may record the blob between the check and the removal.
    auto hold = root_->gc_lock().Exclusive();
    BERTH_RETURN_IF_ERROR(root_->metadata().RemoveContent(ns, digest));
    BERTH_ASSIGN_OR_RETURN(std::vector<std::string> namespaces, root_->metadata().ListNamespaces());
    for (const std::string& other : namespaces) {
      if (root_->metadata().GetContent(other, digest).ok()) return absl::OkStatus();
    }
    absl::Status removed = root_->content().Delete(digest);
    return absl::IsNotFound(removed) ? absl::OkStatus() : removed;
  }());
}

grpc::Status ContentService::Read(grpc::ServerContext* context,
                                  const v1::ReadContentRequest* request,
                                  grpc::ServerWriter<v1::ReadContentResponse>* writer) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(std::string ns, rpc::NamespaceOf(*context));
    BERTH_ASSIGN_OR_RETURN(Digest digest, ParseDigest(request->digest()));
    BERTH_RETURN_IF_ERROR(root_->metadata().GetContent(ns, digest).status());
    BERTH_ASSIGN_OR_RETURN(UniqueFd blob, root_->content().OpenBlob(digest));
    struct stat st;
    if (::fstat(blob.get(), &st) != 0) return absl::InternalError("fstat of a blob failed");
    if (request->offset() < 0 || request->offset() > st.st_size || request->size() < 0) {
      return absl::OutOfRangeError(absl::StrCat("cannot read ", request->size(), " bytes at ",
                                                request->offset(), " of ", digest.str(),
                                                ", which has ", st.st_size));
    }
    const int64_t end = request->size() == 0
                            ? st.st_size
                            : std::min<int64_t>(st.st_size, request->offset() + request->size());
    v1::ReadContentResponse chunk;
    for (int64_t at = request->offset(); at < end;) {
      std::string* data = chunk.mutable_data();
      data->resize(static_cast<size_t>(std::min<int64_t>(kMaxChunk, end - at)));
      ssize_t got = ::pread(blob.get(), data->data(), data->size(), at);
      if (got <= 0) return absl::DataLossError(absl::StrCat("reading ", digest.str(), " failed"));
      data->resize(static_cast<size_t>(got));
      chunk.set_offset(at);
      if (!writer->Write(chunk)) return absl::CancelledError("client went away");
      at += got;
    }
    return absl::OkStatus();
  }());
}

grpc::Status ContentService::Status(grpc::ServerContext* context,
                                    const v1::ContentStatusRequest* request,
                                    v1::ContentStatusResponse* response) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(std::string ns, rpc::NamespaceOf(*context));
    BERTH_RETURN_IF_ERROR(RequireRef(request->ref()));
    BERTH_ASSIGN_OR_RETURN(IngestStatus status,
                           root_->content().Status(IngestRef(ns, request->ref())));
    IngestToProto(status, request->ref(), response->mutable_status());
    return absl::OkStatus();
  }());
}

grpc::Status ContentService::ListStatuses(grpc::ServerContext* context,
                                          const v1::ListContentStatusesRequest* request,
                                          v1::ListContentStatusesResponse* response) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(std::string ns, rpc::NamespaceOf(*context));
    BERTH_RETURN_IF_ERROR(CheckFilterKeys(request->filters(), {"ref"}));
    BERTH_ASSIGN_OR_RETURN(std::vector<IngestStatus> statuses, root_->content().Statuses());
    const std::string prefix = IngestRef(ns, "");
    for (const IngestStatus& status : statuses) {
      if (!absl::StartsWith(status.ref, prefix)) continue;
      absl::string_view ref = absl::string_view(status.ref).substr(prefix.size());
      if (MatchesRef(ref, request->filters())) IngestToProto(status, ref, response->add_statuses());
    }
    return absl::OkStatus();
  }());
}

grpc::Status ContentService::Write(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<v1::WriteContentResponse, v1::WriteContentRequest>* stream) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(std::string ns, rpc::NamespaceOf(*context));
    const std::string lease = rpc::LeaseOf(*context);
    v1::WriteContentRequest request;
    if (!stream->Read(&request)) return absl::InvalidArgumentError("the write stream was empty");
    if (request.ref().empty()) {
      return absl::InvalidArgumentError("ref is required on the first write message");
    }
    const std::string ref = request.ref();
    std::optional<Digest> expected;
    if (!request.expected().empty()) {
      BERTH_ASSIGN_OR_RETURN(expected, ParseDigest(request.expected(), "expected"));
    }
    // Held by the lease from the start (NotFound for an unknown lease, before any write).
    if (!lease.empty()) {
      BERTH_RETURN_IF_ERROR(root_->metadata().AddLeaseResource(ns, lease, kLeaseIngests, ref));
    }
    const int64_t total = request.total() > 0 ? request.total() : -1;
    absl::StatusOr<std::unique_ptr<ContentWriter>> writer =
        root_->content().Writer(IngestRef(ns, ref), total, expected ? &*expected : nullptr);
    if (absl::IsAlreadyExists(writer.status())) {
      // The bytes are here already: the caller, who knows their digest, gets them.
      auto hold = root_->gc_lock().Shared();
      BERTH_RETURN_IF_ERROR(root_->RecordBlob(ns, lease, *expected));
      return absl::AlreadyExistsError(absl::StrCat("content ", expected->str(), " already exists"));
    }
    BERTH_RETURN_IF_ERROR(writer.status());
    IngestSession session(*root_, ns, lease, ref, *std::move(writer), total);
    bool done = false;
    do {
      BERTH_ASSIGN_OR_RETURN(v1::WriteContentResponse response, session.Handle(request, done));
      if (!stream->Write(response)) return absl::CancelledError("client went away");
    } while (!done && stream->Read(&request));
    return absl::OkStatus();  // ended before COMMIT: the ingest stays for resuming
  }());
}

grpc::Status ContentService::Abort(grpc::ServerContext* context,
                                   const v1::AbortContentRequest* request,
                                   google::protobuf::Empty*) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(std::string ns, rpc::NamespaceOf(*context));
    BERTH_RETURN_IF_ERROR(RequireRef(request->ref()));
    return root_->content().Abort(IngestRef(ns, request->ref()));
  }());
}

}  // namespace berth::images
