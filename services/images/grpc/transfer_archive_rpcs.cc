#include "services/images/grpc/transfer_archive_rpcs.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/rpc/namespace.h"
#include "common/rpc/status.h"
#include "common/status_macros.h"
#include "common/unique_fd.h"
#include "services/images/core/image_archive_import.h"
#include "services/images/core/image_archive_load.h"
#include "services/images/core/image_archive_save.h"

namespace berth::images {
namespace {

constexpr size_t kMaxChunk = 1 << 20;

// (read end, write end). A socket pair when `feed`: the feeder sends with MSG_NOSIGNAL,
// so a core that stops reading early costs an EPIPE, never a SIGPIPE.
absl::StatusOr<std::pair<UniqueFd, UniqueFd>> MakePipe(bool feed) {
  int fds[2];
  if (feed ? ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0
           : ::pipe2(fds, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe: ", std::strerror(errno)));
  }
  return std::make_pair(UniqueFd(fds[0]), UniqueFd(fds[1]));
}

bool SendAll(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;  // EPIPE: the core stopped reading
    done += static_cast<size_t>(n);
  }
  return true;
}

std::optional<Platform> FromProto(const types::v1::Platform& p) {
  if (p.os().empty() && p.architecture().empty()) return std::nullopt;
  Platform platform{.os = p.os(),
                    .architecture = p.architecture(),
                    .variant = p.variant(),
                    .os_version = p.os_version(),
                    .os_features = {p.os_features().begin(), p.os_features().end()}};
  return NormalizePlatform(std::move(platform));
}

void ToProto(const ImageRecord& record, v1::Image* image) {
  image->set_name(record.name);
  image->mutable_target()->set_media_type(record.target.media_type);
  image->mutable_target()->set_digest(record.target.digest.str());
  image->mutable_target()->set_size(record.target.size);
  image->mutable_labels()->insert(record.labels.begin(), record.labels.end());
  for (auto [time, out] : {std::pair{record.created, image->mutable_created_at()},
                           std::pair{record.updated, image->mutable_updated_at()}}) {
    const absl::Duration since = time - absl::UnixEpoch();
    out->set_seconds(absl::ToInt64Seconds(since));
    out->set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(since % absl::Seconds(1))));
  }
}

// Runs `consume(read_fd)` while a thread copies the request stream's chunks into the pipe.
// `first` is a chunk already read. Chunk errors (too big, options after data) win over
// what the core says about the cut-short archive they cause.
template <typename Request, typename Result>
absl::StatusOr<Result> FeedPipe(grpc::ServerReader<Request>* reader, std::string first,
                                const std::function<absl::StatusOr<Result>(int)>& consume) {
  BERTH_ASSIGN_OR_RETURN(auto ends, MakePipe(/*feed=*/true));
  absl::Status stream_error;
  std::thread feeder([&, write_end = std::move(ends.second)]() mutable {
    if (!SendAll(write_end.get(), first)) return;
    Request request;
    while (reader->Read(&request)) {
      if (!request.has_chunk()) {
        stream_error = absl::InvalidArgumentError("options must come before the first chunk");
        return;
      }
      if (request.chunk().size() > kMaxChunk) {
        stream_error = absl::InvalidArgumentError("a chunk is larger than 1 MiB");
        return;
      }
      if (!SendAll(write_end.get(), request.chunk())) return;
    }
  });
  absl::StatusOr<Result> result = consume(ends.first.get());
  ends.first.Reset();  // a feeder still writing gets EPIPE and stops
  feeder.join();
  if (!stream_error.ok()) return stream_error;
  return result;
}

}  // namespace

