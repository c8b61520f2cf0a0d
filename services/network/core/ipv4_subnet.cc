#include "services/network/core/ipv4_subnet.h"

#include <arpa/inet.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/file_text.h"

namespace berth::network {

absl::StatusOr<uint32_t> ParseIpv4(absl::string_view text) {
  in_addr parsed{};
  std::string copy(text);
  if (::inet_pton(AF_INET, copy.c_str(), &parsed) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("invalid IPv4 address: ", text));
  }
  return ntohl(parsed.s_addr);
}

std::string FormatIpv4(uint32_t address) {
  return absl::StrCat(address >> 24, ".", (address >> 16) & 0xff, ".", (address >> 8) & 0xff, ".",
                      address & 0xff);
}

bool Ipv4Subnet::Overlaps(const Ipv4Subnet& other) const {
  return Contains(other.Network()) || other.Contains(Network());
}

std::string Ipv4Subnet::ToString() const {
  return absl::StrCat(FormatIpv4(Network()), "/", prefix_length);
}

std::string Ipv4Subnet::AddressWithPrefix() const {
  return absl::StrCat(FormatIpv4(address), "/", prefix_length);
}

absl::StatusOr<Ipv4Subnet> ParseIpv4Subnet(absl::string_view cidr, bool require_network) {
  std::vector<absl::string_view> parts = absl::StrSplit(cidr, '/');
  int length = 0;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[1], &length) || length < 0 || length > 32) {
    return absl::InvalidArgumentError(absl::StrCat("invalid CIDR address: ", cidr));
  }
  auto address = ParseIpv4(parts[0]);
  if (!address.ok())
    return absl::InvalidArgumentError(absl::StrCat("invalid CIDR address: ", cidr));
  Ipv4Subnet subnet{*address, length};
  if (require_network && subnet.Network() != subnet.address) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid subnet ", cidr, ": it should be ", subnet.ToString()));
  }
  return subnet;
}

std::vector<Ipv4Subnet> DefaultSubnetPools() {
  std::vector<Ipv4Subnet> pools;
  for (uint32_t second = 17; second <= 31; ++second) {
    pools.push_back({(172u << 24) | (second << 16), 16});
  }
  for (uint32_t third = 0; third < 256; third += 16) {
    pools.push_back({(192u << 24) | (168u << 16) | (third << 8), 20});
  }
  return pools;
}

absl::StatusOr<Ipv4Subnet> PickFreeSubnet(const std::vector<Ipv4Subnet>& pools,
                                          const std::vector<Ipv4Subnet>& taken) {
  for (const Ipv4Subnet& pool : pools) {
    bool free = true;
    for (const Ipv4Subnet& used : taken) free = free && !pool.Overlaps(used);
    if (free) return pool;
  }
  return absl::ResourceExhaustedError(
      "could not find an available, non-overlapping IPv4 address pool among the defaults to "
      "assign to the network");
}

std::vector<Ipv4Subnet> HostRoutedSubnets(const std::string& proc_net_route) {
  std::vector<Ipv4Subnet> subnets;
  auto text = ReadFileText(proc_net_route);
  if (!text.ok()) return subnets;
  bool header = true;
  for (absl::string_view line : absl::StrSplit(*text, '\n', absl::SkipEmpty())) {
    if (std::exchange(header, false)) continue;
    std::vector<absl::string_view> fields = absl::StrSplit(line, '\t', absl::SkipWhitespace());
    if (fields.size() < 8) continue;
    uint32_t destination = 0, mask = 0;
    if (!absl::SimpleHexAtoi(fields[1], &destination) || !absl::SimpleHexAtoi(fields[7], &mask)) {
      continue;
    }
    if (mask == 0) continue;  // the default route
    // The kernel prints network byte order as a native integer.
    subnets.push_back({ntohl(destination), __builtin_popcount(mask)});
  }
  return subnets;
}

}  // namespace berth::network
