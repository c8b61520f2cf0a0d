#include "services/volumes/core/volume_manager.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <set>
#include <system_error>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/clean_path.h"
#include "common/in_root.h"
#include "common/log.h"
#include "common/random_hex.h"
#include "common/status_macros.h"
#include "services/volumes/core/copy_up.h"
#include "shim/oci/rootfs_mounts.h"

namespace berth::volumes {
namespace {

bool IsNameCharacter(char c, bool first) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return !first && (c == '_' || c == '.' || c == '-');
}

bool Matches(const VolumeFilter& filter, const Volume& volume, bool in_use) {
  if (filter.dangling.has_value() && *filter.dangling == in_use) return false;
  auto any = [](const std::vector<std::string>& values, auto&& match) {
    return values.empty() || std::any_of(values.begin(), values.end(), match);
  };
  if (!any(filter.names, [&](const std::string& n) { return absl::StrContains(volume.name, n); }))
    return false;
  if (!any(filter.drivers, [&](const std::string& d) { return volume.driver == d; })) return false;
  for (const std::string& label : filter.labels) {  // every label filter must hold
    const size_t eq = label.find('=');
    auto found = volume.labels.find(label.substr(0, eq));
    if (found == volume.labels.end()) return false;
    if (eq != std::string::npos && found->second != label.substr(eq + 1)) return false;
  }
  return true;
}

// Parents before children, so a mount never hides one made inside it.
int Depth(const std::string& path) {
  return path == "/" ? 0 : static_cast<int>(std::count(path.begin(), path.end(), '/'));
}

absl::Status MakeDirs(const std::string& path) {
  std::error_code error;
  std::filesystem::create_directories(path, error);
  if (error) return absl::InternalError(absl::StrCat("mkdir ", path, ": ", error.message()));
  return absl::OkStatus();
}

// A bind mount's host path, made when `-v` names a missing directory (Docker's rule).
absl::Status CheckBindSource(const MountRequest& request) {
  const std::string& path = request.host_path;
  if (path.empty() || path.front() != '/') {
    if (request.create_host_path) {  // `-v ./x:/y` (Docker reads it as a volume name)
      return absl::InvalidArgumentError(
          absl::StrCat("create ", path, ": \"", path,
                       "\" includes invalid characters for a local volume name, only "
                       "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host "
                       "directory, use absolute path"));
    }
    return absl::InvalidArgumentError(
        absl::StrCat("invalid mount config for type \"bind\": ", "invalid mount path: '", path,
                     "' mount path must be absolute"));
  }
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) return absl::OkStatus();
  if (errno != ENOENT || !request.create_host_path) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid mount config for type \"bind\": bind source path does not exist: ", path));
  }
  return MakeDirs(path);
}

std::vector<std::string> TmpfsMountOptions(const MountRequest& request) {
  std::vector<std::string> options;
  if (request.read_only) options.push_back("ro");
  if (request.tmpfs_size > 0) options.push_back(absl::StrCat("size=", request.tmpfs_size));
  if (request.tmpfs_mode != 0) {
    options.push_back(absl::StrFormat("mode=%o", request.tmpfs_mode));
  }
  options.insert(options.end(), request.tmpfs_options.begin(), request.tmpfs_options.end());
  return options;
}

void SetReadOnly(ResolvedMount& mount, bool read_only) {
  mount.read_only = read_only;
  for (std::string& option : mount.options) {
    if (option == "ro" || option == "rw") option = read_only ? "ro" : "rw";
  }
}

}  // namespace

absl::Status ValidateVolumeName(const std::string& name) {
  bool valid = name.size() >= 2;
  for (size_t i = 0; valid && i < name.size(); ++i) valid = IsNameCharacter(name[i], i == 0);
  if (valid) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "create ", name, ": \"", name,
      "\" includes invalid characters for a local volume name, only "
      "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, "
      "use absolute path"));
}

absl::StatusOr<std::unique_ptr<VolumeManager>> VolumeManager::Open(const std::string& root_dir,
                                                                   const std::string& state_dir) {
  BERTH_RETURN_IF_ERROR(MakeDirs(root_dir));
  const std::string scratch_dir = state_dir + "/copy-up";
  BERTH_RETURN_IF_ERROR(MakeDirs(scratch_dir));
  BERTH_ASSIGN_OR_RETURN(std::unique_ptr<VolumeStore> store,
                         VolumeStore::Open(root_dir + "/metadata.db"));
  std::unique_ptr<VolumeManager> manager(
      new VolumeManager(std::move(store), LocalDriver(root_dir + "/volumes"), scratch_dir));
  // A copy-up a crash interrupted leaves its scratch mount behind.
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(scratch_dir, error)) {
    oci::UnmountAll(entry.path()).IgnoreError();
    std::filesystem::remove(entry.path(), error);
  }
  // Filesystems of volumes in use are mounted again (after a reboot, say).
  BERTH_ASSIGN_OR_RETURN(auto containers, manager->store_->Containers());
  for (const auto& [ns, ids] : containers) {
    BERTH_ASSIGN_OR_RETURN(auto counts, manager->store_->ReferenceCounts(ns));
    for (const auto& [name, count] : counts) {
      absl::StatusOr<Volume> volume = manager->store_->Get(ns, name);
      if (!volume.ok() || volume->options.empty()) continue;
      if (absl::Status s = manager->driver_.Activate(ns, name, volume->options); !s.ok()) {
        log::Warn("cannot mount volume in use", {{"volume", name}, {"error", s.ToString()}});
      }
    }
  }
  return manager;
}

