#include "services/images/core/image_commit.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <functional>
#include <memory>
#include <set>
#include <thread>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/random_hex.h"
#include "common/status_macros.h"
#include "common/unique_fd.h"
#include "services/images/core/gc.h"
#include "services/images/core/image_archive_load.h"
#include "services/images/core/image_archive_record.h"
#include "services/images/core/image_catalog.h"
#include "services/images/core/image_config_changes.h"
#include "services/images/core/image_reference.h"
#include "services/images/core/image_root.h"
#include "services/images/core/layer_diff.h"

namespace berth::images {
namespace {

constexpr size_t kChunk = 1 << 20;

// The media types of the new blobs: the parent manifest's kind, so a Docker image stays one.
struct BlobTypes {
  absl::string_view manifest, config, layer;
};

BlobTypes TypesLike(const ImageManifest& parent) {
  if (parent.media_type == media_type::kDockerManifest) {
    return {media_type::kDockerManifest, media_type::kDockerConfig,
            media_type::kDockerLayerTarGzip};
  }
  return {media_type::kOciManifest, media_type::kOciConfig, media_type::kOciLayerTarGzip};
}

absl::StatusOr<UniqueFd> OpenDir(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return absl::ErrnoToStatus(errno, absl::StrCat("opening ", path));
  return fd;
}

// The snapshot's changes as a gzip tar in `out_fd`. overlayfs keeps them in the upper dir;
// native keeps a full tree, compared with a view of the parent snapshot.
absl::StatusOr<LayerApplyResult> WriteSnapshotDiff(ImageRoot& root, const std::string& ns,
                                                   const std::string& key,
                                                   const std::string& parent_snapshot,
                                                   const std::set<std::string>& mount_points,
                                                   int out_fd) {
  NamespacedSnapshotter snapshots = root.SnapshotsOf(ns);
  BERTH_ASSIGN_OR_RETURN(SnapshotInfo info, snapshots.Stat(key));
  if (info.kind != SnapshotKind::kActive) {
    return absl::FailedPreconditionError(absl::StrCat("snapshot ", key, " is not active"));
  }
  if (info.parent != parent_snapshot) {
    return absl::FailedPreconditionError(
        absl::StrCat("snapshot ", key, " was not prepared from the given parent image"));
  }
  BERTH_ASSIGN_OR_RETURN(std::vector<Mount> mounts, snapshots.Mounts(key));
  BERTH_ASSIGN_OR_RETURN(std::string changed_dir, WritableDir(mounts));
  BERTH_ASSIGN_OR_RETURN(UniqueFd changed, OpenDir(changed_dir));
  if (root.snapshotter().name() == "overlayfs") {
    return WriteOverlayDiff(changed.get(), out_fd, /*gzip=*/true, mount_points);
  }
  const std::string view_key = absl::StrCat("commit-view-", RandomHex(8));
  // A GC root until removed, as every snapshot a caller holds.
  const Labels view_labels = {
      {kGcRootLabel, absl::FormatTime(absl::RFC3339_full, absl::Now(), absl::UTCTimeZone())}};
  BERTH_ASSIGN_OR_RETURN(std::vector<Mount> view,
                         snapshots.View(view_key, parent_snapshot, view_labels));
  absl::Cleanup remove_view = [&] { (void)snapshots.Remove(view_key); };
  if (view.size() != 1 || view.front().type != "bind") {
    return absl::InternalError("the parent's view is not one bind mount");
  }
  BERTH_ASSIGN_OR_RETURN(UniqueFd lower, OpenDir(view.front().source));
  return WriteDirectoryDiff(lower.get(), changed.get(), out_fd, /*gzip=*/true, mount_points);
}

struct StoredLayer {
  Descriptor blob;
  LayerApplyResult diff;
};

// Streams what `write_layer` writes through a pipe into the content store, so the layer
// is written once and never held whole. After a failed store write the pipe is still
// drained: the tar writer must finish, not block.
absl::StatusOr<StoredLayer> StoreLayer(
    ImageRoot& root, const std::string& ns, const std::string& lease, absl::string_view type,
    const std::function<absl::StatusOr<LayerApplyResult>(int)>& write_layer) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return absl::ErrnoToStatus(errno, "pipe");
  UniqueFd read_end(fds[0]);
  absl::StatusOr<LayerApplyResult> diff = absl::UnknownError("the layer was not written");
  std::thread layer_writer(
      [&, write_end = UniqueFd(fds[1])]() mutable { diff = write_layer(write_end.get()); });
  const std::string ref = absl::StrCat("commit-", lease);
  absl::StatusOr<std::unique_ptr<ContentWriter>> writer = root.content().Writer(ref);
  absl::Status copied = writer.status();
  std::string buffer(kChunk, '\0');
  for (;;) {
    ssize_t n = ::read(read_end.get(), buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (copied.ok()) copied = (*writer)->Write(absl::string_view(buffer.data(), n));
  }
  layer_writer.join();
  if (!diff.ok() || !copied.ok()) {
    if (writer.ok()) {
      writer->reset();
      (void)root.content().Abort(ref);
    }
    return !diff.ok() ? diff.status() : copied;
  }
  StoredLayer layer{.blob = {.media_type = std::string(type),
                             .digest = (*writer)->digest(),
                             .size = (*writer)->offset()},
                    .diff = *diff};
  auto hold = root.gc_lock().Shared();
  BERTH_RETURN_IF_ERROR((*writer)->Commit(-1, &layer.blob.digest).status());
  BERTH_RETURN_IF_ERROR(root.RecordBlob(ns, lease, layer.blob.digest));
  return layer;
}

// Stores `bytes` and returns its descriptor of type `type`.
absl::StatusOr<Descriptor> StoreBlob(ImageRoot& root, const std::string& ns,
                                     const std::string& lease, const std::string& bytes,
                                     absl::string_view type) {
  BERTH_ASSIGN_OR_RETURN(Digest digest, root.WriteBlob(ns, lease, bytes));
  return Descriptor{.media_type = std::string(type),
                    .digest = std::move(digest),
                    .size = static_cast<int64_t>(bytes.size())};
}

}  // namespace

ImageConfig ChildImageConfig(const ImageConfig& parent, const CommitOptions& options,
                             const ContainerConfig& config, const Digest& diff_id,
                             absl::Time created) {
  ImageConfig child = parent;
  child.created = absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", created, absl::UTCTimeZone());
  child.author = options.author;
  child.container = options.container_id;
  child.config = config;
  child.diff_ids.push_back(diff_id);
  HistoryEntry step;
  step.created = child.created;
  step.created_by = absl::StrJoin(options.config.cmd, " ");  // what Docker records
  step.author = options.author;
  step.comment = options.comment;
  child.history.push_back(std::move(step));
  return child;
}

absl::StatusOr<Digest> CommitSnapshot(ImageRoot& root, const std::string& ns,
                                      const CommitOptions& options) {
  ContainerConfig config = options.config;
  BERTH_RETURN_IF_ERROR(ApplyChanges(options.changes, &config));
  std::string name;
  if (!options.reference.empty()) {
    BERTH_ASSIGN_OR_RETURN(ImageReference ref, ParseImageReference(options.reference));
    if (!ref.digest.empty()) {
      return absl::InvalidArgumentError("a committed image is tagged, not named by digest");
    }
    name = ref.String();
  }
  ImageCatalog catalog(root, ns);
  BERTH_ASSIGN_OR_RETURN(ResolvedImage parent, catalog.Resolve(options.parent));
  if (parent.chain_ids.empty()) {
    return absl::FailedPreconditionError(absl::StrCat("image ", options.parent, " has no layers"));
  }
  const BlobTypes types = TypesLike(parent.manifest);
  std::set<std::string> mount_points;  // as the layer names them, without the leading "/"
  for (const std::string& path : options.mount_points) {
    mount_points.insert(std::string(absl::StripPrefix(path, "/")));
  }
  BERTH_ASSIGN_OR_RETURN(std::string lease, CreateTransferLease(root, ns, "commit"));
  absl::Cleanup end_lease = [&] { (void)root.metadata().DeleteLease(ns, lease); };

  BERTH_ASSIGN_OR_RETURN(StoredLayer layer, StoreLayer(root, ns, lease, types.layer, [&](int fd) {
                           return WriteSnapshotDiff(root, ns, options.snapshot_key,
                                                    parent.top_chain_id().str(), mount_points, fd);
                         }));

  ArchiveImage image;
  image.config = ChildImageConfig(parent.config, options, config, layer.diff.diff_id, absl::Now());
  BERTH_ASSIGN_OR_RETURN(
      image.manifest.config,
      StoreBlob(root, ns, lease, SerializeImageConfig(image.config), types.config));
  image.manifest.media_type = std::string(types.manifest);
  image.manifest.layers = parent.manifest.layers;
  image.manifest.layers.push_back(layer.blob);
  BERTH_ASSIGN_OR_RETURN(
      image.target, StoreBlob(root, ns, lease, SerializeManifest(image.manifest), types.manifest));
  image.manifest_descriptor = image.target;
  BERTH_RETURN_IF_ERROR(UnpackImage(root, ns, lease, image));

  const std::vector<std::string> names = {
      name.empty() ? absl::StrCat(kDanglingImagePrefix, image.target.digest.str()) : name};
  BERTH_RETURN_IF_ERROR(NameImage(root, ns, names, image.target).status());
  return image.manifest.config.digest;
}

}  // namespace berth::images
