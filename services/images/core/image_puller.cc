#include "services/images/core/image_puller.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "services/images/core/distribution_source.h"
#include "services/images/core/image_reference.h"
#include "services/images/core/layer_unpacker.h"
#include "services/images/core/resolved_image.h"

namespace berth::images {
namespace {

constexpr absl::Duration kPullLeaseLifetime = absl::Hours(24);
constexpr int64_t kProgressStep = 512 << 10;  // report downloads every 512 KiB

std::string ShortId(const Digest& digest) { return std::string(digest.hex().substr(0, 12)); }

// One pull's shared state: the download workers and the unpacking thread meet here.
class PullJob {
 public:
  PullJob(ImageRoot& root, const PullOptions& options, const PullProgressFn& progress,
          RegistryClient& client, ImageReference ref, std::string lease)
      : root_(root),
        options_(options),
        progress_(progress),
        client_(client),
        ref_(std::move(ref)),
        lease_(std::move(lease)) {}

  void Emit(const Digest& layer, LayerState state, int64_t current = 0, int64_t total = 0) {
    if (!progress_) return;
    PullProgress update;
    update.id = ShortId(layer);
    update.digest = layer;
    update.state = state;
    update.current = current;
    update.total = total;
    std::lock_guard lock(progress_mu_);
    progress_(update);
  }

  // A manifest or index: fetched, checked, stored in the namespace under the lease.
  absl::StatusOr<std::string> FetchManifest(const Descriptor& descriptor) {
    BERTH_ASSIGN_OR_RETURN(std::string bytes, client_.FetchManifest(ref_, descriptor));
    BERTH_RETURN_IF_ERROR(root_.WriteBlob(options_.ns, lease_, bytes, &descriptor.digest).status());
    return bytes;
  }

  // The config: small, so it is read whole (from the store when present).
  absl::StatusOr<std::string> FetchConfig(const Descriptor& descriptor) {
    if (descriptor.size > kMaxConfigBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("image config is ", descriptor.size, " bytes, more than berth accepts"));
    }
    if (auto stored = root_.content().ReadBlob(descriptor.digest, kMaxConfigBytes); stored.ok()) {
      BERTH_RETURN_IF_ERROR(
          root_.WriteBlob(options_.ns, lease_, *stored, &descriptor.digest).status());
      return stored;
    }
    std::string bytes;
    BERTH_RETURN_IF_ERROR(client_
                              .FetchBlob(ref_, descriptor, 0,
                                         [&](absl::string_view data) {
                                           bytes.append(data.data(), data.size());
                                           return absl::OkStatus();
                                         })
                              .status());
    BERTH_RETURN_IF_ERROR(root_.WriteBlob(options_.ns, lease_, bytes, &descriptor.digest).status());
    return bytes;
  }

  // Downloads one layer blob into the content store, resuming an earlier partial write.
  absl::Status DownloadLayer(const Descriptor& layer) {
    const Digest& id = layer.digest;
    auto writer = root_.content().Writer(absl::StrCat("pull-", layer.digest.str()), layer.size,
                                         &layer.digest);
    if (writer.status().code() == absl::StatusCode::kAlreadyExists) {
      auto hold = root_.gc_lock().Shared();
      BERTH_RETURN_IF_ERROR(root_.RecordBlob(options_.ns, lease_, layer.digest));
      Emit(id, LayerState::kDownloadComplete);
      return absl::OkStatus();
    }
    BERTH_RETURN_IF_ERROR(writer.status());
    ContentWriter& out = **writer;
    int64_t next_report = 0;
    auto sink = [&](absl::string_view data) -> absl::Status {
      if (failed_.load()) return absl::CancelledError("pull stopped");
      BERTH_RETURN_IF_ERROR(out.Write(data));
      if (root_.events().fetched) root_.events().fetched(static_cast<int64_t>(data.size()));
      return absl::OkStatus();
    };
    auto report = [&](int64_t done) {
      if (done < next_report && done != layer.size) return;
      next_report = done + kProgressStep;
      Emit(id, LayerState::kDownloading, done, layer.size);
    };
    Emit(id, LayerState::kDownloading, out.offset(), layer.size);
    // The content writer hashes every byte and Commit checks the digest: the client need not.
    BERTH_ASSIGN_OR_RETURN(FetchBlobResult fetched,
                           client_.FetchBlob(ref_, layer, out.offset(), sink, report, false));
    if (fetched.range_ignored) {
      BERTH_RETURN_IF_ERROR(out.Truncate(0));
      BERTH_RETURN_IF_ERROR(client_.FetchBlob(ref_, layer, 0, sink, report, false).status());
    }
    Emit(id, LayerState::kVerifying);
    {
      auto hold = root_.gc_lock().Shared();
      absl::Status committed = out.Commit(layer.size, &layer.digest).status();
      if (committed.code() == absl::StatusCode::kFailedPrecondition) {
        // The registry sent other bytes than the digest names; the ingest is gone.
        return absl::DataLossError(absl::StrCat("blob ", layer.digest.str(), " from ", ref_.domain,
                                                ": ", committed.message()));
      }
      BERTH_RETURN_IF_ERROR(committed);
      BERTH_RETURN_IF_ERROR(root_.RecordBlob(options_.ns, lease_, layer.digest));
    }
    Emit(id, LayerState::kDownloadComplete);
    return absl::OkStatus();
  }

