#include "services/network/grpc/network_host.h"

#include "absl/strings/str_join.h"
#include "berth/network/v1/network.grpc.pb.h"
#include "common/log.h"
#include "services/network/core/cni_plugins.h"

namespace berth::network {

absl::StatusOr<rpc::HostedService> HostNetworkService(const rpc::ServiceSetup& setup) {
  rpc::HostedService hosted;
  hosted.name = "network";
  hosted.AddPending<v1::Networks>();
  hosted.AddPending<v1::Endpoints>();
  auto plugins = FindCniPluginDir(setup.config->cni_plugin_dirs);
  if (plugins.ok()) {
    hosted.details["cni_plugin_dir"] = plugins->path;
    hosted.details["cni_plugins"] = absl::StrJoin(plugins->plugins, ",");
  } else {
    // Networking degrades to `none` without plugins; the rest of berth still works.
    log::Warn("network: no CNI plugins", {{"error", std::string(plugins.status().message())}});
    hosted.details["cni_plugin_dir"] = "";
  }
  hosted.details["cni_config_dir"] =
      setup.config->cni_config_dir.empty() ? setup.root_dir + "/cni" : setup.config->cni_config_dir;
  return hosted;
}

}  // namespace berth::network
