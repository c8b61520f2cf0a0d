// ImageCatalog::Prune: `docker image prune` over the catalog's images.
#include <algorithm>

#include "absl/strings/match.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "services/images/core/image_archive_load.h"
#include "services/images/core/image_catalog.h"

namespace berth::images {
namespace {

bool LabelsMatch(const ImageFilters& filters, const Labels& labels) {
  if (!filters.labels.empty() &&
      std::none_of(filters.labels.begin(), filters.labels.end(),
                   [&](const std::string& l) { return HasLabel(labels, l); })) {
    return false;
  }
  return std::none_of(filters.not_labels.begin(), filters.not_labels.end(),
                      [&](const std::string& l) { return HasLabel(labels, l); });
}

}  // namespace

absl::StatusOr<PruneResult> ImageCatalog::Prune(const ImageFilters& filters) {
  if (!filters.references.empty() || !filters.before.empty() || !filters.since.empty()) {
    return absl::InvalidArgumentError(
        "invalid filter: image prune accepts dangling, label and label!");
  }
  const bool dangling_only = filters.dangling.value_or(true);
  BERTH_ASSIGN_OR_RETURN(Snapshot images, Load());
  const std::string& domain = root_.options().default_domain;
  PruneResult result;
  for (const Entry& entry : images.entries) {
    std::vector<std::string> tags, digests;
    AddNames(entry, &tags, &digests, {});
    if (dangling_only && !tags.empty()) continue;
    if (!LabelsMatch(filters, entry.resolved.config.config.labels)) continue;
    for (const ImageRecord& record : entry.records) {
      absl::Status deleted = root_.metadata().DeleteImage(ns_, record.name);
      if (!deleted.ok() && deleted.code() != absl::StatusCode::kNotFound) return deleted;
      absl::StatusOr<ImageReference> ref = Parse(record.name);
      // A dangling name is no tag: Docker shows none.
      if (!ref.ok() || absl::StartsWith(record.name, kDanglingImagePrefix)) continue;
      DeletedItem untagged;
      untagged.untagged = ref->FamiliarString(domain);
      result.items.push_back(std::move(untagged));
    }
    DeletedItem deleted;
    deleted.deleted = entry.resolved.id().str();
    result.items.push_back(std::move(deleted));
  }
  absl::StatusOr<GcResult> collected = root_.CollectGarbage();
  if (!collected.ok()) {
    // The images are gone either way; the next collection frees their content.
    log::Warn("garbage collection after image prune failed",
              {{"error", std::string(collected.status().message())}});
    return result;
  }
  for (const std::string& error : collected->errors) {
    log::Warn("garbage collection could not remove", {{"error", error}});
  }
  result.reclaimed_bytes = collected->reclaimed_bytes;
  return result;
}

}  // namespace berth::images
