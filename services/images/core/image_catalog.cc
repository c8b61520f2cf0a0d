#include "services/images/core/image_catalog.h"

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "services/images/core/image_archive_load.h"
#include "services/images/core/storage_driver.h"

namespace berth::images {
namespace {

absl::Time ParseCreated(const std::string& text) {
  absl::Time t;
  std::string err;
  if (text.empty() || !absl::ParseTime(absl::RFC3339_full, text, &t, &err)) {
    return absl::InfinitePast();
  }
  return t;
}

bool IsHex(absl::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return absl::ascii_isxdigit(c); }) &&
         absl::AsciiStrToLower(text) == text;
}

absl::Status NoSuchImage(absl::string_view name) {
  return absl::NotFoundError(absl::StrCat("No such image: ", name));
}

Platform PlatformOf(const ImageConfig& config) {
  Platform platform;
  platform.os = config.os;
  platform.architecture = config.architecture;
  platform.variant = config.variant;
  return platform;
}

DeletedItem Untagged(std::string name) {
  DeletedItem item;
  item.untagged = std::move(name);
  return item;
}

void AppendOnce(std::vector<std::string>* out, std::string value) {
  if (std::find(out->begin(), out->end(), value) == out->end()) out->push_back(std::move(value));
}

}  // namespace

std::string ShortImageId(const Digest& id) { return std::string(id.hex().substr(0, 12)); }

ImageCatalog::ImageCatalog(ImageRoot& root, std::string ns, Platform platform)
    : root_(root), ns_(std::move(ns)), platform_(std::move(platform)) {}

absl::StatusOr<ImageReference> ImageCatalog::Parse(absl::string_view name) const {
  return ParseImageReference(name, root_.options().default_domain);
}

absl::StatusOr<ImageCatalog::Snapshot> ImageCatalog::Load() {
  BERTH_ASSIGN_OR_RETURN(std::vector<ImageRecord> records, root_.metadata().ListImages(ns_));
  std::sort(records.begin(), records.end(),
            [](const ImageRecord& a, const ImageRecord& b) { return a.name < b.name; });
  Snapshot out;
  std::map<Digest, size_t> by_id;
  for (ImageRecord& record : records) {
    absl::StatusOr<ResolvedImage> resolved =
        ResolveImage(root_.content(), record.target, platform_);
    if (!resolved.ok()) {
      out.unresolved.push_back(std::move(record));
      continue;
    }
    auto [it, fresh] = by_id.emplace(resolved->id(), out.entries.size());
    if (fresh) {
      Entry entry;
      entry.created = ParseCreated(resolved->config.created);
      entry.resolved = *std::move(resolved);
      out.entries.push_back(std::move(entry));
    }
    out.entries[it->second].records.push_back(std::move(record));
  }
  return out;
}

absl::StatusOr<ImageCatalog::Match> ImageCatalog::Find(const Snapshot& images,
                                                       absl::string_view name) const {
  absl::string_view hex = name;
  const bool has_algorithm = absl::ConsumePrefix(&hex, "sha256:");
  if (IsHex(hex) && hex.size() == 64) {
    for (const Entry& entry : images.entries) {
      if (entry.resolved.id().hex() == hex) return Match{&entry, nullptr};
    }
    return NoSuchImage(name);
  }
  // A reference first, as Docker does: "abc123" names a repository before an ID prefix.
  if (absl::StatusOr<ImageReference> ref = Parse(name); !has_algorithm && ref.ok()) {
    const std::string full = ref->String();
    for (const Entry& entry : images.entries) {
      for (const ImageRecord& record : entry.records) {
        if (record.name == full) return Match{&entry, &record};
      }
    }
    for (const ImageRecord& record : images.unresolved) {
      if (record.name == full) return Match{nullptr, &record};
    }
    // "repo@sha256:…" as repo_digests show it: any record of the repository on that digest.
    if (!ref->digest.empty()) {
      for (const Entry& entry : images.entries) {
        for (const ImageRecord& record : entry.records) {
          absl::StatusOr<ImageReference> other = Parse(record.name);
          if (other.ok() && other->Name() == ref->Name() &&
              (record.target.digest == ref->digest ||
               entry.resolved.manifest_descriptor.digest == ref->digest)) {
            return Match{&entry, nullptr};
          }
        }
      }
    }
  }
  if (IsHex(hex)) {
    const Entry* found = nullptr;
    for (const Entry& entry : images.entries) {
      if (!absl::StartsWith(entry.resolved.id().hex(), hex)) continue;
      if (found != nullptr) {
        return absl::InvalidArgumentError(
            absl::StrCat("multiple IDs found with provided prefix: ", name));
      }
      found = &entry;
    }
    if (found != nullptr) return Match{found, nullptr};
  }
  return NoSuchImage(name);
}

