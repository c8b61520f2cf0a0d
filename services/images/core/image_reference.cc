#include "services/images/core/image_reference.h"

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace berth::images {
namespace {

constexpr size_t kMaxNameLength = 255;
constexpr size_t kMaxTagLength = 128;
constexpr absl::string_view kLegacyHubDomain = "index.docker.io";

absl::Status FormatError(absl::string_view detail = "") {
  if (detail.empty()) return absl::InvalidArgumentError("invalid reference format");
  return absl::InvalidArgumentError(absl::StrCat("invalid reference format: ", detail));
}

bool IsLowerAlnum(char c) { return absl::ascii_isdigit(c) || (c >= 'a' && c <= 'z'); }

// path-component := [a-z0-9]+ (separator [a-z0-9]+)*, separator := [_.] | __ | -+
bool IsPathComponent(absl::string_view s) {
  size_t i = 0;
  auto alnum_run = [&] {
    size_t start = i;
    while (i < s.size() && IsLowerAlnum(s[i])) ++i;
    return i > start;
  };
  if (!alnum_run()) return false;
  while (i < s.size()) {
    size_t start = i;
    if (s[i] == '.') {
      ++i;
    } else if (s[i] == '_') {
      ++i;
      if (i < s.size() && s[i] == '_') ++i;
    } else if (s[i] == '-') {
      while (i < s.size() && s[i] == '-') ++i;
    }
    if (i == start || !alnum_run()) return false;
  }
  return true;
}

// domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
bool IsDomainComponent(absl::string_view s) {
  if (s.empty() || s.front() == '-' || s.back() == '-') return false;
  for (char c : s) {
    if (!absl::ascii_isalnum(c) && c != '-') return false;
  }
  return true;
}

bool IsPort(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(c)) return false;
  }
  return true;
}

// host[:port], where host is dotted components or a bracketed IPv6 address.
bool IsDomain(absl::string_view s) {
  absl::string_view host = s;
  if (absl::StartsWith(s, "[")) {
    size_t close = s.find(']');
    if (close == absl::string_view::npos || close < 3) return false;
    for (char c : s.substr(1, close - 1)) {
      if (!absl::ascii_isxdigit(c) && c != ':') return false;
    }
    absl::string_view rest = s.substr(close + 1);
    return rest.empty() || (rest[0] == ':' && IsPort(rest.substr(1)));
  }
  if (size_t colon = s.rfind(':'); colon != absl::string_view::npos) {
    if (!IsPort(s.substr(colon + 1))) return false;
    host = s.substr(0, colon);
  }
  for (absl::string_view part : absl::StrSplit(host, '.')) {
    if (!IsDomainComponent(part)) return false;
  }
  return true;
}

// tag := [\w][\w.-]{0,127}
bool IsTag(absl::string_view s) {
  if (s.empty() || s.size() > kMaxTagLength) return false;
  if (!absl::ascii_isalnum(s[0]) && s[0] != '_') return false;
  for (char c : s) {
    if (!absl::ascii_isalnum(c) && c != '_' && c != '.' && c != '-') return false;
  }
  return true;
}

bool Is64Hex(absl::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(c) && !(c >= 'a' && c <= 'f')) return false;
  }
  return true;
}

}  // namespace

std::string ImageReference::String() const {
  std::string out = Name();
  if (!tag.empty()) absl::StrAppend(&out, ":", tag);
  if (!digest.empty()) absl::StrAppend(&out, "@", digest.str());
  return out;
}

std::string ImageReference::FamiliarString(absl::string_view default_domain) const {
  std::string out;
  if (domain != default_domain) {
    out = Name();
  } else if (domain == kDockerHubDomain && absl::StartsWith(path, "library/") &&
             path.find('/', 8) == std::string::npos) {
    out = path.substr(8);
  } else {
    out = path;
  }
  if (!tag.empty()) absl::StrAppend(&out, ":", tag);
  if (!digest.empty()) absl::StrAppend(&out, "@", digest.str());
  return out;
}

absl::StatusOr<ImageReference> ParseImageReference(absl::string_view text,
                                                   absl::string_view default_domain) {
  if (text.empty()) return FormatError();
  if (Is64Hex(text)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid repository name (", text, "), cannot specify 64-byte hexadecimal strings"));
  }
  ImageReference ref;
  absl::string_view rest = text;
  if (size_t at = rest.find('@'); at != absl::string_view::npos) {
    auto digest = Digest::Parse(rest.substr(at + 1));
    if (!digest.ok()) return FormatError("invalid digest format");
    ref.digest = *std::move(digest);
    rest = rest.substr(0, at);
  }
  // A ':' after the last '/' starts the tag; one before it belongs to a domain's port.
  size_t last_slash = rest.rfind('/');
  size_t colon = rest.rfind(':');
  if (colon != absl::string_view::npos &&
      (last_slash == absl::string_view::npos || colon > last_slash)) {
    absl::string_view tag = rest.substr(colon + 1);
    if (!IsTag(tag)) return FormatError();
    ref.tag = std::string(tag);
    rest = rest.substr(0, colon);
  }
  if (rest.empty()) return FormatError("repository name must have at least one component");

  // Docker's rule: the first component is a domain when it has '.' or ':', is
  // "localhost", or has uppercase letters (which then fail as a domain, not a path).
  absl::string_view remainder = rest;
  std::string domain(default_domain);
  if (size_t slash = rest.find('/'); slash != absl::string_view::npos) {
    absl::string_view first = rest.substr(0, slash);
    if (first.find_first_of(".:[") != absl::string_view::npos || first == "localhost" ||
        absl::AsciiStrToLower(first) != first) {
      domain = std::string(first);
      remainder = rest.substr(slash + 1);
    }
  }
  if (domain == kLegacyHubDomain) domain = std::string(kDockerHubDomain);
  if (absl::AsciiStrToLower(remainder) != remainder) {
    return FormatError("repository name must be lowercase");
  }
  if (!IsDomain(domain)) return FormatError();
  for (absl::string_view component : absl::StrSplit(remainder, '/')) {
    if (!IsPathComponent(component)) return FormatError();
  }
  ref.domain = domain;
  ref.path = std::string(remainder);
  if (ref.domain == kDockerHubDomain && ref.path.find('/') == std::string::npos) {
    ref.path = absl::StrCat("library/", ref.path);
  }
  if (ref.Name().size() > kMaxNameLength) {
    return FormatError("repository name must not be more than 255 characters");
  }
  if (ref.tag.empty() && ref.digest.empty()) ref.tag = std::string(kDefaultTag);
  return ref;
}

}  // namespace berth::images
