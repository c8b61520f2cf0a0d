#include "services/images/core/search_term.h"

#include "absl/strings/match.h"

namespace berth::images {

SearchTerm ParseSearchTerm(absl::string_view text) {
  SearchTerm parsed;
  size_t slash = text.find('/');
  if (slash != absl::string_view::npos) {
    absl::string_view first = text.substr(0, slash);
    if (absl::StrContains(first, '.') || absl::StrContains(first, ':') || first == "localhost") {
      parsed.host = std::string(first);
      parsed.term = std::string(text.substr(slash + 1));
      return parsed;
    }
  }
  parsed.host = "docker.io";
  parsed.term = std::string(text);
  return parsed;
}

}  // namespace berth::images