grpc::Status HandleLoad(ImageRoot& root, grpc::ServerContext* context,
                        grpc::ServerReader<v1::LoadImagesRequest>* reader,
                        v1::LoadImagesResponse* response) {
  absl::StatusOr<std::string> ns = rpc::NamespaceOf(*context);
  if (!ns.ok()) return rpc::ToGrpcStatus(ns.status());
  v1::LoadImagesRequest first;
  LoadOptions options;
  std::string first_chunk;
  if (reader->Read(&first)) {
    if (first.has_options()) options.platform = FromProto(first.options().platform());
    first_chunk = first.chunk();
  }
  auto loaded = FeedPipe<v1::LoadImagesRequest, std::vector<LoadedImage>>(
      reader, std::move(first_chunk), [&](int fd) { return LoadImages(root, *ns, fd, options); });
  if (!loaded.ok()) return rpc::ToGrpcStatus(loaded.status());
  for (const LoadedImage& image : *loaded) {
    v1::LoadedImage* out = response->add_images();
    out->set_reference(image.reference);
    out->set_image_id(image.image_id.str());
  }
  return grpc::Status::OK;
}

grpc::Status HandleSave(ImageRoot& root, grpc::ServerContext* context,
                        const v1::SaveImagesRequest* request,
                        grpc::ServerWriter<v1::SaveImagesResponse>* writer) {
  absl::StatusOr<std::string> ns = rpc::NamespaceOf(*context);
  if (!ns.ok()) return rpc::ToGrpcStatus(ns.status());
  SaveOptions options;
  options.format = request->format() == v1::ARCHIVE_FORMAT_OCI      ? SaveFormat::kOci
                   : request->format() == v1::ARCHIVE_FORMAT_DOCKER ? SaveFormat::kDocker
                                                                    : SaveFormat::kDockerAndOci;
  if (request->platforms_size() > 0) options.platform = FromProto(request->platforms(0));
  const std::vector<std::string> names(request->names().begin(), request->names().end());
  absl::StatusOr<std::pair<UniqueFd, UniqueFd>> ends = MakePipe(/*feed=*/false);
  if (!ends.ok()) return rpc::ToGrpcStatus(ends.status());

  absl::Status saved;
  std::thread saver([&, write_end = std::move(ends->second)]() mutable {
    saved = SaveImages(root, *ns, names, write_end.get(), options);
  });
  std::string buffer(kMaxChunk, '\0');
  v1::SaveImagesResponse chunk;
  bool client_gone = false;
  for (;;) {
    ssize_t n = ::read(ends->first.get(), buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (client_gone) continue;  // drained, not closed: the saver must not get SIGPIPE
    chunk.set_chunk(buffer.data(), static_cast<size_t>(n));
    client_gone = !writer->Write(chunk);
  }
  saver.join();
  if (client_gone) return grpc::Status(grpc::StatusCode::CANCELLED, "the client went away");
  return rpc::ToGrpcStatus(saved);
}

grpc::Status HandleImport(ImageRoot& root, grpc::ServerContext* context,
                          grpc::ServerReader<v1::ImportImageRequest>* reader,
                          v1::ImportImageResponse* response) {
  absl::StatusOr<std::string> ns = rpc::NamespaceOf(*context);
  if (!ns.ok()) return rpc::ToGrpcStatus(ns.status());
  v1::ImportImageRequest first;
  if (!reader->Read(&first) || !first.has_options()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "the first message of an import must carry its options");
  }
  const v1::ImportImageOptions& in = first.options();
  if (!in.source_url().empty()) {
    return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "importing from a URL is not supported");
  }
  ImportOptions options;
  options.reference = in.reference();
  options.changes.assign(in.changes().begin(), in.changes().end());
  options.message = in.message();
  options.platform = FromProto(in.platform());
  options.labels.insert(in.labels().begin(), in.labels().end());
  auto imported = FeedPipe<v1::ImportImageRequest, ImportedImage>(
      reader, "", [&](int fd) { return ImportRootfs(root, *ns, fd, options); });
  if (!imported.ok()) return rpc::ToGrpcStatus(imported.status());
  response->set_image_id(imported->image_id.str());
  if (imported->record.has_value()) ToProto(*imported->record, response->mutable_image());
  return grpc::Status::OK;
}

}  // namespace berth::images
