// Turns publish requests (-p forms, -P) into the host ports a container is bound on:
// ranges mapped one to one, zero host ports and -P given ephemeral ports, and every
// port checked free against berth's other bindings and the host's sockets.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/network/core/network_record.h"

namespace berth::network {

// One -p request (the API's PortMapping without protobuf).
struct PortRequest {
  std::string host_ip;
  uint16_t host_port = 0;      // 0: an ephemeral port
  uint16_t host_port_end = 0;  // with a single container port: pick one free port in range
  uint16_t container_port = 0;
  uint16_t container_port_end = 0;  // a range mapped one to one onto the host range
  std::string protocol = "tcp";
};

// Whether (host ip, port, protocol) can be bound: the real check binds a socket.
using PortProbe =
    std::function<bool(const std::string& host_ip, uint16_t port, const std::string& protocol)>;
bool CanBindHostPort(const std::string& host_ip, uint16_t port, const std::string& protocol);

// The kernel's ephemeral range, /proc/sys/net/ipv4/ip_local_port_range (32768–60999
// when it cannot be read).
std::pair<uint16_t, uint16_t> EphemeralPortRange();

// "80/tcp", "53/udp", "8080" (tcp) → port and protocol.
absl::StatusOr<std::pair<uint16_t, std::string>> ParseExposedPort(absl::string_view text);

struct PortPlan {
  std::vector<PortRequest> requests;
  bool publish_all = false;
  std::vector<std::string> exposed;  // what publish_all publishes, "80/tcp"
  std::vector<PortBinding> in_use;   // berth's other containers' bindings
  std::pair<uint16_t, uint16_t> ephemeral = {32768, 60999};
};

// The bindings, in request order then exposed order. InvalidArgument for malformed
// ranges; FailedPrecondition, in Docker's words, when a requested port is taken.
absl::StatusOr<std::vector<PortBinding>> BindPorts(const PortPlan& plan, const PortProbe& probe);

}  // namespace berth::network
