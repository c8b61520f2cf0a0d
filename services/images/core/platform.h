// Image platforms ("linux/arm64/v8"): normalised spellings, the host's own, and matching
// a wanted platform against an index entry's.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace berth::images {

struct Platform {
  std::string os;            // "linux"
  std::string architecture;  // GOARCH spelling: "amd64", "arm64", "arm", "386"
  std::string variant;       // "v8" for arm64, "v7"/"v6"/"v5" for arm, otherwise usually ""
  std::string os_version;
  std::vector<std::string> os_features;

  // "linux/arm64/v8", "linux/amd64"
  std::string String() const;
  friend bool operator==(const Platform&, const Platform&) = default;
};

// Kernel and GOARCH spellings to one: x86_64 → amd64, aarch64 → arm64 (variant v8 when
// none is given), armhf → arm/v7, armel → arm/v6, i386/i686 → 386, "8" → "v8".
Platform NormalizePlatform(Platform platform);

// The machine this runs on, normalised.
Platform HostPlatform();

// "linux", "linux/arm64", "linux/arm64/v8", "arm64" (host OS); normalised.
absl::StatusOr<Platform> ParsePlatform(absl::string_view text);

// Whether an image built for `candidate` runs where `wanted` is asked for. OS and
// architecture must agree; an empty variant on either side matches any, and arm v7
// hosts also take v6 and v5 images.
bool PlatformMatches(const Platform& wanted, const Platform& candidate);

}  // namespace berth::images
