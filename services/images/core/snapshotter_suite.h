// The conformance suite every Snapshotter implementation must pass (containerd's
// SnapshotterSuite in spirit). It mounts what the snapshotter returns, so it needs root.
//
// Use: list snapshotter_suite.cc among a test's sources and instantiate
//   INSTANTIATE_TEST_SUITE_P(Mine, SnapshotterSuite, ::testing::Values(factory),
//                            SnapshotterFactoryName);
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/images/core/snapshotter.h"

namespace berth::images::testing {

struct SnapshotterFactory {
  std::string name;
  // Opens a snapshotter on `root`; called again on the same root to test reopening.
  std::function<absl::StatusOr<std::unique_ptr<Snapshotter>>(const std::string& root)> open;
  // Why the implementation cannot run on this machine, or "".
  std::function<std::string()> unavailable = [] { return std::string(); };
};

std::string SnapshotterFactoryName(const ::testing::TestParamInfo<SnapshotterFactory>& info);

// Mounts a snapshotter's mounts on `target` the way a runtime would, and unmounts them when
// it goes away (lazily, MNT_DETACH, if a plain unmount fails).
class ScopedMount {
 public:
  static absl::StatusOr<ScopedMount> Create(const std::vector<Mount>& mounts,
                                            const std::string& target);
  ScopedMount(ScopedMount&& other) noexcept;
  ScopedMount& operator=(ScopedMount&&) = delete;
  ~ScopedMount();

  absl::Status Unmount();
  const std::string& path() const { return target_; }

 private:
  explicit ScopedMount(std::string target) : target_(std::move(target)) {}

  std::string target_;
  int layers_ = 0;  // mounts stacked on target_
};

class SnapshotterSuite : public ::testing::TestWithParam<SnapshotterFactory> {
 protected:
  void SetUp() override;
  void TearDown() override;

  // A fresh, empty directory to mount on.
  std::string NewMountPoint();
  // Mounts `mounts` on a new mount point.
  absl::StatusOr<ScopedMount> MountAt(const std::vector<Mount>& mounts);
  // Prepares `key` over `parent`, writes `files` (name → content) through its mount and
  // commits it as `name`.
  absl::Status CommitLayer(const std::string& name, const std::string& parent,
                           const std::vector<std::pair<std::string, std::string>>& files);

  std::string dir_;   // per-test temporary directory
  std::string root_;  // the snapshotter's root, inside dir_
  std::unique_ptr<Snapshotter> snapshotter_;

 private:
  int mount_points_ = 0;
};

}  // namespace berth::images::testing
