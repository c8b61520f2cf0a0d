// Runs a CNI configuration list (CNI spec 1.0 "conflist" semantics): ADD plugin by
// plugin threading prevResult, DEL in reverse with the stored result, CHECK in order.
// Each plugin is exec'd with CNI_* in its environment and its config on stdin.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace berth::network {

// One container interface a conflist acts on.
struct CniAttachment {
  std::string container_id;
  std::string netns_path;
  std::string interface = "eth0";
  // runtimeConfig keys (portMappings, mac, ips); a plugin gets those it lists in its
  // "capabilities".
  nlohmann::json runtime_config = nlohmann::json::object();
};

class CniRunner {
 public:
  // Plugins are looked up in `plugin_dirs` in order (which is also CNI_PATH).
  explicit CniRunner(std::vector<std::string> plugin_dirs,
                     absl::Duration timeout = absl::Seconds(60));

  // The final plugin's result. On failure the plugins that did succeed are not undone
  // here: the caller runs Del, which the spec requires plugins to tolerate.
  absl::StatusOr<nlohmann::json> Add(const nlohmann::json& conflist,
                                     const CniAttachment& attachment) const;
  // `prev_result` is what Add returned (null when unknown: plugins then do their best).
  absl::Status Del(const nlohmann::json& conflist, const CniAttachment& attachment,
                   const nlohmann::json& prev_result) const;
  absl::Status Check(const nlohmann::json& conflist, const CniAttachment& attachment,
                     const nlohmann::json& prev_result) const;

  // The config one plugin of a conflist reads on stdin: the plugin's own object plus
  // name, cniVersion, the runtimeConfig it has capabilities for, and prevResult.
  static nlohmann::json PluginConfig(const nlohmann::json& conflist, const nlohmann::json& plugin,
                                     const nlohmann::json& runtime_config,
                                     const nlohmann::json& prev_result);

 private:
  absl::StatusOr<nlohmann::json> Invoke(const std::string& command,
                                        const nlohmann::json& plugin_config,
                                        const CniAttachment& attachment) const;

  std::vector<std::string> plugin_dirs_;
  absl::Duration timeout_;
};

// A plugin's failure as a Status: the CNI error object's msg and details when it
// printed one, else its stderr.
absl::Status CniError(const std::string& plugin, int exit_code, const std::string& stdout_text,
                      const std::string& stderr_text);

}  // namespace berth::network
