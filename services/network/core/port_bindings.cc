#include "services/network/core/port_bindings.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/file_text.h"
#include "common/unique_fd.h"

namespace berth::network {
namespace {

bool SameHostIp(const std::string& a, const std::string& b) {
  auto any = [](const std::string& ip) { return ip.empty() || ip == "0.0.0.0" || ip == "::"; };
  return a == b || any(a) || any(b);
}

bool Collides(const std::vector<PortBinding>& taken, const std::string& host_ip, uint16_t port,
              const std::string& protocol) {
  for (const PortBinding& b : taken) {
    if (b.host_port == port && b.protocol == protocol && SameHostIp(b.host_ip, host_ip)) {
      return true;
    }
  }
  return false;
}

std::string Address(const std::string& host_ip) { return host_ip.empty() ? "0.0.0.0" : host_ip; }

}  // namespace

bool CanBindHostPort(const std::string& host_ip, uint16_t port, const std::string& protocol) {
  const bool v6 = host_ip.find(':') != std::string::npos;
  const int type = protocol == "udp" ? SOCK_DGRAM : SOCK_STREAM;
  UniqueFd sock(::socket(v6 ? AF_INET6 : AF_INET, type | SOCK_CLOEXEC, 0));
  if (!sock) return false;
  int yes = 1;
  ::setsockopt(sock.get(), SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  if (v6) {
    sockaddr_in6 addr{};
    addr.sin6_family = AF_INET6;
    addr.sin6_port = htons(port);
    if (::inet_pton(AF_INET6, host_ip.c_str(), &addr.sin6_addr) != 1) return false;
    return ::bind(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (::inet_pton(AF_INET, Address(host_ip).c_str(), &addr.sin_addr) != 1) return false;
  return ::bind(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
}

std::pair<uint16_t, uint16_t> EphemeralPortRange() {
  auto text = ReadFileText("/proc/sys/net/ipv4/ip_local_port_range");
  std::vector<absl::string_view> fields;
  if (text.ok()) fields = absl::StrSplit(*text, absl::ByAnyChar(" \t\n"), absl::SkipEmpty());
  uint32_t low = 0, high = 0;
  if (fields.size() == 2 && absl::SimpleAtoi(fields[0], &low) &&
      absl::SimpleAtoi(fields[1], &high) && low > 0 && low <= high && high <= 65535) {
    return {static_cast<uint16_t>(low), static_cast<uint16_t>(high)};
  }
  return {32768, 60999};
}

absl::StatusOr<std::pair<uint16_t, std::string>> ParseExposedPort(absl::string_view text) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, '/');
  uint32_t port = 0;
  std::string protocol = parts.size() > 1 ? std::string(parts[1]) : "tcp";
  if (parts.size() > 2 || !absl::SimpleAtoi(parts[0], &port) || port == 0 || port > 65535 ||
      (protocol != "tcp" && protocol != "udp" && protocol != "sctp")) {
    return absl::InvalidArgumentError(absl::StrCat("invalid exposed port: ", text));
  }
  return std::make_pair(static_cast<uint16_t>(port), protocol);
}

absl::StatusOr<std::vector<PortBinding>> BindPorts(const PortPlan& plan, const PortProbe& probe) {
  std::vector<PortBinding> bound;
  std::vector<PortBinding> taken = plan.in_use;
  auto free = [&](const std::string& ip, uint16_t port, const std::string& protocol) {
    return !Collides(taken, ip, port, protocol) && probe(ip, port, protocol);
  };
  auto add = [&](const std::string& ip, uint16_t host, uint16_t container,
                 const std::string& protocol) {
    PortBinding binding{ip, host, container, protocol};
    bound.push_back(binding);
    taken.push_back(binding);
  };
  // The lowest free port in [low, high].
  auto pick = [&](const std::string& ip, uint16_t low, uint16_t high,
                  const std::string& protocol) -> absl::StatusOr<uint16_t> {
    for (uint32_t port = low; port <= high; ++port) {
      if (free(ip, static_cast<uint16_t>(port), protocol)) return static_cast<uint16_t>(port);
    }
    return absl::ResourceExhaustedError(
        absl::StrCat("no free host port in ", low, "-", high, " for ", Address(ip), "/", protocol));
  };
  auto taken_error = [](const std::string& ip, uint16_t port) {
    return absl::FailedPreconditionError(
        absl::StrCat("driver failed programming external connectivity: Bind for ", Address(ip), ":",
                     port, " failed: port is already allocated"));
  };

  std::vector<std::pair<uint16_t, std::string>> published;
  for (const PortRequest& r : plan.requests) {
    if (r.container_port == 0) return absl::InvalidArgumentError("container port 0 is not valid");
    const uint16_t container_end = r.container_port_end ? r.container_port_end : r.container_port;
    if (container_end < r.container_port || (r.host_port_end && r.host_port_end < r.host_port)) {
      return absl::InvalidArgumentError("invalid port range");
    }
    const int count = container_end - r.container_port + 1;
    const int host_count = r.host_port_end ? r.host_port_end - r.host_port + 1 : 1;
    if (r.host_port != 0 && count > 1 && host_count != count) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid ranges specified for container and host Ports: ", r.container_port,
                       "-", container_end, " and ", r.host_port, "-", r.host_port_end));
    }
    for (int i = 0; i < count; ++i) {
      const uint16_t container = static_cast<uint16_t>(r.container_port + i);
      uint16_t host = 0;
      if (r.host_port == 0) {
        auto port = pick(r.host_ip, plan.ephemeral.first, plan.ephemeral.second, r.protocol);
        if (!port.ok()) return port.status();
        host = *port;
      } else if (count == 1 && host_count > 1) {
        auto port = pick(r.host_ip, r.host_port, r.host_port_end, r.protocol);
        if (!port.ok()) return taken_error(r.host_ip, r.host_port);
        host = *port;
      } else {
        host = static_cast<uint16_t>(r.host_port + i);
        if (!free(r.host_ip, host, r.protocol)) return taken_error(r.host_ip, host);
      }
      add(r.host_ip, host, container, r.protocol);
      published.emplace_back(container, r.protocol);
    }
  }
  if (plan.publish_all) {
    for (const std::string& text : plan.exposed) {
      auto exposed = ParseExposedPort(text);
      if (!exposed.ok()) return exposed.status();
      if (std::find(published.begin(), published.end(), *exposed) != published.end()) continue;
      auto port = pick("", plan.ephemeral.first, plan.ephemeral.second, exposed->second);
      if (!port.ok()) return port.status();
      add("", *port, exposed->first, exposed->second);
      published.push_back(*exposed);
    }
  }
  return bound;
}

}  // namespace berth::network
