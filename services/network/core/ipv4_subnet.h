// IPv4 addresses and CIDR prefixes as the network service allocates them: parsing,
// overlap, and picking a free subnet from Docker-like default pools.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace berth::network {

// "10.1.2.3" → host-order integer. InvalidArgument naming the text.
absl::StatusOr<uint32_t> ParseIpv4(absl::string_view text);
std::string FormatIpv4(uint32_t address);

struct Ipv4Subnet {
  uint32_t address = 0;  // host order; may have host bits set ("10.88.0.1/16")
  int prefix_length = 0;

  uint32_t Mask() const { return prefix_length == 0 ? 0 : ~uint32_t{0} << (32 - prefix_length); }
  uint32_t Network() const { return address & Mask(); }
  uint32_t Broadcast() const { return Network() | ~Mask(); }
  bool Contains(uint32_t ip) const { return (ip & Mask()) == Network(); }
  bool Overlaps(const Ipv4Subnet& other) const;
  std::string ToString() const;           // the masked network: "10.88.0.0/16"
  std::string AddressWithPrefix() const;  // "10.88.0.1/16"
};

// "10.88.0.0/16"; with `require_network` host bits must be zero (Docker's rule for
// --subnet: "invalid subnet 10.1.2.3/16: it should be 10.1.0.0/16").
absl::StatusOr<Ipv4Subnet> ParseIpv4Subnet(absl::string_view cidr, bool require_network = false);

// berth's default pools, in the order Docker tries them: 172.17.0.0/16 … 172.31.0.0/16,
// then the /20s of 192.168.0.0/16.
std::vector<Ipv4Subnet> DefaultSubnetPools();

// The first pool subnet overlapping none of `taken`. ResourceExhausted in Docker's
// words when every pool is used.
absl::StatusOr<Ipv4Subnet> PickFreeSubnet(const std::vector<Ipv4Subnet>& pools,
                                          const std::vector<Ipv4Subnet>& taken);

// Subnets the host routes already (from /proc/net/route, default route excluded), so a
// picked subnet does not shadow the host's own networks.
std::vector<Ipv4Subnet> HostRoutedSubnets(const std::string& proc_net_route = "/proc/net/route");

}  // namespace berth::network
