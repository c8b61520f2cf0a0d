#include "services/images/core/directory_snapshotter.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <system_error>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/file_tree.h"
#include "common/log.h"
#include "common/status_macros.h"

namespace berth::images {
namespace {

constexpr char kPendingPrefix[] = "new-";

absl::Status MkdirIfMissing(int dir_fd, const char* name, mode_t mode) {
  if (::mkdirat(dir_fd, name, mode) != 0 && errno != EEXIST) {
    return absl::ErrnoToStatus(errno, absl::StrCat("mkdir ", name));
  }
  return absl::OkStatus();
}

absl::StatusOr<UniqueFd> OpenDir(int dir_fd, const std::string& name) {
  UniqueFd fd(::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return absl::ErrnoToStatus(errno, absl::StrCat("opening ", name));
  return fd;
}

}  // namespace

absl::StatusOr<DirectorySnapshotter::State> DirectorySnapshotter::OpenState(
    const std::string& root) {
  if (root.empty()) return absl::InvalidArgumentError("snapshotter root is empty");
  std::error_code ec;
  std::filesystem::path abs = std::filesystem::absolute(root, ec).lexically_normal();
  if (ec)
    return absl::InvalidArgumentError(absl::StrCat("snapshotter root ", root, ": ", ec.message()));
  std::string root_path = abs.string();
  if (root_path.size() > 1 && root_path.back() == '/') root_path.pop_back();

  std::filesystem::create_directories(root_path, ec);
  if (ec) return absl::InternalError(absl::StrCat("creating ", root_path, ": ", ec.message()));
  BERTH_ASSIGN_OR_RETURN(UniqueFd root_fd, OpenDir(AT_FDCWD, root_path));
  BERTH_RETURN_IF_ERROR(MkdirIfMissing(root_fd.get(), "snapshots", 0700));
  BERTH_ASSIGN_OR_RETURN(UniqueFd snapshots_fd, OpenDir(root_fd.get(), "snapshots"));
  BERTH_ASSIGN_OR_RETURN(SnapshotMetadata metadata,
                         SnapshotMetadata::Open(root_path + "/metadata.db"));
  return State{std::move(root_path), std::move(snapshots_fd), std::move(metadata)};
}

DirectorySnapshotter::DirectorySnapshotter(State state)
    : root_(std::move(state.root)),
      snapshots_fd_(std::move(state.snapshots_fd)),
      metadata_(std::move(state.metadata)) {}

std::string DirectorySnapshotter::FsPath(int64_t id) const {
  return absl::StrCat(root_, "/snapshots/", id, "/fs");
}

std::string DirectorySnapshotter::WorkPath(int64_t id) const {
  return absl::StrCat(root_, "/snapshots/", id, "/work");
}

absl::StatusOr<std::vector<Mount>> DirectorySnapshotter::Prepare(const std::string& key,
                                                                 const std::string& parent,
                                                                 const Labels& labels) {
  return Create(SnapshotKind::kActive, key, parent, labels);
}

absl::StatusOr<std::vector<Mount>> DirectorySnapshotter::View(const std::string& key,
                                                              const std::string& parent,
                                                              const Labels& labels) {
  return Create(SnapshotKind::kView, key, parent, labels);
}

absl::StatusOr<std::vector<Mount>> DirectorySnapshotter::Create(SnapshotKind kind,
                                                                const std::string& key,
                                                                const std::string& parent,
                                                                const Labels& labels) {
  if (key.empty()) return absl::InvalidArgumentError("snapshot key is empty");
  std::vector<int64_t> ancestors;
  std::string pending;
  {
    std::lock_guard lock(mu_);
    // Checked here to fail before any copying; the transaction below checks again.
    if (metadata_.Get(key).ok()) {
      return absl::AlreadyExistsError(absl::StrCat("snapshot \"", key, "\" already exists"));
    }
    if (!parent.empty()) {
      absl::StatusOr<SnapshotRecord> p = metadata_.Get(parent);
      if (absl::IsNotFound(p.status())) {
        return absl::NotFoundError(absl::StrCat("parent snapshot \"", parent, "\" not found"));
      }
      BERTH_RETURN_IF_ERROR(p.status());
      if (p->info.kind != SnapshotKind::kCommitted) {
        return absl::FailedPreconditionError(
            absl::StrCat("parent snapshot \"", parent, "\" is not committed"));
      }
      ancestors.push_back(p->id);
      ancestors.insert(ancestors.end(), p->ancestor_ids.begin(), p->ancestor_ids.end());
    }
    pending = absl::StrCat(kPendingPrefix, getpid(), "-", ++next_pending_);
    if (::mkdirat(snapshots_fd(), pending.c_str(), 0700) != 0) {
      return absl::ErrnoToStatus(errno, absl::StrCat("mkdir ", root_, "/snapshots/", pending));
    }
    pending_.insert(pending);
  }

  // Copying a native parent can take long: done without the lock.
  absl::Status populated = [&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(UniqueFd dir, OpenDir(snapshots_fd(), pending));
    if (::mkdirat(dir.get(), "fs", 0755) != 0) return absl::ErrnoToStatus(errno, "mkdir fs");
    return Populate(dir.get(), kind, ancestors);
  }();

  std::lock_guard lock(mu_);
  SnapshotRecord record;
  std::string renamed;  // the directory's name once renamed to its id
  absl::Status status = populated;
  if (status.ok()) {
    status = metadata_.Transaction([&]() -> absl::Status {
      BERTH_ASSIGN_OR_RETURN(int64_t id, metadata_.Create(key, parent, kind, labels, absl::Now()));
      BERTH_ASSIGN_OR_RETURN(record, metadata_.Get(key));
      if (record.ancestor_ids != ancestors) {
        return absl::AbortedError(
            absl::StrCat("parent snapshot \"", parent, "\" changed while preparing \"", key, "\""));
      }
      // A rolled-back earlier attempt may have left a directory under this id.
      std::string name = absl::StrCat(id);
      BERTH_RETURN_IF_ERROR(RemoveTree(snapshots_fd(), name));
      if (::renameat(snapshots_fd(), pending.c_str(), snapshots_fd(), name.c_str()) != 0) {
        return absl::ErrnoToStatus(errno, absl::StrCat("renaming ", pending, " to ", name));
      }
      renamed = name;
      return absl::OkStatus();
    });
  }
  pending_.erase(pending);
  if (!status.ok()) {
    // No row was added, so the directory is stray; Cleanup takes it if this fails.
    RemoveTree(snapshots_fd(), renamed.empty() ? pending : renamed).IgnoreError();
    return status;
  }
  return MountsOf(record);
}

absl::StatusOr<std::vector<Mount>> DirectorySnapshotter::Mounts(const std::string& key) {
  std::lock_guard lock(mu_);
  BERTH_ASSIGN_OR_RETURN(SnapshotRecord record, metadata_.Get(key));
  if (record.info.kind == SnapshotKind::kCommitted) {
    return absl::FailedPreconditionError(
        absl::StrCat("snapshot \"", key, "\" is committed: only active and view ones mount"));
  }
  return MountsOf(record);
}

absl::Status DirectorySnapshotter::Commit(const std::string& name, const std::string& key,
                                          const Labels& labels) {
  std::lock_guard lock(mu_);
  return metadata_.Transaction(
      [&]() { return metadata_.Commit(name, key, labels, absl::Now()).status(); });
}

absl::Status DirectorySnapshotter::Remove(const std::string& key) {
  std::lock_guard lock(mu_);
  int64_t id = 0;
  auto remove_row = [&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(id, metadata_.Remove(key));
    return absl::OkStatus();
  };
  absl::Status removed_row = metadata_.Transaction(remove_row);
  if (removed_row.code() == absl::StatusCode::kResourceExhausted) {
    // A full disk (a layer that filled it, say) can refuse even the row's deletion. An
    // active or view snapshot's files are being thrown away anyway: free them first.
    BERTH_ASSIGN_OR_RETURN(SnapshotRecord record, metadata_.Get(key));
    if (record.info.kind == SnapshotKind::kCommitted) return removed_row;
    if (auto dir = OpenDir(snapshots_fd(), absl::StrCat(record.id)); dir.ok()) {
      (void)RemoveTree(dir->get(), "fs");
      (void)RemoveTree(dir->get(), "work");
    }
    removed_row = metadata_.Transaction(remove_row);
  }
  BERTH_RETURN_IF_ERROR(removed_row);
  // The snapshot is gone once its row is; a directory left here is Cleanup's to finish.
  if (absl::Status removed = RemoveTree(snapshots_fd(), absl::StrCat(id)); !removed.ok()) {
    log::Warn("snapshot directory left for cleanup",
              {{"key", key}, {"id", absl::StrCat(id)}, {"error", removed.ToString()}});
  }
  return absl::OkStatus();
}

absl::StatusOr<SnapshotInfo> DirectorySnapshotter::Stat(const std::string& key) {
  std::lock_guard lock(mu_);
  BERTH_ASSIGN_OR_RETURN(SnapshotRecord record, metadata_.Get(key));
  return record.info;
}

absl::StatusOr<SnapshotInfo> DirectorySnapshotter::Update(
    const SnapshotInfo& info, const std::vector<std::string>& field_paths) {
  std::lock_guard lock(mu_);
  absl::StatusOr<SnapshotInfo> updated;
  BERTH_RETURN_IF_ERROR(metadata_.Transaction([&]() -> absl::Status {
    updated = metadata_.Update(info, field_paths, absl::Now());
    return updated.status();
  }));
  return updated;
}

absl::StatusOr<SnapshotUsage> DirectorySnapshotter::Usage(const std::string& key) {
  UniqueFd fs;
  {
    std::lock_guard lock(mu_);
    BERTH_ASSIGN_OR_RETURN(SnapshotRecord record, metadata_.Get(key));
    BERTH_ASSIGN_OR_RETURN(UniqueFd dir, OpenDir(snapshots_fd(), absl::StrCat(record.id)));
    BERTH_ASSIGN_OR_RETURN(fs, OpenDir(dir.get(), "fs"));
  }
  return MeasureTree(fs.get());  // a walk can be long: without the lock
}

absl::StatusOr<std::vector<SnapshotInfo>> DirectorySnapshotter::List() {
  std::lock_guard lock(mu_);
  return metadata_.List();
}

absl::Status DirectorySnapshotter::Cleanup() {
  std::lock_guard lock(mu_);
  BERTH_ASSIGN_OR_RETURN(std::set<int64_t> ids, metadata_.Ids());
  std::unique_ptr<DIR, int (*)(DIR*)> dir(nullptr, ::closedir);
  {
    int fd = ::openat(snapshots_fd(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return absl::ErrnoToStatus(errno, "opening snapshots directory");
    dir.reset(::fdopendir(fd));
    if (!dir) {
      ::close(fd);
      return absl::ErrnoToStatus(errno, "reading snapshots directory");
    }
  }
  std::vector<std::string> stray;
  while (const dirent* entry = ::readdir(dir.get())) {
    std::string name = entry->d_name;
    if (name == "." || name == ".." || pending_.contains(name)) continue;
    int64_t id = 0;
    if (absl::SimpleAtoi(name, &id) && absl::StrCat(id) == name && ids.contains(id)) continue;
    stray.push_back(std::move(name));
  }
  absl::Status status;
  for (const std::string& name : stray) {
    if (absl::Status removed = RemoveTree(snapshots_fd(), name); !removed.ok()) {
      status.Update(absl::Status(removed.code(), absl::StrCat("removing stray snapshot directory ",
                                                              name, ": ", removed.message())));
    }
  }
  return status;
}

}  // namespace berth::images
