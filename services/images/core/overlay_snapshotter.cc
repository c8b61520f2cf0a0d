#include "services/images/core/overlay_snapshotter.h"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"

namespace berth::images {

absl::StatusOr<std::unique_ptr<OverlaySnapshotter>> OverlaySnapshotter::Open(
    const std::string& root) {
  BERTH_ASSIGN_OR_RETURN(State state, OpenState(root));
  if (state.root.find_first_of(",:") != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("overlayfs snapshotter root ", state.root, " holds ',' or ':'"));
  }
  // With index=on the kernel ties an upperdir to the lower layers it was first mounted over
  // and refuses (ESTALE) a later mount over copies of them; containerd turns it off as well.
  bool index_known = ::access("/sys/module/overlay/parameters/index", F_OK) == 0;
  return std::unique_ptr<OverlaySnapshotter>(new OverlaySnapshotter(std::move(state), index_known));
}

absl::Status OverlaySnapshotter::Populate(int dir_fd, SnapshotKind kind,
                                          const std::vector<int64_t>& ancestor_ids) {
  // mount(2) takes at most one page of options; refuse here rather than at mount time.
  // (Paths relative to a chdir'd mount helper, as containerd does, would stretch this.)
  const bool active = kind == SnapshotKind::kActive;
  size_t length =
      absl::StrJoin(OverlayOptions(std::numeric_limits<int64_t>::max(), ancestor_ids, active), ",")
          .size();
  if (length >= static_cast<size_t>(::sysconf(_SC_PAGESIZE))) {
    return absl::FailedPreconditionError(
        absl::StrCat("an overlay of ", ancestor_ids.size(), " layers needs ", length,
                     " bytes of mount options, more than one page"));
  }
  if (active && ::mkdirat(dir_fd, "work", 0700) != 0) {
    return absl::ErrnoToStatus(errno, "mkdir work");
  }
  return absl::OkStatus();
}

std::vector<std::string> OverlaySnapshotter::OverlayOptions(
    int64_t id, const std::vector<int64_t>& ancestor_ids, bool active) const {
  std::vector<std::string> lowers;
  for (int64_t ancestor : ancestor_ids) lowers.push_back(FsPath(ancestor));
  std::vector<std::string> options;
  if (index_off_) options.push_back("index=off");
  if (active) {
    options.push_back(absl::StrCat("workdir=", WorkPath(id)));
    options.push_back(absl::StrCat("upperdir=", FsPath(id)));
  }
  // Without an upperdir (a view) overlayfs is read-only and needs two or more lowers.
  options.push_back(absl::StrCat("lowerdir=", absl::StrJoin(lowers, ":")));
  return options;
}

std::vector<Mount> OverlaySnapshotter::MountsOf(const SnapshotRecord& record) const {
  const std::vector<int64_t>& ancestors = record.ancestor_ids;
  const bool active = record.info.kind == SnapshotKind::kActive;
  if (ancestors.empty()) {
    return {Mount{"bind", FsPath(record.id), {"rbind", active ? "rw" : "ro"}}};
  }
  if (!active && ancestors.size() == 1) {
    // A committed layer never changes: the view is its directory, read-only.
    return {Mount{"bind", FsPath(ancestors.front()), {"rbind", "ro"}}};
  }
  return {Mount{"overlay", "overlay", OverlayOptions(record.id, ancestors, active)}};
}

}  // namespace berth::images
