#include "services/images/core/native_snapshotter.h"

#include <errno.h>
#include <fcntl.h>

#include "absl/strings/str_cat.h"
#include "common/file_tree.h"
#include "common/status_macros.h"
#include "common/unique_fd.h"

namespace berth::images {
namespace {

absl::StatusOr<UniqueFd> OpenDir(int dir_fd, const std::string& path) {
  UniqueFd fd(::openat(dir_fd, path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return absl::ErrnoToStatus(errno, absl::StrCat("opening ", path));
  return fd;
}

}  // namespace

absl::StatusOr<std::unique_ptr<NativeSnapshotter>> NativeSnapshotter::Open(
    const std::string& root) {
  BERTH_ASSIGN_OR_RETURN(State state, OpenState(root));
  return std::unique_ptr<NativeSnapshotter>(new NativeSnapshotter(std::move(state)));
}

absl::Status NativeSnapshotter::Populate(int dir_fd, SnapshotKind kind,
                                         const std::vector<int64_t>& ancestor_ids) {
  // A view shares its committed parent's tree (see MountsOf); only active ones copy.
  if (kind != SnapshotKind::kActive || ancestor_ids.empty()) return absl::OkStatus();
  BERTH_ASSIGN_OR_RETURN(UniqueFd src,
                         OpenDir(snapshots_fd(), absl::StrCat(ancestor_ids.front(), "/fs")));
  BERTH_ASSIGN_OR_RETURN(UniqueFd dst, OpenDir(dir_fd, "fs"));
  return CopyTree(src.get(), dst.get());
}

std::vector<Mount> NativeSnapshotter::MountsOf(const SnapshotRecord& record) const {
  if (record.info.kind == SnapshotKind::kActive) {
    return {Mount{"bind", FsPath(record.id), {"rbind", "rw"}}};
  }
  int64_t id = record.ancestor_ids.empty() ? record.id : record.ancestor_ids.front();
  return {Mount{"bind", FsPath(id), {"rbind", "ro"}}};
}

}  // namespace berth::images
