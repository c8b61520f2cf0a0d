// A bridge network as the CNI configuration list berth runs for it: bridge (with
// host-local IPAM), portmap and tuning from containernetworking-plugins. Masquerading and
// the FORWARD rules are the network's own (BridgeIsolation), not per-container plugin
// work.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "services/network/core/network_record.h"

namespace berth::network {

// The CNI spec version berth writes; Debian 12's plugins (1.1.1) speak 0.1.0–1.0.0.
inline constexpr char kCniVersion[] = "1.0.0";

// The CNI network name of `network`: host-local keeps its reservations per name, and
// the default `bridge` shares one across namespaces (one Linux bridge, one subnet).
std::string CniNetworkName(const NetworkRecord& network);

// The conflist for a bridge network; host-local keeps its state under `ipam_data_dir`.
// InvalidArgument for a network that is not a bridge or has a malformed subnet.
absl::StatusOr<nlohmann::json> RenderConflist(const NetworkRecord& network,
                                              const std::string& ipam_data_dir);

// `conflist` without the plugins that have nothing to do for one endpoint: portmap
// when it publishes no port, tuning when it sets no MAC. Each is a plugin exec on ADD
// and on DEL saved; DEL runs the list ADD ran (stored with the endpoint).
nlohmann::json PluginsWithWork(const nlohmann::json& conflist, bool publishes_ports, bool sets_mac);

}  // namespace berth::network
