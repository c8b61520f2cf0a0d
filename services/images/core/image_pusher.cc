#include "services/images/core/image_pusher.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "services/images/core/distribution_source.h"
#include "services/images/core/image_reference.h"
#include "services/images/core/resolved_image.h"

namespace berth::images {
namespace {

constexpr int64_t kProgressStep = 512 << 10;  // report uploads every 512 KiB
constexpr size_t kMaxMountCandidates = 3;     // repositories tried before uploading

std::string ShortId(const Digest& digest) { return std::string(digest.hex().substr(0, 12)); }

// Docker does not push foreign (non-distributable) layers: the registry points elsewhere.
bool IsForeignLayer(const Descriptor& blob) {
  return blob.media_type == media_type::kDockerForeignLayerTarGzip ||
         absl::StrContains(blob.media_type, "nondistributable");
}

// A manifest or index to store in the repository, as the exact local bytes.
struct ManifestUpload {
  Descriptor descriptor;
  std::string bytes;
};

// One blob to push; `shown` ones (layers) get progress lines, the config does not.
struct BlobUpload {
  Descriptor descriptor;
  bool shown = false;
};

// One push's shared state: the upload workers meet here.
class PushJob {
 public:
  PushJob(ImageRoot& root, const PushOptions& options, const PushProgressFn& progress,
          RegistryClient& client, ImageReference ref)
      : root_(root),
        options_(options),
        progress_(progress),
        client_(client),
        ref_(std::move(ref)) {}

  void Emit(const BlobUpload& blob, PushState state, int64_t current = 0, int64_t total = 0,
            std::string mounted_from = "") {
    if (!progress_ || !blob.shown) return;
    PushProgress update;
    update.id = ShortId(blob.descriptor.digest);
    update.digest = blob.descriptor.digest;
    update.state = state;
    update.current = current;
    update.total = total;
    update.mounted_from = std::move(mounted_from);
    std::lock_guard lock(progress_mu_);
    progress_(update);
  }

  // Pushes every blob, up to N at once: those the repository has are skipped, those
  // another repository of the registry has are mounted, the rest uploaded.
  absl::Status PushBlobs(const std::vector<BlobUpload>& blobs) {
    for (const BlobUpload& blob : blobs) Emit(blob, PushState::kPreparing);
    const size_t width =
        std::min<size_t>(std::max(1, options_.max_concurrent_uploads), blobs.size());
    for (size_t k = width; k < blobs.size(); ++k) Emit(blobs[k], PushState::kWaiting);

    std::vector<absl::Status> outcome(blobs.size());
    std::atomic<size_t> next{0};
    auto worker = [&] {
      for (size_t k; (k = next.fetch_add(1)) < blobs.size() && !failed_.load();) {
        outcome[k] = PushBlob(blobs[k]);
        if (!outcome[k].ok()) failed_ = true;
      }
    };
    std::vector<std::thread> workers;
    for (size_t w = 0; w < width; ++w) workers.emplace_back(worker);
    for (std::thread& t : workers) t.join();
    // The first failure, not the cancellations it caused in other workers.
    for (const absl::Status& status : outcome) {
      if (!status.ok() && status.code() != absl::StatusCode::kCancelled) return status;
    }
    for (const absl::Status& status : outcome) BERTH_RETURN_IF_ERROR(status);
    return absl::OkStatus();
  }

 private:
  absl::Status PushBlob(const BlobUpload& blob) {
    const Digest& digest = blob.descriptor.digest;
    BERTH_ASSIGN_OR_RETURN(bool exists, client_.BlobExists(ref_, digest));
    if (exists) {
      Emit(blob, PushState::kLayerExists);
      return absl::OkStatus();
    }
    for (const std::string& from : MountCandidates(digest)) {
      // A refused mount (no pull access there, the blob gone) falls back to an upload.
      absl::StatusOr<bool> mounted = client_.MountBlob(ref_, digest, from);
      if (mounted.ok() && *mounted) {
        Emit(blob, PushState::kMounted, 0, 0, from);
        return absl::OkStatus();
      }
    }
    return Upload(blob);
  }

  // Other repositories of the target registry that the blob was pulled from or pushed to.
  std::vector<std::string> MountCandidates(const Digest& digest) {
    absl::StatusOr<Labels> labels = root_.metadata().GetContentLabels(options_.ns, digest);
    if (!labels.ok()) return {};
    std::vector<std::string> candidates;
    for (std::string& repo : DistributionSources(*labels, ref_.domain)) {
      if (repo != ref_.path && candidates.size() < kMaxMountCandidates) {
        candidates.push_back(std::move(repo));
      }
    }
    return candidates;
  }

