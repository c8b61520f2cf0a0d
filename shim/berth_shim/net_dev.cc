#include "shim/berth_shim/net_dev.h"

#include <cstdint>
#include <cstdio>
#include <sstream>

namespace berth::shim {

std::vector<types::v1::NetworkInterfaceStats> ParseNetDev(const std::string& text) {
  std::vector<types::v1::NetworkInterfaceStats> out;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;  // the two header lines
    std::string name = line.substr(0, colon);
    name.erase(0, name.find_first_not_of(' '));
    if (name.empty() || name == "lo") continue;
    // Receive: bytes packets errs drop fifo frame compressed multicast; then transmit:
    // bytes packets errs drop fifo colls carrier compressed.
    uint64_t v[16];
    std::istringstream fields(line.substr(colon + 1));
    int read = 0;
    while (read < 16 && fields >> v[read]) ++read;
    if (read != 16) continue;
    types::v1::NetworkInterfaceStats stats;
    stats.set_name(name);
    stats.set_rx_bytes(v[0]);
    stats.set_rx_packets(v[1]);
    stats.set_rx_errors(v[2]);
    stats.set_rx_dropped(v[3]);
    stats.set_tx_bytes(v[8]);
    stats.set_tx_packets(v[9]);
    stats.set_tx_errors(v[10]);
    stats.set_tx_dropped(v[11]);
    out.push_back(std::move(stats));
  }
  return out;
}

}  // namespace berth::shim
