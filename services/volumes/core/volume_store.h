// The volume service's records in its own SQLite database (<volumes-root>/metadata.db):
// volumes per namespace, which containers reference which volume, and each container's
// resolved mounts (what `--volumes-from` copies and what survives a restart).
// Thread-safe: calls are serialized on one connection.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/sqlite.h"
#include "services/volumes/core/volume.h"

namespace berth::volumes {

class VolumeStore {
 public:
  static absl::StatusOr<std::unique_ptr<VolumeStore>> Open(const std::string& path);

  // AlreadyExists when the namespace has a volume of that name.
  absl::Status Create(absl::string_view ns, const Volume& volume);
  // NotFound "get <name>: no such volume" (Docker's words).
  absl::StatusOr<Volume> Get(absl::string_view ns, absl::string_view name);
  // The namespace's volumes by name.
  absl::StatusOr<std::vector<Volume>> List(absl::string_view ns);
  // FailedPrecondition while a container references it; NotFound when absent.
  absl::Status Delete(absl::string_view ns, absl::string_view name);

  // Containers referencing the volume, sorted.
  absl::StatusOr<std::vector<std::string>> Users(absl::string_view ns, absl::string_view name);
  // Volume name → number of containers referencing it (volumes without users absent).
  absl::StatusOr<std::map<std::string, int>> ReferenceCounts(absl::string_view ns);

  // Records the container's mounts and makes it a user of every volume among them,
  // replacing what was recorded for it before.
  absl::Status SaveContainer(absl::string_view ns, absl::string_view container_id,
                             const std::vector<ResolvedMount>& mounts);
  // NotFound when nothing is recorded for the container.
  absl::StatusOr<std::vector<ResolvedMount>> ContainerMounts(absl::string_view ns,
                                                             absl::string_view container_id);
  // Drops the container's mounts and references; returns the volumes it referenced.
  absl::StatusOr<std::vector<std::string>> ForgetContainer(absl::string_view ns,
                                                           absl::string_view container_id);
  // Namespaces holding at least one volume, sorted.
  absl::StatusOr<std::vector<std::string>> Namespaces();
  // Namespace → containers with recorded mounts, for restoring state at start.
  absl::StatusOr<std::map<std::string, std::vector<std::string>>> Containers();

 private:
  explicit VolumeStore(sqlite::Database db) : db_(std::move(db)) {}
  absl::StatusOr<std::vector<std::string>> ForgetLocked(absl::string_view ns,
                                                        absl::string_view container_id);

  std::mutex mu_;
  sqlite::Database db_;
};

}  // namespace berth::volumes
