#include "services/runtime/grpc/container_rootfs_service.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/rpc/namespace.h"
#include "common/rpc/status.h"
#include "common/status_macros.h"
#include "common/unique_fd.h"
#include "services/runtime/supervisor/container_commit.h"
#include "services/runtime/supervisor/container_export.h"

namespace berth::runtime {
namespace {

constexpr size_t kMaxChunk = 1 << 20;

absl::Status Require(const std::string& value, absl::string_view field) {
  if (!value.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(field, " is required"));
}

}  // namespace

grpc::Status ContainerRootfsService::Commit(grpc::ServerContext* context,
                                            const v1::CommitContainerRequest* request,
                                            v1::CommitContainerResponse* response) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_RETURN_IF_ERROR(Require(request->id(), "id"));
    BERTH_ASSIGN_OR_RETURN(std::string ns, rpc::NamespaceOf(*context));
    ContainerCommitOptions options;
    options.container = request->id();
    options.reference = request->reference();
    options.author = request->author();
    options.comment = request->comment();
    options.changes.assign(request->changes().begin(), request->changes().end());
    options.pause = !request->has_pause() || request->pause();
    BERTH_ASSIGN_OR_RETURN(std::string id,
                           CommitContainer(*supervisor_, *store_, *committer_, ns, options));
    response->set_image_id(id);
    return absl::OkStatus();
  }());
}

grpc::Status ContainerRootfsService::Export(
    grpc::ServerContext* context, const v1::ExportContainerRequest* request,
    grpc::ServerWriter<v1::ExportContainerResponse>* writer) {
  absl::StatusOr<ContainerRecord> record = [&]() -> absl::StatusOr<ContainerRecord> {
    BERTH_RETURN_IF_ERROR(Require(request->id(), "id"));
    BERTH_ASSIGN_OR_RETURN(std::string ns, rpc::NamespaceOf(*context));
    return store_->Resolve(ns, request->id());
  }();
  if (!record.ok()) return rpc::ToGrpcStatus(record.status());
  absl::StatusOr<std::string> ns = rpc::NamespaceOf(*context);
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return rpc::ToGrpcStatus(absl::ErrnoToStatus(errno, "pipe"));
  }
  UniqueFd read_end(fds[0]);
  // The tar streams through a pipe: written by the exporter, sent here chunk by chunk.
  absl::Status exported;
  std::thread exporter([&, write_end = UniqueFd(fds[1])]() mutable {
    exported = ExportContainer(*images_, *ns, *record, export_dir_, write_end.get());
  });
  std::string buffer(kMaxChunk, '\0');
  v1::ExportContainerResponse chunk;
  bool client_gone = false;
  for (;;) {
    ssize_t n = ::read(read_end.get(), buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (client_gone) continue;  // drained, not closed: the exporter must finish and unmount
    chunk.set_chunk(buffer.data(), static_cast<size_t>(n));
    client_gone = !writer->Write(chunk);
  }
  exporter.join();
  if (client_gone) return grpc::Status(grpc::StatusCode::CANCELLED, "the client went away");
  return rpc::ToGrpcStatus(exported);
}

}  // namespace berth::runtime
