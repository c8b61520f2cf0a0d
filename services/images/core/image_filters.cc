#include "services/images/core/image_filters.h"

#include <fnmatch.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace berth::images {
namespace {

// The repository without tag or digest, "busybox" for docker.io/library/busybox.
std::string FamiliarName(ImageReference ref, absl::string_view domain) {
  ref.tag.clear();
  ref.digest = Digest();
  return ref.FamiliarString(domain);
}

}  // namespace

absl::StatusOr<ImageFilters> ParseImageFilters(
    const std::map<std::string, std::vector<std::string>>& filters) {
  ImageFilters out;
  for (const auto& [key, values] : filters) {
    std::vector<std::string>* list = nullptr;
    if (key == "dangling") {
      for (const std::string& value : values) {
        std::string v = absl::AsciiStrToLower(value);
        if (v == "true" || v == "1") {
          out.dangling = true;
        } else if (v == "false" || v == "0") {
          out.dangling = false;
        } else {
          return absl::InvalidArgumentError(absl::StrCat("invalid filter 'dangling=", value, "'"));
        }
      }
      continue;
    }
    if (key == "reference") list = &out.references;
    if (key == "label") list = &out.labels;
    if (key == "label!") list = &out.not_labels;
    if (key == "before") list = &out.before;
    if (key == "since") list = &out.since;
    if (list == nullptr)
      return absl::InvalidArgumentError(absl::StrCat("invalid filter '", key, "'"));
    list->insert(list->end(), values.begin(), values.end());
  }
  return out;
}

bool MatchesReference(const std::vector<std::string>& patterns, const ImageReference& ref,
                      absl::string_view domain) {
  const std::string full = ref.FamiliarString(domain);
  const std::string name = FamiliarName(ref, domain);
  for (const std::string& pattern : patterns) {
    if (::fnmatch(pattern.c_str(), full.c_str(), FNM_PATHNAME) == 0 ||
        ::fnmatch(pattern.c_str(), name.c_str(), FNM_PATHNAME) == 0) {
      return true;
    }
  }
  return false;
}

bool HasLabel(const Labels& labels, const std::string& filter) {
  size_t eq = filter.find('=');
  auto it = labels.find(filter.substr(0, eq));
  if (it == labels.end()) return false;
  return eq == std::string::npos || it->second == filter.substr(eq + 1);
}

}  // namespace berth::images