  // Streams the blob from the content store: one PUT up to kMonolithicPushLimit bytes,
  // chunks of kPushChunkBytes above it.
  absl::Status Upload(const BlobUpload& blob) {
    const Descriptor& descriptor = blob.descriptor;
    absl::StatusOr<UniqueFd> fd = root_.content().OpenBlob(descriptor.digest);
    if (fd.status().code() == absl::StatusCode::kNotFound) {
      return absl::FailedPreconditionError(absl::StrCat(
          "blob ", descriptor.digest.str(), " of the image is not in the content store, and ",
          ref_.Name(), " does not have it"));
    }
    BERTH_RETURN_IF_ERROR(fd.status());
    const int64_t size = descriptor.size;
    int64_t offset = 0;
    int64_t next_report = kProgressStep;
    Emit(blob, PushState::kPushing, 0, size);
    BodyReader reader = [&](char* buffer, size_t capacity) -> absl::StatusOr<size_t> {
      if (failed_.load()) return absl::CancelledError("push stopped");
      const size_t want = static_cast<size_t>(
          std::min<int64_t>(static_cast<int64_t>(capacity), std::max<int64_t>(size - offset, 0)));
      ssize_t n;
      do {
        n = ::pread(fd->get(), buffer, want, offset);
      } while (n < 0 && errno == EINTR);
      if (n < 0) {
        return absl::InternalError(
            absl::StrCat("reading blob ", descriptor.digest.str(), ": ", std::strerror(errno)));
      }
      offset += n;
      if (offset >= next_report && offset < size) {
        next_report = offset + kProgressStep;
        Emit(blob, PushState::kPushing, offset, size);
      }
      return static_cast<size_t>(n);
    };
    BERTH_RETURN_IF_ERROR(client_.UploadBlob(ref_, descriptor.digest, size, reader,
                                             size > kMonolithicPushLimit ? kPushChunkBytes : 0));
    Emit(blob, PushState::kPushed, size, size);
    return absl::OkStatus();
  }

