#include "shim/oci/process_plan.h"

#include <sys/personality.h>

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/status_macros.h"
#include "shim/oci/capabilities.h"

namespace berth::oci {

absl::StatusOr<int> RlimitResource(const std::string& name) {
  static const std::pair<const char*, int> kTable[] = {{"RLIMIT_AS", RLIMIT_AS},
                                                       {"RLIMIT_CORE", RLIMIT_CORE},
                                                       {"RLIMIT_CPU", RLIMIT_CPU},
                                                       {"RLIMIT_DATA", RLIMIT_DATA},
                                                       {"RLIMIT_FSIZE", RLIMIT_FSIZE},
                                                       {"RLIMIT_LOCKS", RLIMIT_LOCKS},
                                                       {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
                                                       {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
                                                       {"RLIMIT_NICE", RLIMIT_NICE},
                                                       {"RLIMIT_NOFILE", RLIMIT_NOFILE},
                                                       {"RLIMIT_NPROC", RLIMIT_NPROC},
                                                       {"RLIMIT_RSS", RLIMIT_RSS},
                                                       {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
                                                       {"RLIMIT_RTTIME", RLIMIT_RTTIME},
                                                       {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
                                                       {"RLIMIT_STACK", RLIMIT_STACK}};
  for (const auto& [known, resource] : kTable) {
    if (name == known) return resource;
  }
  return absl::InvalidArgumentError(absl::StrCat("process.rlimits: unknown type \"", name, "\""));
}

absl::StatusOr<ProcessPlan> PlanProcess(const Spec& spec) {
  if (!spec.process.has_value()) return absl::InvalidArgumentError("config.json has no process");
  const Process& process = *spec.process;
  ProcessPlan plan;
  for (const std::string& arg : process.args) plan.argv.push_back(plan.Keep(arg));
  plan.argv.push_back(nullptr);
  for (const std::string& env : process.env) {
    plan.envp.push_back(plan.Keep(env));
    if (absl::StartsWith(env, "PATH=")) plan.search_path = plan.envp.back() + 5;
  }
  plan.envp.push_back(nullptr);
  if (plan.search_path == nullptr) {
    plan.search_path = plan.Keep("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  }
  plan.cwd = plan.Keep(process.cwd.empty() ? "/" : process.cwd);
  plan.uid = process.user.uid;
  plan.gid = process.user.gid;
  // The primary group is a supplementary group too (CVE-2023-25173's lesson).
  plan.groups.push_back(process.user.gid);
  for (uint32_t gid : process.user.additional_gids) {
    if (std::find(plan.groups.begin(), plan.groups.end(), gid) == plan.groups.end()) {
      plan.groups.push_back(gid);
    }
  }
  if (process.user.umask.has_value()) plan.umask = static_cast<int>(*process.user.umask & 0777);
  const Capabilities& caps = process.capabilities;
  plan.bounding = CapabilityMask(caps.bounding);
  plan.effective = CapabilityMask(caps.effective);
  plan.permitted = CapabilityMask(caps.permitted);
  plan.inheritable = CapabilityMask(caps.inheritable);
  plan.ambient = CapabilityMask(caps.ambient);
  plan.last_cap = LastSupportedCapability();
  for (const Rlimit& limit : process.rlimits) {
    auto resource = RlimitResource(limit.type);
    if (!resource.ok()) return resource.status();
    plan.rlimits.push_back({*resource, rlimit{limit.soft, limit.hard}});
  }
  plan.no_new_privileges = process.no_new_privileges;
  plan.terminal = process.terminal;
  if (process.console_size.has_value()) {
    plan.console_rows = static_cast<unsigned short>(process.console_size->height);
    plan.console_cols = static_cast<unsigned short>(process.console_size->width);
  }
  if (process.oom_score_adj.has_value()) {
    plan.has_oom_score_adj = true;
    plan.oom_score_adj = *process.oom_score_adj;
  }
  for (const auto& [key, value] : spec.linux_config.sysctl) {
    if (absl::StrContains(key, "..") || absl::StrContains(key, "/")) {
      return absl::InvalidArgumentError(absl::StrCat("linux.sysctl: invalid key \"", key, "\""));
    }
    std::string path = "/proc/sys/" + absl::StrReplaceAll(key, {{".", "/"}});
    plan.sysctls.push_back({plan.Keep(path), plan.Keep(value)});
  }
  if (spec.linux_config.personality.has_value()) {
    // The domains the runtime-spec defines (ValidateSpec refuses others and any flag).
    const std::string& domain = spec.linux_config.personality->domain;
    if (domain != "LINUX" && domain != "LINUX32") {
      return absl::InvalidArgumentError(
          absl::StrCat("linux.personality.domain: unknown \"", domain, "\""));
    }
    plan.personality = domain == "LINUX32" ? PER_LINUX32 : PER_LINUX;
  }
  if (spec.linux_config.seccomp.has_value()) {
    BERTH_ASSIGN_OR_RETURN(plan.seccomp, CompileSeccomp(*spec.linux_config.seccomp));
  }
  return plan;
}

}  // namespace berth::oci