VolumeInfo VolumeManager::InfoOf(const std::string& ns, Volume volume) const {
  VolumeInfo info;
  info.mountpoint = driver_.Mountpoint(ns, volume.name);
  info.volume = std::move(volume);
  return info;
}

absl::StatusOr<Volume> VolumeManager::CreateLocked(const std::string& ns,
                                                   const CreateVolume& request, bool anonymous) {
  Volume volume;
  volume.name = request.name.empty() ? RandomHex(32) : request.name;
  BERTH_RETURN_IF_ERROR(ValidateVolumeName(volume.name));
  volume.driver = request.driver.empty() ? "local" : request.driver;
  if (volume.driver != "local") {
    return absl::NotFoundError(absl::StrCat("plugin \"", volume.driver, "\" not found"));
  }
  BERTH_RETURN_IF_ERROR(LocalDriver::ValidateOptions(request.options));
  volume.options = request.options;
  volume.labels = request.labels;
  volume.anonymous = anonymous;
  if (anonymous) volume.labels[kAnonymousLabel] = "";
  volume.created = absl::Now();
  BERTH_RETURN_IF_ERROR(driver_.Create(ns, volume.name));
  if (absl::Status s = store_->Create(ns, volume); !s.ok()) {
    driver_.Remove(ns, volume.name).IgnoreError();
    return s;
  }
  return volume;
}

absl::Status VolumeManager::RemoveLocked(const std::string& ns, const Volume& volume) {
  BERTH_RETURN_IF_ERROR(store_->Delete(ns, volume.name));
  return driver_.Remove(ns, volume.name);
}

absl::StatusOr<VolumeInfo> VolumeManager::Create(const std::string& ns,
                                                 const CreateVolume& request) {
  std::lock_guard lock(mu_);
  if (!request.name.empty()) {
    absl::StatusOr<Volume> existing = store_->Get(ns, request.name);
    if (existing.ok()) {
      // Docker returns the existing volume, unless another driver holds the name.
      if (!request.driver.empty() && request.driver != existing->driver) {
        return absl::AlreadyExistsError(absl::StrCat(
            "volume name ", request.name, " already in use by driver ", existing->driver));
      }
      return InfoOf(ns, *std::move(existing));
    }
    if (!absl::IsNotFound(existing.status())) return existing.status();
  }
  BERTH_ASSIGN_OR_RETURN(Volume volume, CreateLocked(ns, request, /*anonymous=*/false));
  return InfoOf(ns, std::move(volume));
}

absl::StatusOr<VolumeInfo> VolumeManager::Get(const std::string& ns, const std::string& name,
                                              bool size) {
  BERTH_ASSIGN_OR_RETURN(Volume volume, store_->Get(ns, name));
  VolumeInfo info = InfoOf(ns, std::move(volume));
  BERTH_ASSIGN_OR_RETURN(std::vector<std::string> users, store_->Users(ns, name));
  info.ref_count = static_cast<int64_t>(users.size());
  if (size) info.size = driver_.Size(ns, name).value_or(-1);
  return info;
}

absl::StatusOr<std::vector<VolumeInfo>> VolumeManager::List(const std::string& ns,
                                                            const VolumeFilter& filter, bool size) {
  BERTH_ASSIGN_OR_RETURN(std::vector<Volume> volumes, store_->List(ns));
  BERTH_ASSIGN_OR_RETURN(auto counts, store_->ReferenceCounts(ns));
  std::vector<VolumeInfo> out;
  for (Volume& volume : volumes) {
    auto count = counts.find(volume.name);
    const int64_t users = count == counts.end() ? 0 : count->second;
    if (!Matches(filter, volume, users > 0)) continue;
    VolumeInfo info = InfoOf(ns, std::move(volume));
    info.ref_count = users;
    if (size) info.size = driver_.Size(ns, info.volume.name).value_or(-1);
    out.push_back(std::move(info));
  }
  return out;
}

