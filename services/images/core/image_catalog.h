// The images of one namespace as Docker shows them: records grouped by image ID (the
// config digest), names and IDs resolved as `docker` resolves them, summaries, inspect
// details, history, tagging and `docker rmi`.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/images/core/image_filters.h"
#include "services/images/core/image_reference.h"
#include "services/images/core/image_root.h"
#include "services/images/core/platform.h"
#include "services/images/core/resolved_image.h"

namespace berth::images {

// One row of `docker images`.
struct ImageSummary {
  Digest id;
  std::vector<std::string> repo_tags;         // familiar: "busybox:latest"
  std::vector<std::string> repo_digests;      // familiar: "busybox@sha256:…"
  absl::Time created = absl::InfinitePast();  // from the config; InfinitePast when absent
  int64_t size = 0;  // the unpacked layers' disk usage; compressed sizes when not unpacked
  Labels labels;     // the config's labels
  Descriptor target;
  Platform platform;
};

// What `docker image inspect` shows.
struct ImageDetails {
  Digest id;
  std::vector<std::string> repo_tags;
  std::vector<std::string> repo_digests;
  absl::Time created = absl::InfinitePast();
  std::string author;
  std::string comment;  // of the newest history entry
  Platform platform;
  ContainerConfig config;
  std::string rootfs_type;
  std::vector<Digest> layers;  // diff IDs, base first
  Descriptor target;
  Descriptor manifest;
  int64_t size = 0;  // the unpacked layers' disk usage; compressed sizes when not unpacked
  std::string snapshotter;
  bool unpacked = false;
};

// One line of `docker history`, newest first.
struct HistoryItem {
  std::string id;  // the image ID on the newest line, "<missing>" below it
  absl::Time created = absl::InfinitePast();
  std::string created_by;
  std::vector<std::string> tags;  // the image's tags, on the newest line
  int64_t size = 0;               // this step's layer: unpacked disk usage, or compressed size
  std::string comment;
  bool empty_layer = false;
};

// One line of `docker rmi` output; exactly one field is set.
struct DeletedItem {
  std::string untagged;  // a familiar reference
  std::string deleted;   // an image ID
};

// What `docker image prune` removed: its lines and the bytes garbage collection freed.
struct PruneResult {
  std::vector<DeletedItem> items;
  int64_t reclaimed_bytes = 0;
};

// "sha256:<hex>" → "<first 12 hex>".
std::string ShortImageId(const Digest& id);

// The label the runtime puts on a container's rootfs snapshot: the container's ID.
inline constexpr char kContainerLabel[] = "berth.io/container";

class ImageCatalog {
 public:
  // Images are resolved for `platform` (index entries of other platforms are ignored).
  ImageCatalog(ImageRoot& root, std::string ns, Platform platform = HostPlatform());

  // The record a name resolves to: a reference's own record, or for an ID the image's
  // first record. NotFound "No such image: <name>".
  absl::StatusOr<ImageRecord> Get(absl::string_view name);
  // The image a name resolves to, followed to its manifest, config and chain IDs.
  absl::StatusOr<ResolvedImage> Resolve(absl::string_view name);
  // One summary per image ID, newest first. `all` would add intermediate images; berth
  // records none (no parent chain), so every image is listed either way.
  absl::StatusOr<std::vector<ImageSummary>> List(const ImageFilters& filters);
  absl::StatusOr<ImageDetails> Inspect(absl::string_view name);
  absl::StatusOr<std::vector<HistoryItem>> History(absl::string_view name);
  // Points the reference `target` (normalised, tag "latest" by default) at the image
  // `source` names, replacing what it named before.
  absl::StatusOr<ImageRecord> Tag(absl::string_view source, absl::string_view target);
  // `docker rmi`: a reference that is not the image's last is untagged; the last one, or
  // an ID, deletes the image, after which unreferenced content and snapshots are
  // collected. Without `force` that is refused while a container's snapshot (labelled
  // kContainerLabel by the runtime) sits on the image. An ID whose image has references in several
  // repositories (or several tags) is FailedPrecondition unless `force`, which untags them all.
  absl::StatusOr<std::vector<DeletedItem>> Delete(absl::string_view name, bool force);
  // `docker image prune` (image_prune.cc): deletes every dangling (untagged) image, or with
  // `filters.dangling == false` every unused one (no container uses images yet, so all),
  // narrowed by `filters.labels` / `not_labels`; then collects garbage once. Other keys
  // are InvalidArgument.
  absl::StatusOr<PruneResult> Prune(const ImageFilters& filters);

 private:
  // One image ID and the records naming it.
  struct Entry {
    ResolvedImage resolved;
    std::vector<ImageRecord> records;  // sorted by name
    absl::Time created = absl::InfinitePast();
  };
  // What a name resolved to. `entry` is null for a record whose image cannot be resolved
  // (its blobs are missing); `record` is null when the name was an ID or a digest.
  struct Match {
    const Entry* entry = nullptr;
    const ImageRecord* record = nullptr;
  };
  // The ID of a container whose rootfs snapshot sits on `image`; "" when none does.
  absl::StatusOr<std::string> ContainerUsing(const ResolvedImage& image);
  struct Snapshot {
    std::vector<Entry> entries;
    std::vector<ImageRecord> unresolved;
  };

  absl::StatusOr<Snapshot> Load();
  absl::StatusOr<Match> Find(const Snapshot& images, absl::string_view name) const;
  absl::StatusOr<Match> FindResolved(const Snapshot& images, absl::string_view name);
  absl::StatusOr<ImageReference> Parse(absl::string_view name) const;
  // Per layer, base first: unpacked sizes when the top snapshot exists, else compressed.
  std::vector<int64_t> LayerSizes(const ResolvedImage& image, bool* unpacked);
  void AddNames(const Entry& entry, std::vector<std::string>* tags,
                std::vector<std::string>* digests, const std::vector<std::string>& patterns);
  absl::StatusOr<std::vector<DeletedItem>> DeleteUnresolved(const ImageRecord& record);
  absl::Status CollectGarbage();

  ImageRoot& root_;
  std::string ns_;
  Platform platform_;
};

}  // namespace berth::images