  // Downloads the layers that are not unpacked yet (up to N at once) while this thread
  // unpacks them in order, each as soon as its blob and its parent are ready.
  absl::Status FetchAndUnpack(const ResolvedImage& image) {
    const std::vector<Descriptor>& layers = image.manifest.layers;
    const size_t n = layers.size();
    NamespacedSnapshotter snapshots = root_.SnapshotsOf(options_.ns);
    std::vector<bool> present(n, false);
    for (size_t i = 0; i < n; ++i) {
      auto info = snapshots.Stat(image.chain_ids[i].str());
      present[i] = !options_.skip_unpack && info.ok() && info->kind == SnapshotKind::kCommitted;
    }
    // A layer under an unpacked one needs nothing: its chain is there too.
    for (size_t i = n; i-- > 1;) {
      if (present[i]) present[i - 1] = true;
    }
    std::vector<size_t> to_download;
    for (size_t i = 0; i < n; ++i) {
      Emit(layers[i].digest, present[i] ? LayerState::kAlreadyExists : LayerState::kPullingFsLayer);
      if (!present[i]) to_download.push_back(i);
    }
    for (size_t k = static_cast<size_t>(options_.max_concurrent_downloads); k < to_download.size();
         ++k) {
      Emit(layers[to_download[k]].digest, LayerState::kWaiting);
    }

    std::mutex mu;
    std::condition_variable changed;
    std::vector<absl::Status> outcome(n);
    std::vector<bool> done(n, false);
    std::atomic<size_t> next{0};
    LayerUnpacker unpacker(root_.content(), snapshots);
    const bool staging = !options_.skip_unpack && unpacker.CanStage();
    const std::string snapshot_kind = absl::StrCat("snapshots/", root_.snapshotter().name());
    std::vector<std::string> stage_keys(n);
    std::vector<int64_t> sizes(n, 0);
    absl::Cleanup drop_stages = [&] {
      for (const std::string& key : stage_keys) {
        if (!key.empty()) (void)snapshots.Remove(key);  // left by a failure; no-op otherwise
      }
    };
    auto worker = [&] {
      for (size_t k; (k = next.fetch_add(1)) < to_download.size() && !failed_.load();) {
        const size_t i = to_download[k];
        absl::Status status = DownloadLayer(layers[i]);
        if (status.ok() && staging) {
          // overlayfs: apply now, in parallel with the other layers; adopted in order below.
          static std::atomic<uint64_t> stages{0};
          stage_keys[i] = absl::StrCat("stage-", ::getpid(), "-", stages.fetch_add(1), "-",
                                       layers[i].digest.hex());
          Emit(layers[i].digest, LayerState::kExtracting, 0, layers[i].size);
          // Held from before the stage exists until its lease resource is written.
          auto hold = root_.gc_lock().Shared();
          status =
              root_.metadata().AddLeaseResource(options_.ns, lease_, snapshot_kind, stage_keys[i]);
          if (status.ok()) {
            absl::StatusOr<int64_t> size =
                unpacker.Stage(stage_keys[i], layers[i].digest, image.config.diff_ids[i]);
            status = size.status();
            if (size.ok()) sizes[i] = *size;
          }
        }
        if (!status.ok()) failed_ = true;
        std::lock_guard lock(mu);
        outcome[i] = status;
        done[i] = true;
        changed.notify_all();
      }
    };
    std::vector<std::thread> workers;
    const size_t width =
        std::min<size_t>(std::max(1, options_.max_concurrent_downloads), to_download.size());
    for (size_t w = 0; w < width; ++w) workers.emplace_back(worker);
    absl::Cleanup join = [&] {
      for (std::thread& t : workers) t.join();
    };

    for (size_t i = 0; i < n; ++i) {
      if (present[i]) continue;
      {
        std::unique_lock lock(mu);
        changed.wait(lock, [&] { return done[i] || failed_.load(); });
        if (!done[i]) break;  // another layer failed first; its status is reported below
        if (!outcome[i].ok()) return outcome[i];
      }
      if (options_.skip_unpack) continue;
      const Digest& id = layers[i].digest;
      const Digest parent = i == 0 ? Digest() : image.chain_ids[i - 1];
      if (!staging) Emit(id, LayerState::kExtracting, 0, layers[i].size);
      auto hold = root_.gc_lock().Shared();
      absl::StatusOr<UnpackedLayer> unpacked =
          staging ? unpacker.Adopt(stage_keys[i], parent, image.config.diff_ids[i], sizes[i])
                  : unpacker.Unpack(parent, layers[i].digest, image.config.diff_ids[i]);
      if (unpacked.ok()) {
        unpacked_.push_back(unpacked->chain_id);
        absl::Status held = root_.metadata().AddLeaseResource(options_.ns, lease_, snapshot_kind,
                                                              unpacked->chain_id.str());
        if (!held.ok()) unpacked = held;
      }
      if (!unpacked.ok()) {
        failed_ = true;
        return unpacked.status();
      }
      Emit(id, LayerState::kPullComplete, layers[i].size, layers[i].size);
    }
    std::move(join).Invoke();
    for (const absl::Status& status : outcome) BERTH_RETURN_IF_ERROR(status);
    return absl::OkStatus();
  }

