// The files a container gets from its runtime rather than its image: /etc/hostname,
// /etc/hosts and /etc/resolv.conf, written under <root>/containers/<id>/ and bound into
// the container by its spec. (The network service takes these over once containers get
// networks of their own.)
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace berth::runtime {

struct NameFiles {
  std::string hostname_path;
  std::string hosts_path;
  std::string resolv_conf_path;
};

// Docker's /etc/hosts: the loopback names, `extra_hosts` ("name:ip"), the container's own
// name on 127.0.1.1 while it has no network address (so that it resolves).
std::string HostsFileText(absl::string_view hostname, const std::vector<std::string>& extra_hosts);

// The host's resolv.conf without loopback name servers (they would be the container's
// own loopback); with none left, Docker's public fallbacks. `dns`, `dns_search` and
// `dns_options` replace the host's lines of that kind.
std::string ResolvConfText(absl::string_view host_resolv_conf, const std::vector<std::string>& dns,
                           const std::vector<std::string>& dns_search,
                           const std::vector<std::string>& dns_options);

absl::StatusOr<NameFiles> WriteNameFiles(const std::string& dir, absl::string_view hostname,
                                         const std::vector<std::string>& extra_hosts,
                                         const std::vector<std::string>& dns,
                                         const std::vector<std::string>& dns_search,
                                         const std::vector<std::string>& dns_options);

}  // namespace berth::runtime
