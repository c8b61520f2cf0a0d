// A network namespace's interface counters, as /proc/<pid>/net/dev shows them.
#pragma once

#include <string>
#include <vector>

#include "berth/types/v1/metrics.pb.h"

namespace berth::shim {

// Every interface of the `/proc/<pid>/net/dev` text but loopback (cAdvisor leaves it out
// too). Lines that do not parse are skipped.
std::vector<types::v1::NetworkInterfaceStats> ParseNetDev(const std::string& text);

}  // namespace berth::shim
