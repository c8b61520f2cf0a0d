// The name files a container gets bind-mounted: /etc/hosts, /etc/resolv.conf and
// /etc/hostname, written as Docker 20.10 (Debian 12's docker.io) writes them.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace berth::network {

// One /etc/hosts line: "<ip>\t<names>".
struct HostsEntry {
  std::string ip;
  std::string names;  // space-separated
};

// "name:ip" (Docker's --add-host; "name=ip" too); ip "host-gateway" becomes
// `host_gateway`. InvalidArgument in Docker's words for a malformed one.
absl::StatusOr<HostsEntry> ParseExtraHost(absl::string_view spec, absl::string_view host_gateway);

// The container's own line: "<ip>\t<fqdn> <short>" ("<ip>\t<hostname>" without a dot).
HostsEntry OwnHostsEntry(absl::string_view ip, absl::string_view hostname,
                         absl::string_view domainname);

// Docker's file: the six default lines, `extra` (--add-host), the container's own
// entries, then `peers` (berth's names of other containers on its user networks).
std::string RenderHostsFile(const std::vector<HostsEntry>& extra,
                            const std::vector<HostsEntry>& own,
                            const std::vector<HostsEntry>& peers);

struct DnsSettings {
  std::vector<std::string> servers;
  std::vector<std::string> search;
  std::vector<std::string> options;
};

// Docker's rule: with any of --dns/--dns-search/--dns-option, a file built from those
// (the host's values for the ones not given); else the host's file without loopback
// nameservers, with Google's public resolvers when none remain.
std::string RenderResolvConf(absl::string_view host_resolv_conf, const DnsSettings& settings);

// The host's resolv.conf text: systemd-resolved's upstream file when /etc/resolv.conf
// points at its stub (127.0.0.53), else /etc/resolv.conf; "" when neither exists.
std::string ReadHostResolvConf();

// Rewrites `path` in place (same inode: the file is bind-mounted into a container).
absl::Status RewriteFileInPlace(const std::string& path, absl::string_view text);

}  // namespace berth::network