absl::StatusOr<ImageCatalog::Match> ImageCatalog::FindResolved(const Snapshot& images,
                                                               absl::string_view name) {
  BERTH_ASSIGN_OR_RETURN(Match match, Find(images, name));
  if (match.entry == nullptr) {
    return ResolveImage(root_.content(), match.record->target, platform_).status();
  }
  return match;
}

std::vector<int64_t> ImageCatalog::LayerSizes(const ResolvedImage& image, bool* unpacked) {
  NamespacedSnapshotter snapshots = root_.SnapshotsOf(ns_);
  absl::StatusOr<SnapshotInfo> top = snapshots.Stat(image.top_chain_id().str());
  *unpacked = top.ok() && top->kind == SnapshotKind::kCommitted;
  std::vector<int64_t> sizes;
  if (*unpacked) {
    // The native snapshotter's usage is the whole tree; overlayfs's is the layer's own.
    const bool cumulative = snapshots.name() == kNativeDriver;
    int64_t below = 0;
    for (const Digest& chain : image.chain_ids) {
      absl::StatusOr<SnapshotUsage> usage = snapshots.Usage(chain.str());
      if (!usage.ok()) break;
      int64_t size = usage->size_bytes;
      if (cumulative) {
        size = std::max<int64_t>(0, usage->size_bytes - below);
        below = usage->size_bytes;
      }
      sizes.push_back(size);
    }
    if (sizes.size() == image.chain_ids.size()) return sizes;
    sizes.clear();
  }
  for (const Descriptor& layer : image.manifest.layers) sizes.push_back(layer.size);
  return sizes;
}

void ImageCatalog::AddNames(const Entry& entry, std::vector<std::string>* tags,
                            std::vector<std::string>* digests,
                            const std::vector<std::string>& patterns) {
  const std::string& domain = root_.options().default_domain;
  for (const ImageRecord& record : entry.records) {
    // The name that keeps an untagged image is no repository: Docker shows "<none>".
    if (absl::StartsWith(record.name, kDanglingImagePrefix)) continue;
    absl::StatusOr<ImageReference> ref = Parse(record.name);
    if (!ref.ok()) continue;
    if (!patterns.empty() && !MatchesReference(patterns, *ref, domain)) continue;
    ImageReference canonical = *ref;
    canonical.tag.clear();
    if (ref->digest.empty()) {
      AppendOnce(tags, ref->FamiliarString(domain));
      canonical.digest = record.target.digest;
    }
    AppendOnce(digests, canonical.FamiliarString(domain));
  }
}

absl::StatusOr<ImageRecord> ImageCatalog::Get(absl::string_view name) {
  BERTH_ASSIGN_OR_RETURN(Snapshot images, Load());
  BERTH_ASSIGN_OR_RETURN(Match match, Find(images, name));
  return match.record != nullptr ? *match.record : match.entry->records.front();
}

