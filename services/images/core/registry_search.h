// `docker search` against a registry's catalog: the repositories whose names contain a
// term. A registry has no descriptions or stars, so names are all there is.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/images/core/registry_client.h"
#include "services/images/core/search_term.h"

namespace berth::images {

// Up to `limit` repositories of `term.host` whose names contain `term.term`, as
// "host/name", in the catalog's order. FailedPrecondition for Docker Hub, which offers
// no catalog; the registry's own error when it refuses to list its repositories.
absl::StatusOr<std::vector<std::string>> SearchRegistry(RegistryClient& client,
                                                        const SearchTerm& term, int limit);

}  // namespace berth::images
