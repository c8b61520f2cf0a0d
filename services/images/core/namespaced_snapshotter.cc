#include "services/images/core/namespaced_snapshotter.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace berth::images {
namespace {

// Errors from the shared snapshotter name internal keys; say the caller's key instead.
absl::Status Rename(const absl::Status& status, const std::string& internal,
                    const std::string& external) {
  if (status.ok() || internal.empty()) return status;
  std::string message(status.message());
  for (size_t at = message.find(internal); at != std::string::npos;
       at = message.find(internal, at + external.size())) {
    message.replace(at, internal.size(), external);
  }
  return absl::Status(status.code(), message);
}

template <typename T>
absl::StatusOr<T> Rename(absl::StatusOr<T> result, const std::string& internal,
                         const std::string& external) {
  if (result.ok()) return result;
  return Rename(result.status(), internal, external);
}

}  // namespace

NamespacedSnapshotter::NamespacedSnapshotter(Snapshotter& base, std::string ns)
    : base_(base), prefix_(absl::StrCat(ns, "/")) {}

SnapshotInfo NamespacedSnapshotter::External(SnapshotInfo info) const {
  if (absl::StartsWith(info.name, prefix_)) info.name.erase(0, prefix_.size());
  if (absl::StartsWith(info.parent, prefix_)) info.parent.erase(0, prefix_.size());
  return info;
}

absl::StatusOr<std::vector<Mount>> NamespacedSnapshotter::Prepare(const std::string& key,
                                                                  const std::string& parent,
                                                                  const Labels& labels) {
  auto result = base_.Prepare(Internal(key), Internal(parent), labels);
  return Rename(Rename(std::move(result), Internal(key), key), Internal(parent), parent);
}

absl::StatusOr<std::vector<Mount>> NamespacedSnapshotter::View(const std::string& key,
                                                               const std::string& parent,
                                                               const Labels& labels) {
  auto result = base_.View(Internal(key), Internal(parent), labels);
  return Rename(Rename(std::move(result), Internal(key), key), Internal(parent), parent);
}

absl::StatusOr<std::vector<Mount>> NamespacedSnapshotter::Mounts(const std::string& key) {
  return Rename(base_.Mounts(Internal(key)), Internal(key), key);
}

absl::Status NamespacedSnapshotter::Commit(const std::string& name, const std::string& key,
                                           const Labels& labels) {
  absl::Status status = base_.Commit(Internal(name), Internal(key), labels);
  return Rename(Rename(status, Internal(key), key), Internal(name), name);
}

absl::Status NamespacedSnapshotter::Remove(const std::string& key) {
  return Rename(base_.Remove(Internal(key)), Internal(key), key);
}

absl::StatusOr<SnapshotInfo> NamespacedSnapshotter::Stat(const std::string& key) {
  BERTH_ASSIGN_OR_RETURN(SnapshotInfo info, Rename(base_.Stat(Internal(key)), Internal(key), key));
  return External(std::move(info));
}

absl::StatusOr<SnapshotInfo> NamespacedSnapshotter::Update(
    const SnapshotInfo& info, const std::vector<std::string>& field_paths) {
  SnapshotInfo internal = info;
  internal.name = Internal(info.name);
  BERTH_ASSIGN_OR_RETURN(SnapshotInfo updated,
                         Rename(base_.Update(internal, field_paths), internal.name, info.name));
  return External(std::move(updated));
}

absl::StatusOr<SnapshotUsage> NamespacedSnapshotter::Usage(const std::string& key) {
  return Rename(base_.Usage(Internal(key)), Internal(key), key);
}

absl::StatusOr<std::vector<SnapshotInfo>> NamespacedSnapshotter::List() {
  BERTH_ASSIGN_OR_RETURN(std::vector<SnapshotInfo> all, base_.List());
  std::vector<SnapshotInfo> mine;
  for (SnapshotInfo& info : all) {
    if (absl::StartsWith(info.name, prefix_)) mine.push_back(External(std::move(info)));
  }
  return mine;
}

absl::Status NamespacedSnapshotter::Cleanup() { return base_.Cleanup(); }

}  // namespace berth::images
