#include "services/images/core/registry_search.h"

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace berth::images {
namespace {

// How many catalog entries a search reads at most before filtering.
constexpr int kMaxCatalogEntries = 10000;

}  // namespace

absl::StatusOr<std::vector<std::string>> SearchRegistry(RegistryClient& client,
                                                        const SearchTerm& term, int limit) {
  if (term.host == "docker.io") {
    return absl::FailedPreconditionError(
        "Docker Hub offers no repository list to search; name a registry: "
        "search HOST[:PORT]/TERM");
  }
  BERTH_ASSIGN_OR_RETURN(std::vector<std::string> names,
                         client.ListCatalog(term.host, kMaxCatalogEntries));
  std::vector<std::string> found;
  for (const std::string& name : names) {
    if (static_cast<int>(found.size()) >= limit) break;
    if (absl::StrContains(name, term.term)) found.push_back(absl::StrCat(term.host, "/", name));
  }
  return found;
}

}  // namespace berth::images
