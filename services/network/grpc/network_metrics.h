// The network service's Prometheus metrics: networks, endpoints and IPAM addresses in
// use (computed at scrape time) and an attach/detach duration histogram.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/registry.h>

#include <functional>
#include <memory>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/network/core/network_store.h"

namespace berth::network {

// berth_network_endpoint_operation_duration_seconds{operation="attach|detach",driver}.
std::function<void(absl::string_view operation, absl::string_view driver, absl::Duration took)>
RegisterEndpointDurationHistogram(std::shared_ptr<prometheus::Registry> registry);

// berth_network_networks, berth_network_endpoints and
// berth_network_ipam_addresses_in_use{network,namespace}. `owner` keeps the store alive.
std::shared_ptr<prometheus::Collectable> MakeNetworkCollector(NetworkStore* store,
                                                              std::shared_ptr<void> owner);

}  // namespace berth::network
