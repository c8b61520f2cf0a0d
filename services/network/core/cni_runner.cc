#include "services/network/core/cni_runner.h"

#include <unistd.h>

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"
#include "services/network/core/program_runner.h"

namespace berth::network {

CniRunner::CniRunner(std::vector<std::string> plugin_dirs, absl::Duration timeout)
    : plugin_dirs_(std::move(plugin_dirs)), timeout_(timeout) {}

nlohmann::json CniRunner::PluginConfig(const nlohmann::json& conflist, const nlohmann::json& plugin,
                                       const nlohmann::json& runtime_config,
                                       const nlohmann::json& prev_result) {
  nlohmann::json config = plugin;
  config["name"] = conflist.value("name", "");
  config["cniVersion"] = conflist.value("cniVersion", "");
  nlohmann::json granted = nlohmann::json::object();
  if (plugin.contains("capabilities") && plugin["capabilities"].is_object()) {
    for (const auto& [capability, enabled] : plugin["capabilities"].items()) {
      if (enabled == true && runtime_config.contains(capability)) {
        granted[capability] = runtime_config[capability];
      }
    }
    config.erase("capabilities");
  }
  if (!granted.empty()) config["runtimeConfig"] = granted;
  if (!prev_result.is_null()) config["prevResult"] = prev_result;
  return config;
}

absl::Status CniError(const std::string& plugin, int exit_code, const std::string& stdout_text,
                      const std::string& stderr_text) {
  auto error = nlohmann::json::parse(stdout_text, nullptr, false);
  std::string message;
  if (error.is_object() && error.contains("msg")) {
    message = error.value("msg", "");
    std::string details = error.value("details", "");
    if (!details.empty()) absl::StrAppend(&message, ": ", details);
    if (error.contains("code"))
      absl::StrAppend(&message, " (CNI error ", error["code"].dump(), ")");
  } else {
    message =
        std::string(absl::StripAsciiWhitespace(stderr_text.empty() ? stdout_text : stderr_text));
    absl::StrAppend(&message, " (exit status ", exit_code, ")");
  }
  return absl::InternalError(absl::StrCat("CNI plugin ", plugin, ": ", message));
}

absl::StatusOr<nlohmann::json> CniRunner::Invoke(const std::string& command,
                                                 const nlohmann::json& plugin_config,
                                                 const CniAttachment& attachment) const {
  const std::string type = plugin_config.value("type", "");
  std::string binary;
  for (const std::string& dir : plugin_dirs_) {
    std::string candidate = dir + "/" + type;
    if (!type.empty() && type.find('/') == std::string::npos &&
        ::access(candidate.c_str(), X_OK) == 0) {
      binary = candidate;
      break;
    }
  }
  if (binary.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("CNI plugin \"", type, "\" not found in ", absl::StrJoin(plugin_dirs_, ":")));
  }
  const char* path = std::getenv("PATH");
  std::vector<std::string> env = {
      "CNI_COMMAND=" + command,
      "CNI_CONTAINERID=" + attachment.container_id,
      "CNI_NETNS=" + attachment.netns_path,
      "CNI_IFNAME=" + attachment.interface,
      "CNI_PATH=" + absl::StrJoin(plugin_dirs_, ":"),
      // Plugins exec iptables and ip through PATH.
      absl::StrCat("PATH=", path != nullptr ? path : "/usr/sbin:/usr/bin:/sbin:/bin"),
  };
  BERTH_ASSIGN_OR_RETURN(ProgramOutput output,
                         RunProgram({binary}, env, plugin_config.dump(), timeout_));
  if (output.exit_code != 0) return CniError(type, output.exit_code, output.out, output.err);
  if (command != "ADD") return nlohmann::json();
  auto result = nlohmann::json::parse(output.out, nullptr, false);
  if (!result.is_object()) {
    return absl::InternalError(
        absl::StrCat("CNI plugin ", type, " answered ADD with no JSON result: ", output.out));
  }
  return result;
}

absl::StatusOr<nlohmann::json> CniRunner::Add(const nlohmann::json& conflist,
                                              const CniAttachment& attachment) const {
  nlohmann::json result;
  for (const nlohmann::json& plugin : conflist.value("plugins", nlohmann::json::array())) {
    nlohmann::json config = PluginConfig(conflist, plugin, attachment.runtime_config, result);
    BERTH_ASSIGN_OR_RETURN(result, Invoke("ADD", config, attachment));
  }
  return result;
}

absl::Status CniRunner::Del(const nlohmann::json& conflist, const CniAttachment& attachment,
                            const nlohmann::json& prev_result) const {
  const nlohmann::json plugins = conflist.value("plugins", nlohmann::json::array());
  absl::Status first_error;
  // Every plugin gets its DEL even when one fails, so as much as possible is released.
  for (auto it = plugins.rbegin(); it != plugins.rend(); ++it) {
    nlohmann::json config = PluginConfig(conflist, *it, attachment.runtime_config, prev_result);
    first_error.Update(Invoke("DEL", config, attachment).status());
  }
  return first_error;
}

absl::Status CniRunner::Check(const nlohmann::json& conflist, const CniAttachment& attachment,
                              const nlohmann::json& prev_result) const {
  for (const nlohmann::json& plugin : conflist.value("plugins", nlohmann::json::array())) {
    nlohmann::json config = PluginConfig(conflist, plugin, attachment.runtime_config, prev_result);
    BERTH_RETURN_IF_ERROR(Invoke("CHECK", config, attachment).status());
  }
  return absl::OkStatus();
}

}  // namespace berth::network