absl::Status VolumeManager::Remove(const std::string& ns, const std::string& name, bool force) {
  std::lock_guard lock(mu_);
  absl::StatusOr<Volume> volume = store_->Get(ns, name);
  if (!volume.ok()) {
    return force && absl::IsNotFound(volume.status()) ? absl::OkStatus() : volume.status();
  }
  return RemoveLocked(ns, *volume);
}

absl::StatusOr<PruneResult> VolumeManager::Prune(const std::string& ns, bool all,
                                                 const VolumeFilter& filter) {
  std::lock_guard lock(mu_);
  BERTH_ASSIGN_OR_RETURN(std::vector<Volume> volumes, store_->List(ns));
  BERTH_ASSIGN_OR_RETURN(auto counts, store_->ReferenceCounts(ns));
  PruneResult result;
  for (const Volume& volume : volumes) {
    if (counts.contains(volume.name) || (!all && !volume.anonymous)) continue;
    if (!Matches(filter, volume, /*in_use=*/false)) continue;
    const int64_t size = driver_.Size(ns, volume.name).value_or(0);
    BERTH_RETURN_IF_ERROR(RemoveLocked(ns, volume));
    result.deleted.push_back(volume.name);
    result.space_reclaimed += size;
  }
  return result;
}

absl::StatusOr<ResolvedMount> VolumeManager::ResolveOne(const std::string& ns,
                                                        const MountRequest& request,
                                                        std::vector<Volume>& created) {
  ResolvedMount mount;
  mount.kind = request.kind;
  mount.destination = CleanAbsolutePath(request.target);
  mount.read_only = request.read_only;
  mount.mode = request.mode;
  const char* access = request.read_only ? "ro" : "rw";
  switch (request.kind) {
    case MountKind::kTmpfs:
      mount.type = "tmpfs";
      mount.source = "tmpfs";
      mount.options = TmpfsMountOptions(request);
      return mount;
    case MountKind::kBind:
      BERTH_RETURN_IF_ERROR(CheckBindSource(request));
      mount.type = "bind";
      mount.source = request.host_path;
      mount.propagation = request.propagation.empty() ? "rprivate" : request.propagation;
      mount.options = {request.non_recursive ? "bind" : "rbind", access, mount.propagation};
      return mount;
    case MountKind::kVolume:
      break;
  }
  Volume volume;
  absl::StatusOr<Volume> existing = request.volume_name.empty()
                                        ? absl::NotFoundError("anonymous")
                                        : store_->Get(ns, request.volume_name);
  if (existing.ok()) {
    volume = *std::move(existing);
  } else if (absl::IsNotFound(existing.status())) {
    CreateVolume create{request.volume_name, "", request.driver_options, request.labels};
    BERTH_ASSIGN_OR_RETURN(volume, CreateLocked(ns, create, request.volume_name.empty()));
    created.push_back(volume);
  } else {
    return existing.status();
  }
  BERTH_RETURN_IF_ERROR(driver_.Activate(ns, volume.name, volume.options));
  mount.type = "bind";
  mount.source = driver_.Mountpoint(ns, volume.name);
  mount.volume_name = volume.name;
  if (!request.subpath.empty()) {
    // Resolved inside the volume: a subpath climbing out or a symlink stays in it.
    BERTH_ASSIGN_OR_RETURN(UniqueFd root, OpenRoot(mount.source));
    absl::StatusOr<UniqueFd> sub = OpenInRoot(root.get(), request.subpath, O_PATH);
    if (!sub.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("cannot access path ", request.subpath,
                                                     " in volume ", volume.name, ": ",
                                                     sub.status().message()));
    }
    BERTH_ASSIGN_OR_RETURN(mount.source, FdPath(sub->get()));
  }
  mount.options = {"rbind", access, "rprivate"};
  return mount;
}