absl::StatusOr<ResolvedImage> ImageCatalog::Resolve(absl::string_view name) {
  BERTH_ASSIGN_OR_RETURN(Snapshot images, Load());
  BERTH_ASSIGN_OR_RETURN(Match match, FindResolved(images, name));
  return match.entry->resolved;
}

absl::StatusOr<std::vector<ImageSummary>> ImageCatalog::List(const ImageFilters& filters) {
  BERTH_ASSIGN_OR_RETURN(Snapshot images, Load());
  // before/since name images; compare creation times with theirs.
  std::vector<absl::Time> before, since;
  for (const std::string& name : filters.before) {
    BERTH_ASSIGN_OR_RETURN(Match match, FindResolved(images, name));
    before.push_back(match.entry->created);
  }
  for (const std::string& name : filters.since) {
    BERTH_ASSIGN_OR_RETURN(Match match, FindResolved(images, name));
    since.push_back(match.entry->created);
  }
  std::vector<ImageSummary> out;
  for (const Entry& entry : images.entries) {
    const ImageConfig& config = entry.resolved.config;
    ImageSummary summary;
    AddNames(entry, &summary.repo_tags, &summary.repo_digests, {});
    if (filters.dangling.has_value() && *filters.dangling != summary.repo_tags.empty()) continue;
    if (!filters.labels.empty() &&
        std::none_of(filters.labels.begin(), filters.labels.end(),
                     [&](const std::string& l) { return HasLabel(config.config.labels, l); })) {
      continue;
    }
    if (std::any_of(filters.not_labels.begin(), filters.not_labels.end(),
                    [&](const std::string& l) { return HasLabel(config.config.labels, l); })) {
      continue;
    }
    if (std::any_of(before.begin(), before.end(),
                    [&](absl::Time t) { return entry.created >= t; }) ||
        std::any_of(since.begin(), since.end(), [&](absl::Time t) { return entry.created <= t; })) {
      continue;
    }
    if (!filters.references.empty()) {
      // Docker shows only the names that match.
      summary.repo_tags.clear();
      summary.repo_digests.clear();
      AddNames(entry, &summary.repo_tags, &summary.repo_digests, filters.references);
      if (summary.repo_tags.empty() && summary.repo_digests.empty()) continue;
    }
    summary.id = entry.resolved.id();
    summary.created = entry.created;
    bool unpacked = false;
    for (int64_t size : LayerSizes(entry.resolved, &unpacked)) summary.size += size;
    summary.labels = config.config.labels;
    summary.target = entry.resolved.target;
    summary.platform = PlatformOf(config);
    out.push_back(std::move(summary));
  }
  std::stable_sort(out.begin(), out.end(), [](const ImageSummary& a, const ImageSummary& b) {
    return a.created > b.created;
  });
  return out;
}

absl::StatusOr<ImageDetails> ImageCatalog::Inspect(absl::string_view name) {
  BERTH_ASSIGN_OR_RETURN(Snapshot images, Load());
  BERTH_ASSIGN_OR_RETURN(Match match, FindResolved(images, name));
  const Entry& entry = *match.entry;
  const ImageConfig& config = entry.resolved.config;
  ImageDetails details;
  details.id = entry.resolved.id();
  AddNames(entry, &details.repo_tags, &details.repo_digests, {});
  details.created = entry.created;
  details.author = config.author;
  if (!config.history.empty()) details.comment = config.history.back().comment;
  details.platform = PlatformOf(config);
  details.config = config.config;
  details.rootfs_type = config.rootfs_type;
  details.layers = config.diff_ids;
  details.target = entry.resolved.target;
  details.manifest = entry.resolved.manifest_descriptor;
  for (int64_t size : LayerSizes(entry.resolved, &details.unpacked)) details.size += size;
  details.snapshotter = root_.snapshotter().name();
  return details;
}

