#include "services/images/core/platform.h"

#include <sys/utsname.h>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace berth::images {
namespace {

int ArmVersion(absl::string_view variant) {
  if (variant.size() == 2 && variant[0] == 'v' && variant[1] >= '5' && variant[1] <= '8') {
    return variant[1] - '0';
  }
  return 0;
}

}  // namespace

std::string Platform::String() const {
  std::string out = absl::StrCat(os, "/", architecture);
  if (!variant.empty()) absl::StrAppend(&out, "/", variant);
  return out;
}

Platform NormalizePlatform(Platform p) {
  p.os = absl::AsciiStrToLower(p.os);
  if (p.os == "macos") p.os = "darwin";
  std::string arch = absl::AsciiStrToLower(p.architecture);
  std::string variant = absl::AsciiStrToLower(p.variant);
  if (!variant.empty() && absl::ascii_isdigit(variant[0])) variant = "v" + variant;
  if (arch == "x86_64" || arch == "x86-64" || arch == "amd64") {
    arch = "amd64";
    if (variant == "v1") variant.clear();  // the baseline level is the same as none
  } else if (arch == "i386" || arch == "i486" || arch == "i586" || arch == "i686") {
    arch = "386";
  } else if (arch == "aarch64" || arch == "arm64") {
    arch = "arm64";
    if (variant.empty()) variant = "v8";
  } else if (arch == "armhf") {
    arch = "arm";
    variant = "v7";
  } else if (arch == "armel") {
    arch = "arm";
    variant = "v6";
  } else if (arch == "arm" || absl::StartsWith(arch, "armv")) {
    if (arch.size() > 4 && absl::ascii_isdigit(arch[4])) variant = "v" + arch.substr(4, 1);
    arch = "arm";
    if (variant.empty()) variant = "v7";
  }
  p.architecture = arch;
  p.variant = variant;
  return p;
}

Platform HostPlatform() {
  Platform host;
  host.os = "linux";
  utsname name{};
  host.architecture = ::uname(&name) == 0 ? name.machine : "amd64";
  return NormalizePlatform(std::move(host));
}

absl::StatusOr<Platform> ParsePlatform(absl::string_view text) {
  std::vector<std::string> parts = absl::StrSplit(text, '/');
  for (const std::string& part : parts) {
    if (part.empty() || parts.size() > 3) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid platform \"", text,
                       "\": want os[/architecture[/variant]], e.g. linux/arm64/v8"));
    }
  }
  Platform platform;
  if (parts.size() == 1) {
    // One word is an OS when it names one, otherwise an architecture on the host's OS.
    static constexpr absl::string_view kOses[] = {"linux", "windows", "darwin", "freebsd"};
    bool is_os = false;
    for (absl::string_view os : kOses) is_os = is_os || absl::AsciiStrToLower(parts[0]) == os;
    if (is_os) {
      platform = HostPlatform();
      platform.os = parts[0];
    } else {
      platform.os = HostPlatform().os;
      platform.architecture = parts[0];
    }
  } else {
    platform.os = parts[0];
    platform.architecture = parts[1];
    if (parts.size() == 3) platform.variant = parts[2];
  }
  return NormalizePlatform(std::move(platform));
}

bool PlatformMatches(const Platform& wanted_in, const Platform& candidate_in) {
  Platform wanted = NormalizePlatform(wanted_in);
  Platform candidate = NormalizePlatform(candidate_in);
  if (wanted.os != candidate.os || wanted.architecture != candidate.architecture) return false;
  if (wanted.variant.empty() || candidate.variant.empty()) return true;
  if (wanted.architecture == "arm") {
    int want = ArmVersion(wanted.variant), have = ArmVersion(candidate.variant);
    return want != 0 && have != 0 && have <= want;
  }
  return wanted.variant == candidate.variant;
}

}  // namespace berth::images