 private:
  ImageRoot& root_;
  const PullOptions& options_;
  const PullProgressFn& progress_;
  RegistryClient& client_;
  const ImageReference ref_;
  const std::string lease_;
  std::mutex progress_mu_;
  std::atomic<bool> failed_{false};
  std::vector<Digest> unpacked_;
};

// containerd's GC labels: index → manifest → config and layers → top snapshot.
absl::Status LabelForGc(ImageRoot& root, const std::string& ns, const ResolvedImage& image) {
  MetadataStore& metadata = root.metadata();
  if (image.target.digest != image.manifest_descriptor.digest) {
    BERTH_RETURN_IF_ERROR(
        metadata
            .UpdateContentLabels(ns, image.target.digest,
                                 {{absl::StrCat(kGcRefContentLabel, ".m.0"),
                                   image.manifest_descriptor.digest.str()}},
                                 {absl::StrCat("labels.", kGcRefContentLabel, ".m.0")})
            .status());
  }
  Labels manifest_labels{{absl::StrCat(kGcRefContentLabel, ".config"), image.id().str()}};
  std::vector<std::string> paths{absl::StrCat("labels.", kGcRefContentLabel, ".config")};
  for (size_t i = 0; i < image.manifest.layers.size(); ++i) {
    std::string key = absl::StrCat(kGcRefContentLabel, ".l.", i);
    manifest_labels[key] = image.manifest.layers[i].digest.str();
    paths.push_back(absl::StrCat("labels.", key));
  }
  BERTH_RETURN_IF_ERROR(
      metadata.UpdateContentLabels(ns, image.manifest_descriptor.digest, manifest_labels, paths)
          .status());
  std::string snapshot_key = absl::StrCat(kGcRefSnapshotLabelPrefix, root.snapshotter().name());
  return metadata
      .UpdateContentLabels(ns, image.id(), {{snapshot_key, image.top_chain_id().str()}},
                           {absl::StrCat("labels.", snapshot_key)})
      .status();
}

// Where the image's blobs came from, so a later push to the same registry can mount them.
absl::Status LabelSources(ImageRoot& root, const std::string& ns, const ResolvedImage& image,
                          const ImageReference& ref) {
  std::vector<Digest> blobs = {image.target.digest, image.manifest_descriptor.digest, image.id()};
  for (const Descriptor& layer : image.manifest.layers) blobs.push_back(layer.digest);
  for (const Digest& blob : blobs) {
    BERTH_RETURN_IF_ERROR(AddDistributionSource(root.metadata(), ns, blob, ref));
  }
  return absl::OkStatus();
}

}  // namespace

