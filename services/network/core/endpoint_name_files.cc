// EndpointRegistry's /etc/hosts: the container's own entry and, on user-defined
// networks, its peers'.
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/file_text.h"
#include "common/status_macros.h"
#include "services/network/core/endpoint_registry.h"

namespace berth::network {
namespace {

std::string AddressOf(const std::string& cidr) { return cidr.substr(0, cidr.find('/')); }

}  // namespace

absl::Status EndpointRegistry::WriteNameFiles(const SandboxRecord& sandbox) {
  BERTH_ASSIGN_OR_RETURN(std::vector<EndpointRecord> endpoints,
                         store_->ListEndpoints(sandbox.container_id, ""));
  std::vector<HostsEntry> extra;
  for (const std::string& spec : sandbox.extra_hosts) {
    // Stored as "name:ip" with host-gateway already resolved; the IP may hold colons.
    size_t colon = spec.find(':');
    extra.push_back({spec.substr(colon + 1), spec.substr(0, colon)});
  }
  if (sandbox.netns_path.empty()) {  // host networking: the host's file, as Docker
    std::string text = ReadFileText("/etc/hosts").value_or("");
    if (!text.empty() && text.back() != '\n') text.push_back('\n');
    for (const HostsEntry& e : extra) absl::StrAppend(&text, e.ip, "\t", e.names, "\n");
    return RewriteFileInPlace(sandbox.hosts_path, text);
  }
  std::vector<HostsEntry> own;
  std::vector<HostsEntry> peers;
  std::set<std::string> listed;
  for (const EndpointRecord& e : endpoints) {
    if (e.ipv4.empty()) continue;
    // Docker lists the container's first address only.
    if (own.empty())
      own.push_back(OwnHostsEntry(AddressOf(e.ipv4), sandbox.hostname, sandbox.domainname));
    BERTH_ASSIGN_OR_RETURN(NetworkRecord network, catalog_->Resolve(e.ns, e.network_id));
    if (!HasPeerNames(network)) continue;
    BERTH_ASSIGN_OR_RETURN(std::vector<EndpointRecord> members,
                           store_->ListEndpoints("", e.network_id));
    for (const EndpointRecord& m : members) {
      if (m.container_id == sandbox.container_id || m.ipv4.empty()) continue;
      BERTH_ASSIGN_OR_RETURN(std::optional<SandboxRecord> peer, store_->GetSandbox(m.container_id));
      std::vector<std::string> names;
      if (peer && !peer->name.empty()) names.push_back(peer->name);
      names.insert(names.end(), m.aliases.begin(), m.aliases.end());
      if (names.empty()) continue;
      std::string line = absl::StrCat(AddressOf(m.ipv4), "\t", absl::StrJoin(names, " "));
      if (listed.insert(line).second) {
        peers.push_back({AddressOf(m.ipv4), absl::StrJoin(names, " ")});
      }
    }
  }
  return RewriteFileInPlace(sandbox.hosts_path, RenderHostsFile(extra, own, peers));
}

absl::Status EndpointRegistry::RefreshPeers(const std::vector<std::string>& network_ids,
                                            absl::string_view except_container) {
  absl::Status status;
  std::set<std::string> done = {std::string(except_container)};
  for (const std::string& network_id : network_ids) {
    BERTH_ASSIGN_OR_RETURN(std::vector<EndpointRecord> members,
                           store_->ListEndpoints("", network_id));
    for (const EndpointRecord& m : members) {
      if (!done.insert(m.container_id).second) continue;
      BERTH_ASSIGN_OR_RETURN(std::optional<SandboxRecord> sandbox,
                             store_->GetSandbox(m.container_id));
      if (sandbox) status.Update(WriteNameFiles(*sandbox));
    }
  }
  return status;
}

}  // namespace berth::network
