// `docker images --filter`: parsing the key=value pairs and matching references and
// labels against them.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/images/core/image_reference.h"
#include "services/images/core/metadata_store.h"

namespace berth::images {

// `docker images --filter`: values of one key are OR'd, keys AND'd.
struct ImageFilters {
  std::optional<bool> dangling;
  std::vector<std::string> references;  // globs on familiar "repo" or "repo:tag"
  std::vector<std::string> labels;      // "k" or "k=v"
  std::vector<std::string> not_labels;  // label!=…
  std::vector<std::string> before;      // names: images created before it
  std::vector<std::string> since;
};

// From key → values; InvalidArgument ("invalid filter 'x'") for an unknown key or value.
absl::StatusOr<ImageFilters> ParseImageFilters(
    const std::map<std::string, std::vector<std::string>>& filters);

// Whether a glob of `patterns` matches the familiar "repo:tag" or "repo" of `ref`
// ('*' does not cross '/', as Go's path.Match).
bool MatchesReference(const std::vector<std::string>& patterns, const ImageReference& ref,
                      absl::string_view default_domain);

// "k" or "k=v" against `labels`.
bool HasLabel(const Labels& labels, const std::string& filter);

}  // namespace berth::images
