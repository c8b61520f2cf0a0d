#include "services/images/core/snapshotter.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/images/core/native_snapshotter.h"
#include "services/images/core/overlay_snapshotter.h"
#include "services/images/core/storage_driver.h"

namespace berth::images {

absl::string_view SnapshotKindName(SnapshotKind kind) {
  switch (kind) {
    case SnapshotKind::kActive:
      return "active";
    case SnapshotKind::kView:
      return "view";
    case SnapshotKind::kCommitted:
      return "committed";
  }
  return "unknown";
}

absl::StatusOr<std::unique_ptr<Snapshotter>> OpenSnapshotter(const std::string& driver,
                                                             const std::string& root) {
  if (driver == kOverlayDriver) {
    absl::StatusOr<std::unique_ptr<OverlaySnapshotter>> s = OverlaySnapshotter::Open(root);
    if (!s.ok()) return s.status();
    return std::unique_ptr<Snapshotter>(std::move(*s));
  }
  if (driver == kNativeDriver) {
    absl::StatusOr<std::unique_ptr<NativeSnapshotter>> s = NativeSnapshotter::Open(root);
    if (!s.ok()) return s.status();
    return std::unique_ptr<Snapshotter>(std::move(*s));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown snapshotter \"", driver, "\" (want overlayfs or native)"));
}

absl::StatusOr<std::string> WritableDir(const std::vector<Mount>& mounts) {
  if (mounts.size() == 1) {
    const Mount& m = mounts.front();
    if (m.type == "overlay") {
      for (const std::string& option : m.options) {
        if (absl::StartsWith(option, "upperdir=")) return option.substr(sizeof("upperdir=") - 1);
      }
    } else if (m.type == "bind") {
      for (const std::string& option : m.options) {
        if (option == "ro") return absl::FailedPreconditionError("the bind mount is read-only");
      }
      return m.source;
    }
  }
  return absl::FailedPreconditionError(
      "no writable directory in these mounts (a view, or not a snapshotter's)");
}

}  // namespace berth::images