absl::StatusOr<std::vector<HistoryItem>> ImageCatalog::History(absl::string_view name) {
  BERTH_ASSIGN_OR_RETURN(Snapshot images, Load());
  BERTH_ASSIGN_OR_RETURN(Match match, FindResolved(images, name));
  const Entry& entry = *match.entry;
  bool unpacked = false;
  const std::vector<int64_t> sizes = LayerSizes(entry.resolved, &unpacked);
  std::vector<HistoryItem> items;
  size_t layer = 0;
  for (const HistoryEntry& step : entry.resolved.config.history) {
    HistoryItem item;
    item.id = "<missing>";
    item.created = ParseCreated(step.created);
    item.created_by = step.created_by;
    item.comment = step.comment;
    item.empty_layer = step.empty_layer;
    if (!step.empty_layer && layer < sizes.size()) item.size = sizes[layer++];
    items.push_back(std::move(item));
  }
  // A config without history: one line per layer, as Docker shows for such images.
  while (items.empty() || layer < sizes.size()) {
    HistoryItem item;
    item.id = "<missing>";
    item.size = layer < sizes.size() ? sizes[layer] : 0;
    ++layer;
    items.push_back(std::move(item));
  }
  std::reverse(items.begin(), items.end());
  items.front().id = entry.resolved.id().str();
  std::vector<std::string> digests;
  AddNames(entry, &items.front().tags, &digests, {});
  return items;
}

absl::StatusOr<ImageRecord> ImageCatalog::Tag(absl::string_view source, absl::string_view target) {
  BERTH_ASSIGN_OR_RETURN(ImageReference ref, Parse(target));
  if (!ref.digest.empty()) {
    return absl::InvalidArgumentError("refusing to create a tag with a digest reference");
  }
  BERTH_ASSIGN_OR_RETURN(Snapshot images, Load());
  BERTH_ASSIGN_OR_RETURN(Match match, Find(images, source));
  ImageRecord record;
  record.name = ref.String();
  record.target =
      match.record != nullptr ? match.record->target : match.entry->records.front().target;
  return root_.metadata().PutImage(ns_, record);
}

namespace {

// Docker's isSingleReference: at most one tag, and every digest reference in its repository.
bool IsSingleReference(const std::vector<ImageReference>& refs) {
  if (refs.size() <= 1) return refs.size() == 1;
  const ImageReference* tagged = nullptr;
  std::set<std::string> names;
  for (const ImageReference& ref : refs) {
    if (ref.digest.empty()) {
      if (tagged != nullptr) return false;
      tagged = &ref;
    }
    names.insert(ref.Name());
  }
  return names.size() == 1;
}

}  // namespace