absl::string_view LayerStateText(LayerState state) {
  switch (state) {
    case LayerState::kPullingFsLayer:
      return "Pulling fs layer";
    case LayerState::kWaiting:
      return "Waiting";
    case LayerState::kDownloading:
      return "Downloading";
    case LayerState::kVerifying:
      return "Verifying Checksum";
    case LayerState::kDownloadComplete:
      return "Download complete";
    case LayerState::kExtracting:
      return "Extracting";
    case LayerState::kPullComplete:
      return "Pull complete";
    case LayerState::kAlreadyExists:
      return "Already exists";
  }
  return "";
}

absl::StatusOr<PullResult> ImagePuller::Pull(const PullOptions& options,
                                             const PullProgressFn& progress) {
  const absl::Time start = absl::Now();
  absl::StatusOr<PullResult> result = PullOnce(options, progress);
  if (root_.events().pulled) root_.events().pulled(result.ok(), absl::Now() - start);
  return result;
}

absl::StatusOr<PullResult> ImagePuller::PullOnce(const PullOptions& options,
                                                 const PullProgressFn& progress) {
  BERTH_ASSIGN_OR_RETURN(ImageReference ref,
                         ParseImageReference(options.reference, root_.options().default_domain));
  const Platform platform = options.platform.value_or(HostPlatform());
  std::unique_ptr<RegistryClient> client = root_.NewRegistryClient(options.credentials);
  BERTH_ASSIGN_OR_RETURN(Descriptor target, client->Resolve(ref));

  PullResult result;
  result.name = ref.String();
  result.familiar_name = ref.FamiliarString(root_.options().default_domain);
  result.digest = target.digest;

  BERTH_ASSIGN_OR_RETURN(LeaseRecord lease, root_.metadata().CreateLease(
                                                options.ns, "", {{"berth.io/pull", result.name}},
                                                absl::Now() + kPullLeaseLifetime));
  absl::Cleanup drop_lease = [&] { (void)root_.metadata().DeleteLease(options.ns, lease.id); };
  PullJob job(root_, options, progress, *client, ref, lease.id);

  BERTH_ASSIGN_OR_RETURN(std::string top, job.FetchManifest(target));
  Descriptor manifest_descriptor = target;
  std::string manifest_bytes = top;
  if (IsIndexMediaType(target.media_type)) {
    BERTH_ASSIGN_OR_RETURN(ImageIndex index, ParseIndex(top));
    BERTH_ASSIGN_OR_RETURN(manifest_descriptor, SelectManifest(index, platform));
    BERTH_ASSIGN_OR_RETURN(manifest_bytes, job.FetchManifest(manifest_descriptor));
  }
  BERTH_ASSIGN_OR_RETURN(ImageManifest manifest, ParseManifest(manifest_bytes));
  BERTH_RETURN_IF_ERROR(job.FetchConfig(manifest.config).status());

  ImageTarget image_target{
      .media_type = target.media_type, .digest = target.digest, .size = target.size};
  BERTH_ASSIGN_OR_RETURN(ResolvedImage image,
                         ResolveImage(root_.content(), image_target, platform));
  result.image_id = image.id();

  auto existing = root_.metadata().GetImage(options.ns, result.name);
  result.updated = !existing.ok() || existing->target.digest != target.digest;

  BERTH_RETURN_IF_ERROR(job.FetchAndUnpack(image));
  {
    auto hold = root_.gc_lock().Shared();
    BERTH_RETURN_IF_ERROR(LabelForGc(root_, options.ns, image));
    BERTH_RETURN_IF_ERROR(LabelSources(root_, options.ns, image, ref));
    ImageRecord record;
    record.name = result.name;
    record.target = image_target;
    record.labels = options.labels;
    BERTH_RETURN_IF_ERROR(root_.metadata().PutImage(options.ns, record).status());
  }
  return result;
}

}  // namespace berth::images