absl::StatusOr<ResolveResult> VolumeManager::Resolve(const std::string& ns,
                                                     const ResolveRequest& request) {
  std::lock_guard lock(mu_);
  // What goes where: image volumes, then --volumes-from, then the user's own mounts,
  // each replacing an earlier one at the same destination.
  struct Planned {
    std::optional<MountRequest> request;
    std::optional<ResolvedMount> inherited;
  };
  std::map<std::string, Planned> plan;
  for (const std::string& path : request.image_volumes) {
    MountRequest anonymous;
    anonymous.target = CleanAbsolutePath(path);
    plan[anonymous.target] = Planned{anonymous, std::nullopt};
  }
  for (const VolumesFrom& from : request.volumes_from) {
    absl::StatusOr<std::vector<ResolvedMount>> mounts =
        store_->ContainerMounts(ns, from.container_id);
    if (absl::IsNotFound(mounts.status())) continue;  // a container without mounts
    if (!mounts.ok()) return mounts.status();
    for (ResolvedMount& mount : *mounts) {
      if (mount.kind == MountKind::kTmpfs) continue;
      if (from.mode != VolumesFrom::Mode::kSame) {
        SetReadOnly(mount, from.mode == VolumesFrom::Mode::kReadOnly);
      }
      mount.from_container = from.container_id;
      plan[mount.destination] = Planned{std::nullopt, mount};
    }
  }
  std::set<std::string> explicit_targets;
  for (const MountRequest& mount : request.mounts) {
    if (mount.target.empty() || mount.target.front() != '/') {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid mount config: mount path must be absolute: ", mount.target));
    }
    const std::string target = CleanAbsolutePath(mount.target);
    if (target == "/") {
      return absl::InvalidArgumentError("invalid specification: destination can't be '/'");
    }
    if (!explicit_targets.insert(target).second) {
      return absl::InvalidArgumentError(absl::StrCat("Duplicate mount point: ", target));
    }
    plan[target] = Planned{mount, std::nullopt};
  }

  std::vector<Volume> created;
  auto undo = [&](absl::Status status) {
    for (const Volume& volume : created) RemoveLocked(ns, volume).IgnoreError();
    return status;
  };
  ResolveResult result;
  std::vector<std::pair<std::string, std::string>> copies;  // target → volume directory
  for (auto& [target, planned] : plan) {
    if (planned.inherited.has_value()) {
      const ResolvedMount& mount = *planned.inherited;
      if (mount.kind == MountKind::kVolume) {
        absl::StatusOr<Volume> volume = store_->Get(ns, mount.volume_name);
        if (!volume.ok()) return undo(volume.status());
        if (absl::Status s = driver_.Activate(ns, volume->name, volume->options); !s.ok()) {
          return undo(s);
        }
      }
      result.mounts.push_back(mount);
      continue;
    }
    absl::StatusOr<ResolvedMount> mount = ResolveOne(ns, *planned.request, created);
    if (!mount.ok()) return undo(mount.status());
    if (mount->kind == MountKind::kVolume && !planned.request->nocopy &&
        planned.request->subpath.empty()) {
      copies.emplace_back(target, mount->source);
    }
    result.mounts.push_back(*std::move(mount));
  }
  if (!copies.empty() && !request.rootfs.empty()) {
    const std::string scratch = absl::StrCat(scratch_dir_, "/", request.container_id);
    absl::Status copied = [&]() -> absl::Status {
      BERTH_ASSIGN_OR_RETURN(ImageContent image, ImageContent::Mount(request.rootfs, scratch));
      for (const auto& [target, directory] : copies) {
        BERTH_RETURN_IF_ERROR(image.CopyInto(target, directory).status());
      }
      return absl::OkStatus();
    }();
    ::rmdir(scratch.c_str());
    if (!copied.ok()) return undo(copied);
  }
  std::stable_sort(result.mounts.begin(), result.mounts.end(),
                   [](const ResolvedMount& a, const ResolvedMount& b) {
                     return Depth(a.destination) < Depth(b.destination);
                   });
  if (absl::Status s = store_->SaveContainer(ns, request.container_id, result.mounts); !s.ok()) {
    return undo(s);
  }
  std::set<std::string> names;
  for (const ResolvedMount& mount : result.mounts) {
    if (mount.kind == MountKind::kVolume) names.insert(mount.volume_name);
  }
  result.volume_names.assign(names.begin(), names.end());
  return result;
}

absl::StatusOr<std::vector<std::string>> VolumeManager::Release(const std::string& ns,
                                                                const std::string& container_id,
                                                                bool remove_anonymous) {
  std::lock_guard lock(mu_);
  BERTH_ASSIGN_OR_RETURN(std::vector<std::string> names, store_->ForgetContainer(ns, container_id));
  std::vector<std::string> removed;
  for (const std::string& name : names) {
    BERTH_ASSIGN_OR_RETURN(std::vector<std::string> users, store_->Users(ns, name));
    if (!users.empty()) continue;
    absl::StatusOr<Volume> volume = store_->Get(ns, name);
    if (!volume.ok()) continue;
    if (remove_anonymous && volume->anonymous) {
      BERTH_RETURN_IF_ERROR(RemoveLocked(ns, *volume));
      removed.push_back(name);
    } else if (!volume->options.empty()) {
      BERTH_RETURN_IF_ERROR(driver_.Deactivate(ns, name));
    }
  }
  return removed;
}

absl::StatusOr<std::vector<ResolvedMount>> VolumeManager::ContainerMounts(
    const std::string& ns, const std::string& container_id) {
  return store_->ContainerMounts(ns, container_id);
}

}  // namespace berth::volumes
