#include "services/network/grpc/network_host.h"

#include "absl/strings/str_join.h"
#include "berth/network/v1/network.grpc.pb.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "services/network/core/cni_plugins.h"
#include "services/network/core/endpoint_registry.h"
#include "services/network/core/ipv4_subnet.h"
#include "services/network/core/network_catalog.h"
#include "services/network/grpc/endpoints_service.h"
#include "services/network/grpc/network_metrics.h"
#include "services/network/grpc/networks_service.h"

namespace berth::network {
namespace {

// The network service's parts, shared by its gRPC services and destroyed after them.
struct NetworkParts {
  std::unique_ptr<NetworkStore> store;
  BridgeIsolation isolation;
  std::unique_ptr<NetworkCatalog> catalog;
  std::unique_ptr<CniRunner> cni;
  std::unique_ptr<EndpointRegistry> endpoints;
};

// daemon.json's bridge, bip, fixed-cidr and mtu as the default network's settings.
absl::StatusOr<NetworkCatalogOptions> CatalogOptions(const rpc::ServiceSetup& setup) {
  const DaemonConfig& config = *setup.config;
  NetworkCatalogOptions options;
  options.root_dir = setup.root_dir;
  options.cni_config_dir = config.cni_config_dir;
  if (!config.bridge.empty()) options.default_bridge = config.bridge;
  options.mtu = config.mtu;
  options.default_route_via = config.default_gateway;
  if (!config.bip.empty()) {
    BERTH_ASSIGN_OR_RETURN(Ipv4Subnet bip, ParseIpv4Subnet(config.bip));
    options.default_subnet = bip.ToString();
    options.default_gateway = FormatIpv4(bip.address);
  }
  if (!config.fixed_cidr.empty()) {
    BERTH_ASSIGN_OR_RETURN(Ipv4Subnet fixed, ParseIpv4Subnet(config.fixed_cidr));
    if (config.bip.empty()) options.default_subnet = fixed.ToString();
    options.default_ip_range = fixed.ToString();
  }
  return options;
}

}  // namespace

absl::StatusOr<rpc::HostedService> HostNetworkService(const rpc::ServiceSetup& setup) {
  rpc::HostedService hosted;
  hosted.name = "network";
  auto plugins = FindCniPluginDir(setup.config->cni_plugin_dirs);
  if (plugins.ok()) {
    hosted.details["cni_plugin_dir"] = plugins->path;
    hosted.details["cni_plugins"] = absl::StrJoin(plugins->plugins, ",");
  } else {
    // Attach fails clearly without plugins; the rest of berth still works.
    log::Warn("network: no CNI plugins", {{"error", std::string(plugins.status().message())}});
    hosted.details["cni_plugin_dir"] = "";
  }
  hosted.details["cni_config_dir"] = setup.config->cni_config_dir;

  auto parts = std::make_shared<NetworkParts>();
  BERTH_ASSIGN_OR_RETURN(parts->store, NetworkStore::Open(setup.root_dir + "/network.db"));
  BERTH_ASSIGN_OR_RETURN(NetworkCatalogOptions catalog_options, CatalogOptions(setup));
  hosted.details["default_bridge"] = catalog_options.default_bridge;
  hosted.details["default_subnet"] = catalog_options.default_subnet;
  parts->catalog =
      std::make_unique<NetworkCatalog>(parts->store.get(), &parts->isolation, catalog_options);
  parts->cni = std::make_unique<CniRunner>(setup.config->cni_plugin_dirs);
  EndpointRegistryOptions endpoint_options;
  endpoint_options.state_dir = setup.state_dir;
  endpoint_options.daemon_dns = {setup.config->dns, setup.config->dns_search,
                                 setup.config->dns_opts};
  if (setup.metrics) {
    endpoint_options.observe = RegisterEndpointDurationHistogram(setup.metrics);
  }
  parts->endpoints =
      std::make_unique<EndpointRegistry>(parts->store.get(), parts->catalog.get(), parts->cni.get(),
                                         &parts->isolation, std::move(endpoint_options));
  // iptables rules do not survive a reboot; the networks do.
  if (absl::Status restored = parts->catalog->RestoreFirewall(); !restored.ok()) {
    log::Warn("network: isolation rules", {{"error", std::string(restored.message())}});
  }

  hosted.owned.push_back(parts);
  if (setup.metrics) {
    hosted.collectables.push_back(MakeNetworkCollector(parts->store.get(), parts));
  }
  hosted.Add<v1::Networks>(
      std::make_unique<NetworksService>(parts->catalog.get(), parts->endpoints.get()));
  hosted.Add<v1::Endpoints>(
      std::make_unique<EndpointsService>(parts->catalog.get(), parts->endpoints.get()));
  return hosted;
}

}  // namespace berth::network