absl::StatusOr<std::vector<DeletedItem>> ImageCatalog::Delete(absl::string_view name, bool force) {
  BERTH_ASSIGN_OR_RETURN(Snapshot images, Load());
  BERTH_ASSIGN_OR_RETURN(Match match, Find(images, name));
  if (match.entry == nullptr) return DeleteUnresolved(*match.record);

  const Entry& entry = *match.entry;
  const std::string& domain = root_.options().default_domain;
  // Docker refuses to take away the last name of an image a container was made from.
  const bool last_name = match.record == nullptr || entry.records.size() == 1;
  if (last_name && !force) {
    BERTH_ASSIGN_OR_RETURN(std::string user, ContainerUsing(entry.resolved));
    if (!user.empty()) {
      const std::string what = match.record != nullptr
                                   ? absl::StrCat("remove repository reference \"", name, "\"")
                                   : absl::StrCat("delete ", ShortImageId(entry.resolved.id()));
      return absl::FailedPreconditionError(absl::StrCat(
          "conflict: unable to ", what, " (must force) - container ", user.substr(0, 12),
          " is using its referenced image ", ShortImageId(entry.resolved.id())));
    }
  }
  std::vector<DeletedItem> items;
  // The image's references still standing, with their parsed names.
  std::vector<std::pair<const ImageRecord*, ImageReference>> remaining;
  for (const ImageRecord& record : entry.records) {
    absl::StatusOr<ImageReference> ref = Parse(record.name);
    ImageReference unparsed;
    unparsed.path = record.name;
    remaining.emplace_back(&record, ref.ok() ? *ref : unparsed);
  }
  auto untag = [&](const ImageRecord* record) -> absl::Status {
    auto it = std::find_if(remaining.begin(), remaining.end(),
                           [&](const auto& r) { return r.first == record; });
    absl::Status deleted = root_.metadata().DeleteImage(ns_, record->name);
    if (!deleted.ok() && deleted.code() != absl::StatusCode::kNotFound) return deleted;
    items.push_back(Untagged(it->second.FamiliarString(domain)));
    remaining.erase(it);
    return absl::OkStatus();
  };

  if (match.record != nullptr) {
    const ImageReference removed = Parse(match.record->name).value_or(ImageReference{});
    BERTH_RETURN_IF_ERROR(untag(match.record));
    // With the repository's last tag gone, its digest references go too.
    const bool tag_left = std::any_of(remaining.begin(), remaining.end(), [&](const auto& r) {
      return r.second.digest.empty() && r.second.Name() == removed.Name();
    });
    if (removed.digest.empty() && !tag_left) {
      std::vector<const ImageRecord*> same_repo;
      for (const auto& [record, ref] : remaining) {
        if (ref.Name() == removed.Name()) same_repo.push_back(record);
      }
      for (const ImageRecord* record : same_repo) BERTH_RETURN_IF_ERROR(untag(record));
    }
    if (!remaining.empty()) return items;
  } else {
    std::vector<ImageReference> refs;
    for (const auto& r : remaining) refs.push_back(r.second);
    if (refs.size() > 1 && !IsSingleReference(refs) && !force) {
      return absl::FailedPreconditionError(
          absl::StrCat("conflict: unable to delete ", ShortImageId(entry.resolved.id()),
                       " (must be forced) - image is referenced in multiple repositories"));
    }
    while (!remaining.empty()) BERTH_RETURN_IF_ERROR(untag(remaining.front().first));
  }
  DeletedItem deleted;
  deleted.deleted = entry.resolved.id().str();
  items.push_back(std::move(deleted));
  BERTH_RETURN_IF_ERROR(CollectGarbage());
  return items;
}

absl::StatusOr<std::string> ImageCatalog::ContainerUsing(const ResolvedImage& image) {
  if (image.chain_ids.empty()) return std::string();
  BERTH_ASSIGN_OR_RETURN(std::vector<SnapshotInfo> snapshots, root_.SnapshotsOf(ns_).List());
  const std::string top = image.top_chain_id().str();
  for (const SnapshotInfo& snapshot : snapshots) {
    auto container = snapshot.labels.find(kContainerLabel);
    if (snapshot.parent == top && container != snapshot.labels.end()) return container->second;
  }
  return std::string();
}

absl::StatusOr<std::vector<DeletedItem>> ImageCatalog::DeleteUnresolved(const ImageRecord& record) {
  BERTH_RETURN_IF_ERROR(root_.metadata().DeleteImage(ns_, record.name));
  absl::StatusOr<ImageReference> ref = Parse(record.name);
  std::vector<DeletedItem> items{
      Untagged(ref.ok() ? ref->FamiliarString(root_.options().default_domain) : record.name)};
  BERTH_RETURN_IF_ERROR(CollectGarbage());
  return items;
}

absl::Status ImageCatalog::CollectGarbage() {
  absl::StatusOr<GcResult> result = root_.CollectGarbage();
  // The image is gone either way; what GC could not remove the next collection retries.
  if (!result.ok()) {
    log::Warn("garbage collection after image delete failed",
              {{"error", std::string(result.status().message())}});
    return absl::OkStatus();
  }
  for (const std::string& error : result->errors) {
    log::Warn("garbage collection could not remove", {{"error", error}});
  }
  return absl::OkStatus();
}

}  // namespace berth::images
