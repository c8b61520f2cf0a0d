// The network service's records in its own SQLite database (<network-root>/network.db,
// WAL): networks per namespace, endpoints, and container sandboxes.
// Thread-safe: calls are serialized on one connection.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/sqlite.h"
#include "services/network/core/network_record.h"

namespace berth::network {

class NetworkStore {
 public:
  static absl::StatusOr<std::unique_ptr<NetworkStore>> Open(const std::string& path);

  // AlreadyExists "network with name <name> already exists" when the name is taken in
  // the namespace.
  absl::Status InsertNetwork(const NetworkRecord& network);
  // A namespace's networks by name; every namespace's when `ns` is nullopt.
  absl::StatusOr<std::vector<NetworkRecord>> ListNetworks(std::optional<std::string> ns);
  absl::Status DeleteNetwork(absl::string_view id);

  absl::Status InsertEndpoint(const EndpointRecord& endpoint);
  // Filters are ANDed; an empty one matches everything.
  absl::StatusOr<std::vector<EndpointRecord>> ListEndpoints(absl::string_view container_id,
                                                            absl::string_view network_id);
  absl::Status DeleteEndpoint(absl::string_view id);

  absl::Status PutSandbox(const SandboxRecord& sandbox);  // insert or replace
  // nullopt when the container has none.
  absl::StatusOr<std::optional<SandboxRecord>> GetSandbox(absl::string_view container_id);
  absl::StatusOr<std::vector<SandboxRecord>> ListSandboxes();
  absl::Status DeleteSandbox(absl::string_view container_id);

 private:
  explicit NetworkStore(sqlite::Database db) : db_(std::move(db)) {}

  std::mutex mu_;
  sqlite::Database db_;
};

}  // namespace berth::network
