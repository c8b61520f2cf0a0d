// Image references ("busybox", "localhost:5000/a/b:t", "x@sha256:…") in Docker's grammar,
// normalised to a registry domain, a repository path, a tag and a digest.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/images/core/digest.h"

namespace berth::images {

inline constexpr absl::string_view kDockerHubDomain = "docker.io";
inline constexpr absl::string_view kDefaultTag = "latest";

struct ImageReference {
  std::string domain;  // "docker.io", "localhost:5000", "[::1]:5000"
  std::string path;    // "library/busybox", "a/b"
  std::string tag;     // "latest" when neither a tag nor a digest was given
  Digest digest;       // empty unless "@sha256:…" was given

  // "docker.io/library/busybox"
  std::string Name() const { return domain + "/" + path; }
  // "docker.io/library/busybox:latest", "host/x:t@sha256:…"
  std::string String() const;
  // Docker's short form: "busybox:latest", "user/app:1", "localhost:5000/x@sha256:…";
  // the domain is left out when it is `default_domain`.
  std::string FamiliarString(absl::string_view default_domain = kDockerHubDomain) const;
  // The tag when there is no digest, otherwise the digest: what a manifest is fetched by.
  std::string TagOrDigest() const { return digest.empty() ? tag : digest.str(); }

  friend bool operator==(const ImageReference&, const ImageReference&) = default;
};

// Parses `text` as `docker pull` does. A name without a registry part goes to
// `default_domain`; on docker.io a one-component name gains "library/". Errors are
// InvalidArgument with Docker's wording ("invalid reference format: …").
absl::StatusOr<ImageReference> ParseImageReference(
    absl::string_view text, absl::string_view default_domain = kDockerHubDomain);

}  // namespace berth::images
