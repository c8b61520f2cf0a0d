// How berthctl shows networks: `network inspect`'s JSON (Docker's shape) and the
// fields `network ls` tables and templates use.
#pragma once

#include "berth/network/v1/network.pb.h"
#include "nlohmann/json.hpp"

namespace berth::ctl {

// One element of `docker network inspect`'s array.
nlohmann::ordered_json NetworkInspectJson(const network::v1::Network& network);

// ID (12 hex unless `no_trunc`), Name, Driver, Scope, IPv6, Internal, Labels, CreatedAt.
nlohmann::ordered_json NetworkListRow(const network::v1::Network& network, bool no_trunc);

}  // namespace berth::ctl
