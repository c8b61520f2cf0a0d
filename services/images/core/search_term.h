// `docker search`'s argument: which registry to ask and what names must contain. Apart
// from the search itself so that berthctl parses it without the registry client.
#pragma once

#include <string>

#include "absl/strings/string_view.h"

namespace berth::images {

struct SearchTerm {
  std::string host;  // "127.0.0.1:5000"; "docker.io" for a bare term
  std::string term;  // what names must contain; empty matches all
};

// "127.0.0.1:5000/busy" → {"127.0.0.1:5000", "busy"}; "busy" → {"docker.io", "busy"}. The
// first part is a host when it has a '.' or ':' or is "localhost", as in image references.
SearchTerm ParseSearchTerm(absl::string_view text);

}  // namespace berth::images
