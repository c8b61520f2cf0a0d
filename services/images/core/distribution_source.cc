#include "services/images/core/distribution_source.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"

namespace berth::images {
namespace {

// containerd's limit on one label; a longer list is not extended.
constexpr size_t kMaxLabelValue = 4096;

}  // namespace

std::vector<std::string> DistributionSources(const Labels& labels, absl::string_view domain) {
  auto it = labels.find(absl::StrCat(kDistributionSourceLabelPrefix, domain));
  if (it == labels.end()) return {};
  return absl::StrSplit(it->second, ',', absl::SkipEmpty());
}

absl::Status AddDistributionSource(MetadataStore& metadata, absl::string_view ns,
                                   const Digest& digest, const ImageReference& repo) {
  absl::StatusOr<Labels> labels = metadata.GetContentLabels(ns, digest);
  if (labels.status().code() == absl::StatusCode::kNotFound) return absl::OkStatus();
  BERTH_RETURN_IF_ERROR(labels.status());
  std::vector<std::string> repos = DistributionSources(*labels, repo.domain);
  if (std::find(repos.begin(), repos.end(), repo.path) != repos.end()) return absl::OkStatus();
  repos.push_back(repo.path);
  std::sort(repos.begin(), repos.end());
  std::string value = absl::StrJoin(repos, ",");
  if (value.size() > kMaxLabelValue) return absl::OkStatus();
  const std::string key = absl::StrCat(kDistributionSourceLabelPrefix, repo.domain);
  absl::Status updated =
      metadata.UpdateContentLabels(ns, digest, {{key, value}}, {absl::StrCat("labels.", key)})
          .status();
  return updated.code() == absl::StatusCode::kNotFound ? absl::OkStatus() : updated;
}

}  // namespace berth::images
