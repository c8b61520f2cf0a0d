// The volume service's core: Docker's volume commands over the store and the local
// driver, and the resolution of a container's mount requests into concrete mounts.
//
// Resolution follows Docker: an explicit mount (`-v`, `--mount`, `--tmpfs`) wins over a
// `--volumes-from` mount at the same place, which wins over an image VOLUME; a named
// volume that does not exist is created; an anonymous one gets a random 64-hex name; a
// volume that is empty where the image has content receives a copy of it (unless
// nocopy); and the container becomes a user of every volume it mounts until Release.
// Thread-safe.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/volumes/core/local_driver.h"
#include "services/volumes/core/volume.h"
#include "services/volumes/core/volume_store.h"

namespace berth::volumes {

// A volume as `volume inspect` shows it.
struct VolumeInfo {
  Volume volume;
  std::string mountpoint;
  int64_t size = -1;       // bytes; -1 when not computed
  int64_t ref_count = -1;  // containers using it; -1 when not computed
};

struct CreateVolume {
  std::string name;  // empty: a random 64-hex name
  std::string driver;
  std::map<std::string, std::string> options;
  std::map<std::string, std::string> labels;
};

// `volume ls --filter` / `volume prune --filter`. Values of one key are OR-ed, keys AND-ed.
struct VolumeFilter {
  std::optional<bool> dangling;     // unused by any container
  std::vector<std::string> names;   // substrings of the name
  std::vector<std::string> labels;  // "key" or "key=value"
  std::vector<std::string> drivers;
};

struct PruneResult {
  std::vector<std::string> deleted;
  int64_t space_reclaimed = 0;
};

class VolumeManager {
 public:
  // `root_dir` holds the database and the volumes (<root>/volumes); `state_dir` the
  // scratch mounts of copy-up. Re-mounts the filesystems of volumes still in use.
  static absl::StatusOr<std::unique_ptr<VolumeManager>> Open(const std::string& root_dir,
                                                             const std::string& state_dir);

  absl::StatusOr<VolumeInfo> Create(const std::string& ns, const CreateVolume& request);
  absl::StatusOr<VolumeInfo> Get(const std::string& ns, const std::string& name, bool size);
  // Reference counts are always filled; sizes when `size`.
  absl::StatusOr<std::vector<VolumeInfo>> List(const std::string& ns, const VolumeFilter& filter,
                                               bool size = false);
  // FailedPrecondition naming the users while containers use it; NotFound unless `force`.
  absl::Status Remove(const std::string& ns, const std::string& name, bool force);
  // Unused volumes matching the filter: anonymous ones only, unless `all`.
  absl::StatusOr<PruneResult> Prune(const std::string& ns, bool all, const VolumeFilter& filter);

  absl::StatusOr<ResolveResult> Resolve(const std::string& ns, const ResolveRequest& request);
  // Drops the container's references; with `remove_anonymous` its anonymous volumes that
  // nothing else uses go too. Returns the removed volumes.
  absl::StatusOr<std::vector<std::string>> Release(const std::string& ns,
                                                   const std::string& container_id,
                                                   bool remove_anonymous);
  // Namespaces holding volumes.
  absl::StatusOr<std::vector<std::string>> Namespaces() { return store_->Namespaces(); }
  // The mounts recorded for a container (NotFound when none).
  absl::StatusOr<std::vector<ResolvedMount>> ContainerMounts(const std::string& ns,
                                                             const std::string& container_id);

 private:
  VolumeManager(std::unique_ptr<VolumeStore> store, LocalDriver driver, std::string scratch_dir)
      : store_(std::move(store)),
        driver_(std::move(driver)),
        scratch_dir_(std::move(scratch_dir)) {}

  absl::StatusOr<Volume> CreateLocked(const std::string& ns, const CreateVolume& request,
                                      bool anonymous);
  absl::Status RemoveLocked(const std::string& ns, const Volume& volume);
  VolumeInfo InfoOf(const std::string& ns, Volume volume) const;
  absl::StatusOr<ResolvedMount> ResolveOne(const std::string& ns, const MountRequest& request,
                                           std::vector<Volume>& created);

  std::mutex mu_;  // serializes changes of references and volumes
  std::unique_ptr<VolumeStore> store_;
  LocalDriver driver_;
  std::string scratch_dir_;
};

// InvalidArgument, in Docker's words, for a name the local driver refuses.
absl::Status ValidateVolumeName(const std::string& name);

}  // namespace berth::volumes
