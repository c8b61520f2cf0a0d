#include "services/runtime/core/spec_security.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "services/runtime/core/seccomp_profile.h"
#include "shim/oci/capabilities.h"
#include "shim/oci/default_seccomp.h"

namespace berth::runtime {
namespace {

constexpr absl::string_view kAll = "ALL";

bool Contains(const std::vector<std::string>& list, absl::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

// "net_admin" / "CAP_NET_ADMIN" → "CAP_NET_ADMIN"; "all" → "ALL"; unknown → error.
absl::StatusOr<std::vector<std::string>> NormalizeCapabilities(
    const std::vector<std::string>& names) {
  std::vector<std::string> out;
  for (const std::string& name : names) {
    std::string upper = absl::AsciiStrToUpper(name);
    if (upper == kAll) {
      out.push_back(upper);
      continue;
    }
    if (!absl::StartsWith(upper, "CAP_")) upper = absl::StrCat("CAP_", upper);
    if (!oci::CapabilityNumber(upper).ok()) {
      return absl::InvalidArgumentError(absl::StrCat("unknown capability: \"", upper, "\""));
    }
    if (!Contains(out, upper)) out.push_back(upper);
  }
  return out;
}

// Every capability both the running kernel and berth know, in number order.
std::vector<std::string> AllCapabilities() {
  std::vector<std::string> out;
  int last = std::min(oci::LastSupportedCapability(), oci::kLastKnownCapability);
  for (int i = 0; i <= last; ++i) out.emplace_back(oci::CapabilityName(i));
  return out;
}

// "true"/"false" as Go's strconv.ParseBool reads them.
absl::StatusOr<bool> ParseBool(absl::string_view opt, absl::string_view value) {
  if (value == "1" || value == "t" || value == "T" || value == "true" || value == "TRUE" ||
      value == "True") {
    return true;
  }
  if (value == "0" || value == "f" || value == "F" || value == "false" || value == "FALSE" ||
      value == "False") {
    return false;
  }
  return absl::InvalidArgumentError(absl::StrCat("invalid --security-opt: \"", opt, "\""));
}

}  // namespace

absl::StatusOr<std::vector<std::string>> ContainerCapabilities(const SecurityOptions& security) {
  if (security.privileged) return AllCapabilities();
  BERTH_ASSIGN_OR_RETURN(std::vector<std::string> add, NormalizeCapabilities(security.cap_add));
  BERTH_ASSIGN_OR_RETURN(std::vector<std::string> drop, NormalizeCapabilities(security.cap_drop));
  std::vector<std::string> caps;
  if (Contains(add, kAll)) {
    for (const std::string& cap : AllCapabilities()) {
      if (!Contains(drop, cap)) caps.push_back(cap);
    }
    return caps;
  }
  if (!Contains(drop, kAll)) {
    for (const std::string& cap : oci::DockerDefaultCapabilities()) {
      if (!Contains(drop, cap)) caps.push_back(cap);
    }
  }
  for (const std::string& cap : add) {
    if (!Contains(caps, cap)) caps.push_back(cap);
  }
  return caps;
}

absl::StatusOr<SecuritySettings> ParseSecuritySettings(const SecurityOptions& security) {
  SecuritySettings settings;
  for (const std::string& opt : security.security_opts) {
    if (opt == "no-new-privileges") {
      settings.no_new_privileges = true;
      continue;
    }
    // Docker splits on the first '=', falling back to the deprecated ':' form.
    size_t sep = opt.find('=');
    if (sep == std::string::npos) sep = opt.find(':');
    if (sep == std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat("invalid --security-opt: \"", opt, "\""));
    }
    absl::string_view key = absl::string_view(opt).substr(0, sep);
    absl::string_view value = absl::string_view(opt).substr(sep + 1);
    if (key == "no-new-privileges") {
      BERTH_ASSIGN_OR_RETURN(settings.no_new_privileges, ParseBool(opt, value));
    } else if (key == "seccomp") {
      settings.seccomp_unconfined = value == "unconfined";
      settings.seccomp_profile_json = settings.seccomp_unconfined ? "" : std::string(value);
    } else if (key == "systempaths") {
      if (value != "unconfined") {
        return absl::InvalidArgumentError(absl::StrCat(
            "invalid --security-opt: \"", opt, "\": systempaths only accepts \"unconfined\""));
      }
      settings.system_paths_unconfined = true;
    } else if (key == "apparmor" || key == "label") {
      // berth has no AppArmor or SELinux support; Docker accepts these where it is absent.
    } else {
      return absl::InvalidArgumentError(absl::StrCat("invalid --security-opt: \"", opt, "\""));
    }
  }
  if (security.no_new_privileges) settings.no_new_privileges = true;
  if (security.seccomp_profile == "unconfined") {
    settings.seccomp_unconfined = true;
    settings.seccomp_profile_json.clear();
  } else if (!security.seccomp_profile.empty()) {
    settings.seccomp_unconfined = false;
    settings.seccomp_profile_json = security.seccomp_profile;
  }
  return settings;
}

absl::StatusOr<std::optional<oci::Seccomp>> ContainerSeccomp(
    const SecuritySettings& settings, bool privileged,
    const std::vector<std::string>& capabilities) {
  if (privileged || settings.seccomp_unconfined) return std::optional<oci::Seccomp>();
  if (settings.seccomp_profile_json.empty()) {
    return std::optional<oci::Seccomp>(oci::DockerDefaultSeccomp(capabilities));
  }
  BERTH_ASSIGN_OR_RETURN(oci::Seccomp profile,
                         ParseSeccompProfile(settings.seccomp_profile_json, capabilities));
  return std::optional<oci::Seccomp>(std::move(profile));
}

}  // namespace berth::runtime