  ImageRoot& root_;
  const PushOptions& options_;
  const PushProgressFn& progress_;
  RegistryClient& client_;
  const ImageReference ref_;
  std::mutex progress_mu_;
  std::atomic<bool> failed_{false};
};

absl::StatusOr<std::string> ReadLocalManifest(const ContentStore& content,
                                              const Descriptor& descriptor) {
  absl::StatusOr<std::string> bytes = content.ReadBlob(descriptor.digest, kMaxManifestBytes);
  if (bytes.status().code() == absl::StatusCode::kNotFound) {
    return absl::FailedPreconditionError(absl::StrCat("manifest ", descriptor.digest.str(),
                                                      " of the image is not in the content store"));
  }
  return bytes;
}

std::string MediaTypeOf(const Descriptor& descriptor, absl::string_view bytes) {
  if (!descriptor.media_type.empty()) return descriptor.media_type;
  return DetectManifestMediaType(bytes).value_or(std::string(media_type::kOciManifest));
}

std::string PlatformText(const std::optional<Platform>& platform) {
  if (!platform) return "unknown platform";
  std::string text = absl::StrCat(platform->os, "/", platform->architecture);
  if (!platform->variant.empty()) absl::StrAppend(&text, "/", platform->variant);
  return text;
}

}  // namespace

absl::string_view PushStateText(PushState state) {
  switch (state) {
    case PushState::kPreparing:
      return "Preparing";
    case PushState::kWaiting:
      return "Waiting";
    case PushState::kPushing:
      return "Pushing";
    case PushState::kPushed:
      return "Pushed";
    case PushState::kLayerExists:
      return "Layer already exists";
    case PushState::kMounted:
      return "Mounted from";
  }
  return "";
}

absl::StatusOr<PushResult> ImagePusher::Push(const PushOptions& options,
                                             const PushProgressFn& progress) {
  const std::string& default_domain = root_.options().default_domain;
  BERTH_ASSIGN_OR_RETURN(ImageReference ref,
                         ParseImageReference(options.reference, default_domain));
  if (!ref.digest.empty()) return absl::InvalidArgumentError("cannot push a digest reference");
  absl::StatusOr<ImageRecord> record = root_.metadata().GetImage(options.ns, ref.String());
  if (record.status().code() == absl::StatusCode::kNotFound) {
    ImageReference name = ref;
    name.tag.clear();
    return absl::NotFoundError(absl::StrCat("An image does not exist locally with the tag: ",
                                            name.FamiliarString(default_domain)));
  }
  BERTH_RETURN_IF_ERROR(record.status());

  ContentStore& content = root_.content();
  Descriptor top{.media_type = record->target.media_type,
                 .digest = record->target.digest,
                 .size = record->target.size};
  BERTH_ASSIGN_OR_RETURN(std::string top_bytes, ReadLocalManifest(content, top));
  top.media_type = MediaTypeOf(top, top_bytes);
  std::unique_ptr<RegistryClient> client = root_.NewRegistryClient(options.credentials);

  // The manifests whose blobs go up; all but the one under the tag go by digest first.
  std::vector<ManifestUpload> manifests;
  std::vector<ManifestUpload> by_digest;
  if (IsIndexMediaType(top.media_type)) {
    BERTH_ASSIGN_OR_RETURN(ImageIndex index, ParseIndex(top_bytes));
    if (options.platform) {
      BERTH_ASSIGN_OR_RETURN(Descriptor chosen, SelectManifest(index, *options.platform));
      BERTH_ASSIGN_OR_RETURN(std::string bytes, ReadLocalManifest(content, chosen));
      chosen.media_type = MediaTypeOf(chosen, bytes);
      top = chosen;
      top_bytes = bytes;
      manifests.push_back({chosen, std::move(bytes)});
    } else {
      for (const Descriptor& child : index.manifests) {
        absl::StatusOr<std::string> bytes = content.ReadBlob(child.digest, kMaxManifestBytes);
        if (bytes.ok() && IsManifestMediaType(MediaTypeOf(child, *bytes))) {
          manifests.push_back({child, *bytes});
          by_digest.push_back({child, std::move(*bytes)});
          continue;
        }
        if (bytes.ok()) {
          by_digest.push_back({child, std::move(*bytes)});  // a nested index: no blobs
          continue;
        }
        if (bytes.status().code() != absl::StatusCode::kNotFound) return bytes.status();
        // Not here: the repository must have it already, or the index would dangle.
        ImageReference child_ref = ref;
        child_ref.digest = child.digest;
        if (!client->Resolve(child_ref).ok()) {
          return absl::FailedPreconditionError(
              absl::StrCat("the image's manifest for ", PlatformText(child.platform), " (",
                           child.digest.str(), ") is not present locally, nor in ", ref.Name(),
                           "; push one platform with --platform"));
        }
      }
    }
  } else {
    manifests.push_back({top, top_bytes});
  }

  // Layers top first, as Docker lists them, then the config; each blob once.
  std::vector<BlobUpload> blobs;
  std::set<Digest> seen;
  auto add_blob = [&](const Descriptor& blob, bool shown) {
    if (IsForeignLayer(blob) || !seen.insert(blob.digest).second) return;
    blobs.push_back({blob, shown});
  };
  for (const ManifestUpload& upload : manifests) {
    BERTH_ASSIGN_OR_RETURN(ImageManifest manifest, ParseManifest(upload.bytes));
    for (auto it = manifest.layers.rbegin(); it != manifest.layers.rend(); ++it) {
      add_blob(*it, true);
    }
    add_blob(manifest.config, false);
  }

  PushJob job(root_, options, progress, *client, ref);
  BERTH_RETURN_IF_ERROR(job.PushBlobs(blobs));
  for (const ManifestUpload& upload : by_digest) {
    BERTH_RETURN_IF_ERROR(client
                              ->PutManifest(ref, upload.descriptor.digest.str(),
                                            MediaTypeOf(upload.descriptor, upload.bytes),
                                            upload.bytes)
                              .status());
  }
  BERTH_ASSIGN_OR_RETURN(Digest digest,
                         client->PutManifest(ref, ref.tag, top.media_type, top_bytes));

  // The repository now holds these blobs too: a later push elsewhere on the registry can
  // mount them from it. Only a hint, so a failure to record it does not fail the push.
  for (const BlobUpload& blob : blobs) {
    (void)AddDistributionSource(root_.metadata(), options.ns, blob.descriptor.digest, ref);
  }
  for (const ManifestUpload& upload : by_digest) {
    (void)AddDistributionSource(root_.metadata(), options.ns, upload.descriptor.digest, ref);
  }
  (void)AddDistributionSource(root_.metadata(), options.ns, digest, ref);

  PushResult result;
  result.reference = ref.String();
  result.digest = digest;
  result.size = static_cast<int64_t>(top_bytes.size());
  return result;
}

}  // namespace berth::images
