#include "services/runtime/core/seccomp_profile.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "shim/oci/spec_json.h"

namespace berth::runtime {
namespace {

using oci::Json;

// The libseccomp name of the architecture berth was built for.
constexpr const char* kNativeArch =
#if defined(__x86_64__)
    "SCMP_ARCH_X86_64";
#elif defined(__aarch64__)
    "SCMP_ARCH_AARCH64";
#elif defined(__i386__)
    "SCMP_ARCH_X86";
#elif defined(__arm__)
    "SCMP_ARCH_ARM";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    "SCMP_ARCH_PPC64LE";
#elif defined(__s390x__)
    "SCMP_ARCH_S390X";
#elif defined(__riscv) && __riscv_xlen == 64
    "SCMP_ARCH_RISCV64";
#else
    "";
#endif

absl::Status ProfileError(absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat("seccomp profile: ", problem));
}

bool Contains(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

// The strings of a list-valued key, or an error naming it.
absl::StatusOr<std::vector<std::string>> StringList(const Json& object, const char* key,
                                                    const std::string& path) {
  std::vector<std::string> out;
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return out;
  BERTH_RETURN_IF_ERROR(oci::Decode(*it, oci::JsonField(path, key), out));
  return out;
}

// Whether a rule's "includes" (all must hold) and "excludes" (none may hold) let it apply.
absl::StatusOr<bool> RuleApplies(const Json& rule, const std::string& path,
                                 const std::vector<std::string>& capabilities) {
  for (const char* which : {"includes", "excludes"}) {
    auto it = rule.find(which);
    if (it == rule.end() || it->is_null()) continue;
    if (!it->is_object()) return oci::JsonError(oci::JsonField(path, which), "must be an object");
    std::string cond_path = oci::JsonField(path, which);
    BERTH_ASSIGN_OR_RETURN(std::vector<std::string> caps, StringList(*it, "caps", cond_path));
    BERTH_ASSIGN_OR_RETURN(std::vector<std::string> arches, StringList(*it, "arches", cond_path));
    bool include = std::string(which) == "includes";
    if (include) {
      for (const std::string& cap : caps) {
        if (!Contains(capabilities, cap)) return false;
      }
      if (!arches.empty() && !Contains(arches, kNativeArch)) return false;
    } else {
      for (const std::string& cap : caps) {
        if (Contains(capabilities, cap)) return false;
      }
      if (Contains(arches, kNativeArch)) return false;
    }
  }
  return true;
}

// The architectures of archMap's entry for this machine: it and its sub-architectures.
absl::StatusOr<std::vector<std::string>> ArchMapArchitectures(const Json& profile) {
  std::vector<std::string> out;
  auto it = profile.find("archMap");
  if (it == profile.end() || it->is_null()) return out;
  if (!it->is_array()) return oci::JsonError("archMap", "must be a list");
  for (size_t i = 0; i < it->size(); ++i) {
    const Json& entry = (*it)[i];
    std::string path = oci::JsonIndex("archMap", i);
    if (!entry.is_object()) return oci::JsonError(path, "must be an object");
    std::string arch;
    if (auto a = entry.find("architecture"); a != entry.end()) {
      BERTH_RETURN_IF_ERROR(oci::Decode(*a, oci::JsonField(path, "architecture"), arch));
    }
    if (arch != kNativeArch) continue;
    out.push_back(arch);
    BERTH_ASSIGN_OR_RETURN(std::vector<std::string> subs,
                           StringList(entry, "subArchitectures", path));
    out.insert(out.end(), subs.begin(), subs.end());
  }
  return out;
}

// Rewrites a Docker profile as a linux.seccomp object.
absl::StatusOr<Json> ToRuntimeSeccomp(const Json& profile,
                                      const std::vector<std::string>& capabilities) {
  if (!profile.is_object()) return oci::JsonError("", "must be a JSON object");
  Json out = Json::object();
  for (const char* key : {"defaultAction", "defaultErrnoRet", "architectures", "flags",
                          "listenerPath", "listenerMetadata"}) {
    if (auto it = profile.find(key); it != profile.end()) out[key] = *it;
  }
  if (!out.contains("architectures") || out["architectures"].is_null()) {
    BERTH_ASSIGN_OR_RETURN(std::vector<std::string> arches, ArchMapArchitectures(profile));
    if (!arches.empty()) out["architectures"] = arches;
  }
  Json syscalls = Json::array();
  auto it = profile.find("syscalls");
  if (it != profile.end() && !it->is_null()) {
    if (!it->is_array()) return oci::JsonError("syscalls", "must be a list");
    for (size_t i = 0; i < it->size(); ++i) {
      const Json& rule = (*it)[i];
      std::string path = oci::JsonIndex("syscalls", i);
      if (!rule.is_object()) return oci::JsonError(path, "must be an object");
      BERTH_ASSIGN_OR_RETURN(bool applies, RuleApplies(rule, path, capabilities));
      if (!applies) continue;
      Json converted = Json::object();
      for (const char* key : {"names", "action", "errnoRet", "args"}) {
        if (auto r = rule.find(key); r != rule.end()) converted[key] = *r;
      }
      auto name = rule.find("name");
      if (name != rule.end() && !name->is_null()) {
        if (!name->is_string())
          return oci::JsonError(oci::JsonField(path, "name"), "must be a string");
        if (!converted.contains("names") || converted["names"].is_null()) {
          converted["names"] = Json::array();
        }
        converted["names"].push_back(*name);
      }
      syscalls.push_back(std::move(converted));
    }
  }
  out["syscalls"] = std::move(syscalls);
  return out;
}

}  // namespace

absl::StatusOr<oci::Seccomp> ParseSeccompProfile(absl::string_view json,
                                                 const std::vector<std::string>& capabilities) {
  absl::StatusOr<Json> profile = oci::ParseJson(json);
  if (!profile.ok()) return ProfileError(profile.status().message());
  absl::StatusOr<Json> seccomp = ToRuntimeSeccomp(*profile, capabilities);
  if (!seccomp.ok()) return ProfileError(seccomp.status().message());
  // The spec library owns the linux.seccomp decoder and its validation; a minimal
  // config.json carrying the profile goes through both.
  Json config = {{"ociVersion", std::string(oci::kOciVersion)},
                 {"root", {{"path", "rootfs"}}},
                 {"linux", {{"seccomp", *seccomp}}}};
  absl::StatusOr<oci::Spec> spec = oci::ParseSpec(config.dump());
  if (!spec.ok()) return ProfileError(spec.status().message());
  if (!spec->linux_config.seccomp.has_value()) return ProfileError("empty profile");
  return *std::move(spec->linux_config.seccomp);
}

}  // namespace berth::runtime
