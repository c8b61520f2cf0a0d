#include "services/images/core/snapshotter_suite.h"

#include <errno.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "common/status_matchers.h"

namespace berth::images::testing {
namespace {

using ::berth::testing::IsOk;
using ::berth::testing::IsOkAndHolds;
using ::berth::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::Ge;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

bool Has(const std::vector<std::string>& options, const std::string& option) {
  return std::find(options.begin(), options.end(), option) != options.end();
}

absl::Status WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("writing ", path));
  return absl::OkStatus();
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "<missing>";
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

}  // namespace

std::string SnapshotterFactoryName(const ::testing::TestParamInfo<SnapshotterFactory>& info) {
  return info.param.name;
}

// ---- ScopedMount ----

absl::StatusOr<ScopedMount> ScopedMount::Create(const std::vector<Mount>& mounts,
                                                const std::string& target) {
  ScopedMount scoped(target);
  for (const Mount& m : mounts) {
    const bool ro = Has(m.options, "ro");
    if (m.type == "bind") {
      unsigned long flags = MS_BIND | (Has(m.options, "rbind") ? MS_REC : 0);
      if (::mount(m.source.c_str(), target.c_str(), nullptr, flags, nullptr) != 0) {
        return absl::ErrnoToStatus(errno, absl::StrCat("bind mount ", m.source, " on ", target));
      }
      scoped.layers_++;
      // A bind ignores MS_RDONLY on creation: read-only takes a remount.
      if (ro && ::mount(nullptr, target.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY,
                        nullptr) != 0) {
        return absl::ErrnoToStatus(errno, absl::StrCat("remounting ", target, " read-only"));
      }
    } else {
      std::vector<std::string> data;
      for (const std::string& option : m.options) {
        if (option != "ro" && option != "rw") data.push_back(option);
      }
      std::string joined = absl::StrJoin(data, ",");
      if (::mount(m.source.c_str(), target.c_str(), m.type.c_str(), ro ? MS_RDONLY : 0,
                  joined.c_str()) != 0) {
        return absl::ErrnoToStatus(errno,
                                   absl::StrCat("mount -t ", m.type, " -o ", joined, " ", target));
      }
      scoped.layers_++;
    }
  }
  return scoped;
}

ScopedMount::ScopedMount(ScopedMount&& other) noexcept
    : target_(std::move(other.target_)), layers_(std::exchange(other.layers_, 0)) {}

ScopedMount::~ScopedMount() { Unmount().IgnoreError(); }

absl::Status ScopedMount::Unmount() {
  absl::Status status;
  for (; layers_ > 0; layers_--) {
    if (::umount2(target_.c_str(), 0) != 0) {
      status.Update(absl::ErrnoToStatus(errno, absl::StrCat("unmounting ", target_)));
      ::umount2(target_.c_str(), MNT_DETACH);
    }
  }
  return status;
}

// ---- fixture ----

void SnapshotterSuite::SetUp() {
  if (::geteuid() != 0) GTEST_SKIP() << "the snapshotter suite mounts filesystems: run as root";
  if (std::string why = GetParam().unavailable(); !why.empty()) {
    GTEST_SKIP() << GetParam().name << " cannot run here: " << why;
  }
  std::string tmpl = absl::StrCat("/tmp/berth-snapshots-", ::getpid(), "-XXXXXX");
  ASSERT_NE(::mkdtemp(tmpl.data()), nullptr) << strerror(errno);
  dir_ = tmpl;
  root_ = dir_ + "/root";
  absl::StatusOr<std::unique_ptr<Snapshotter>> s = GetParam().open(root_);
  ASSERT_THAT(s, IsOk());
  snapshotter_ = *std::move(s);
}

void SnapshotterSuite::TearDown() {
  snapshotter_.reset();
  if (dir_.empty()) return;
  // Tests unmount through ScopedMount; detach anything a failed assertion left behind.
  for (int i = 1; i <= mount_points_; i++) {
    ::umount2(absl::StrCat(dir_, "/mnt", i).c_str(), MNT_DETACH);
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
  EXPECT_FALSE(ec) << "removing " << dir_ << ": " << ec.message();
}

std::string SnapshotterSuite::NewMountPoint() {
  std::string path = absl::StrCat(dir_, "/mnt", ++mount_points_);
  EXPECT_EQ(::mkdir(path.c_str(), 0755), 0) << path << ": " << strerror(errno);
  return path;
}

absl::StatusOr<ScopedMount> SnapshotterSuite::MountAt(const std::vector<Mount>& mounts) {
  return ScopedMount::Create(mounts, NewMountPoint());
}

absl::Status SnapshotterSuite::CommitLayer(
    const std::string& name, const std::string& parent,
    const std::vector<std::pair<std::string, std::string>>& files) {
  std::string key = absl::StrCat(name, "-active");
  BERTH_ASSIGN_OR_RETURN(std::vector<Mount> mounts, snapshotter_->Prepare(key, parent, {}));
  {
    BERTH_ASSIGN_OR_RETURN(ScopedMount mnt, MountAt(mounts));
    for (const auto& [file, content] : files) {
      BERTH_RETURN_IF_ERROR(WriteFile(mnt.path() + "/" + file, content));
    }
    BERTH_RETURN_IF_ERROR(mnt.Unmount());
  }
  return snapshotter_->Commit(name, key, {});
}

// ---- the suite ----

TEST_P(SnapshotterSuite, NameMatchesFactory) { EXPECT_EQ(snapshotter_->name(), GetParam().name); }

TEST_P(SnapshotterSuite, CommittedFilesAppearInChild) {
  absl::StatusOr<std::vector<Mount>> mounts = snapshotter_->Prepare("base-active", "", {});
  ASSERT_THAT(mounts, IsOk());
  {
    absl::StatusOr<ScopedMount> mnt = MountAt(*mounts);
    ASSERT_THAT(mnt, IsOk());
    BERTH_ASSERT_OK(WriteFile(mnt->path() + "/hello", "world"));
    ASSERT_EQ(::mkdir((mnt->path() + "/dir").c_str(), 0750), 0);
    BERTH_ASSERT_OK(WriteFile(mnt->path() + "/dir/inner", "deep"));
    BERTH_ASSERT_OK(mnt->Unmount());
  }
  BERTH_ASSERT_OK(snapshotter_->Commit("base", "base-active", {}));

  mounts = snapshotter_->Prepare("child", "base", {});
  ASSERT_THAT(mounts, IsOk());
  absl::StatusOr<ScopedMount> mnt = MountAt(*mounts);
  ASSERT_THAT(mnt, IsOk());
  EXPECT_EQ(ReadFile(mnt->path() + "/hello"), "world");
  EXPECT_EQ(ReadFile(mnt->path() + "/dir/inner"), "deep");
  struct stat st;
  ASSERT_EQ(::stat((mnt->path() + "/dir").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0750u);
  // The child is writable and its writes do not reach the committed parent.
  BERTH_EXPECT_OK(WriteFile(mnt->path() + "/hello", "changed"));
  EXPECT_EQ(ReadFile(mnt->path() + "/hello"), "changed");
  BERTH_ASSERT_OK(mnt->Unmount());
  absl::StatusOr<std::vector<Mount>> view = snapshotter_->View("base-view", "base", {});
  ASSERT_THAT(view, IsOk());
  absl::StatusOr<ScopedMount> view_mnt = MountAt(*view);
  ASSERT_THAT(view_mnt, IsOk());
  EXPECT_EQ(ReadFile(view_mnt->path() + "/hello"), "world");
}

TEST_P(SnapshotterSuite, DeletedInChildIsAbsentInGrandchild) {
  BERTH_ASSERT_OK(CommitLayer("base", "", {{"keep", "1"}, {"gone", "2"}}));
  absl::StatusOr<std::vector<Mount>> mounts = snapshotter_->Prepare("child-active", "base", {});
  ASSERT_THAT(mounts, IsOk());
  {
    absl::StatusOr<ScopedMount> mnt = MountAt(*mounts);
    ASSERT_THAT(mnt, IsOk());
    ASSERT_EQ(::unlink((mnt->path() + "/gone").c_str()), 0) << strerror(errno);
    ASSERT_EQ(::mkdir((mnt->path() + "/newdir").c_str(), 0755), 0);
    BERTH_ASSERT_OK(mnt->Unmount());
  }
  BERTH_ASSERT_OK(snapshotter_->Commit("child", "child-active", {}));
  mounts = snapshotter_->Prepare("grandchild", "child", {});
  ASSERT_THAT(mounts, IsOk());
  absl::StatusOr<ScopedMount> mnt = MountAt(*mounts);
  ASSERT_THAT(mnt, IsOk());
  EXPECT_EQ(ReadFile(mnt->path() + "/keep"), "1");
  EXPECT_FALSE(Exists(mnt->path() + "/gone"));
  EXPECT_TRUE(Exists(mnt->path() + "/newdir"));
}

TEST_P(SnapshotterSuite, ViewIsReadOnly) {
  BERTH_ASSERT_OK(CommitLayer("base", "", {{"a", "1"}}));
  BERTH_ASSERT_OK(CommitLayer("top", "base", {{"b", "2"}}));
  for (std::string parent : {"base", "top"}) {  // one layer, and a stack of two
    SCOPED_TRACE(parent);
    absl::StatusOr<std::vector<Mount>> mounts = snapshotter_->View("view-" + parent, parent, {});
    ASSERT_THAT(mounts, IsOk());
    EXPECT_THAT(WritableDir(*mounts), StatusIs(absl::StatusCode::kFailedPrecondition));
    absl::StatusOr<ScopedMount> mnt = MountAt(*mounts);
    ASSERT_THAT(mnt, IsOk());
    EXPECT_EQ(ReadFile(mnt->path() + "/a"), "1");
    int fd = ::open((mnt->path() + "/new").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    EXPECT_EQ(fd, -1);
    EXPECT_EQ(errno, EROFS);
    if (fd >= 0) ::close(fd);
    EXPECT_THAT(snapshotter_->Commit("committed-view", "view-" + parent, {}),
                StatusIs(absl::StatusCode::kFailedPrecondition));
  }
}

TEST_P(SnapshotterSuite, WritableDirFillsAnActiveSnapshotWithoutMounting) {
  BERTH_ASSERT_OK(CommitLayer("base", "", {{"a", "1"}}));
  for (std::string parent : {"", "base"}) {
    SCOPED_TRACE(parent);
    absl::StatusOr<std::vector<Mount>> mounts =
        snapshotter_->Prepare("unpack-" + parent, parent, {});
    ASSERT_THAT(mounts, IsOk());
    absl::StatusOr<std::string> dir = WritableDir(*mounts);
    ASSERT_THAT(dir, IsOk());
    BERTH_ASSERT_OK(WriteFile(*dir + "/unpacked", parent));
    BERTH_ASSERT_OK(snapshotter_->Commit("layer-" + parent, "unpack-" + parent, {}));
    absl::StatusOr<std::vector<Mount>> child =
        snapshotter_->View("check-" + parent, "layer-" + parent, {});
    ASSERT_THAT(child, IsOk());
    absl::StatusOr<ScopedMount> mnt = MountAt(*child);
    ASSERT_THAT(mnt, IsOk());
    EXPECT_EQ(ReadFile(mnt->path() + "/unpacked"), parent);
  }
}

TEST_P(SnapshotterSuite, ChildSeesEveryKindOfFileAndAttribute) {
  absl::StatusOr<std::vector<Mount>> mounts = snapshotter_->Prepare("base-active", "", {});
  ASSERT_THAT(mounts, IsOk());
  const struct timespec old_times[2] = {{1000000000, 0}, {1000000000, 123456789}};
  {
    absl::StatusOr<ScopedMount> mnt = MountAt(*mounts);
    ASSERT_THAT(mnt, IsOk());
    const std::string p = mnt->path();
    BERTH_ASSERT_OK(WriteFile(p + "/suid", "#!/bin/sh\n"));
    ASSERT_EQ(::chown((p + "/suid").c_str(), 1234, 5678), 0);
    ASSERT_EQ(::chmod((p + "/suid").c_str(), 04755), 0);
    ASSERT_EQ(::setxattr((p + "/suid").c_str(), "user.berth", "yes", 3, 0), 0) << strerror(errno);
    ASSERT_EQ(::utimensat(AT_FDCWD, (p + "/suid").c_str(), old_times, 0), 0);
    ASSERT_EQ(::link((p + "/suid").c_str(), (p + "/hardlink").c_str()), 0);
    ASSERT_EQ(::symlink("suid", (p + "/link").c_str()), 0);
    ASSERT_EQ(::lchown((p + "/link").c_str(), 42, 43), 0);
    ASSERT_EQ(::mknod((p + "/null").c_str(), S_IFCHR | 0666, makedev(1, 3)), 0);
    ASSERT_EQ(::chmod((p + "/null").c_str(), 0666), 0);
    ASSERT_EQ(::mkfifo((p + "/fifo").c_str(), 0640), 0);
    ASSERT_EQ(::mkdir((p + "/old").c_str(), 0700), 0);
    ASSERT_EQ(::utimensat(AT_FDCWD, (p + "/old").c_str(), old_times, 0), 0);
    BERTH_ASSERT_OK(mnt->Unmount());
  }
  BERTH_ASSERT_OK(snapshotter_->Commit("base", "base-active", {}));
  mounts = snapshotter_->Prepare("child", "base", {});
  ASSERT_THAT(mounts, IsOk());
  absl::StatusOr<ScopedMount> mnt = MountAt(*mounts);
  ASSERT_THAT(mnt, IsOk());
  const std::string p = mnt->path();

  struct stat st, st2;
  ASSERT_EQ(::lstat((p + "/suid").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 04755u);
  EXPECT_EQ(st.st_uid, 1234u);
  EXPECT_EQ(st.st_gid, 5678u);
  EXPECT_EQ(st.st_mtim.tv_sec, old_times[1].tv_sec);
  EXPECT_EQ(st.st_mtim.tv_nsec, old_times[1].tv_nsec);
  EXPECT_EQ(st.st_nlink, 2u);
  char value[8] = {};
  EXPECT_EQ(::getxattr((p + "/suid").c_str(), "user.berth", value, sizeof(value)), 3);
  EXPECT_STREQ(value, "yes");
  ASSERT_EQ(::lstat((p + "/hardlink").c_str(), &st2), 0);
  EXPECT_EQ(st2.st_ino, st.st_ino);

  ASSERT_EQ(::lstat((p + "/link").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_EQ(st.st_uid, 42u);
  char target[16] = {};
  EXPECT_EQ(::readlink((p + "/link").c_str(), target, sizeof(target)), 4);
  EXPECT_STREQ(target, "suid");

  ASSERT_EQ(::lstat((p + "/null").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(1, 3));
  EXPECT_EQ(st.st_mode & 07777, 0666u);
  ASSERT_EQ(::lstat((p + "/fifo").c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  ASSERT_EQ(::lstat((p + "/old").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  EXPECT_EQ(st.st_mtim.tv_sec, old_times[1].tv_sec);
}

TEST_P(SnapshotterSuite, RemoveRefusesParentsAndUnknownKeys) {
  BERTH_ASSERT_OK(CommitLayer("base", "", {{"a", "1"}}));
  ASSERT_THAT(snapshotter_->Prepare("child", "base", {}), IsOk());
  ASSERT_THAT(snapshotter_->View("view", "base", {}), IsOk());
  EXPECT_THAT(snapshotter_->Remove("base"), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(snapshotter_->Remove("nonexistent"), StatusIs(absl::StatusCode::kNotFound));
  BERTH_EXPECT_OK(snapshotter_->Remove("child"));
  EXPECT_THAT(snapshotter_->Remove("base"), StatusIs(absl::StatusCode::kFailedPrecondition));
  BERTH_EXPECT_OK(snapshotter_->Remove("view"));
  BERTH_EXPECT_OK(snapshotter_->Remove("base"));
  EXPECT_THAT(snapshotter_->Stat("base"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(snapshotter_->List(), IsOkAndHolds(IsEmpty()));
  EXPECT_TRUE(std::filesystem::is_empty(root_ + "/snapshots"));
}

TEST_P(SnapshotterSuite, PrepareRefusesTakenKeysAndBadParents) {
  BERTH_ASSERT_OK(CommitLayer("base", "", {}));
  ASSERT_THAT(snapshotter_->Prepare("active", "base", {}), IsOk());
  EXPECT_THAT(snapshotter_->Prepare("active", "", {}), StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(snapshotter_->View("base", "", {}), StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(snapshotter_->Prepare("x", "missing", {}), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(snapshotter_->Prepare("x", "active", {}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(snapshotter_->Prepare("", "", {}), StatusIs(absl::StatusCode::kInvalidArgument));
  // Failed Prepares leave no directory behind.
  absl::StatusOr<std::vector<SnapshotInfo>> list = snapshotter_->List();
  ASSERT_THAT(list, IsOk());
  EXPECT_EQ(list->size(), 2u);
  size_t dirs = 0;
  for ([[maybe_unused]] const auto& entry :
       std::filesystem::directory_iterator(root_ + "/snapshots")) {
    dirs++;
  }
  EXPECT_EQ(dirs, 2u);
}

TEST_P(SnapshotterSuite, CommitNeedsAnActiveSnapshot) {
  BERTH_ASSERT_OK(CommitLayer("base", "", {}));
  ASSERT_THAT(snapshotter_->View("view", "base", {}), IsOk());
  ASSERT_THAT(snapshotter_->Prepare("active", "base", {}), IsOk());
  EXPECT_THAT(snapshotter_->Commit("x", "view", {}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(snapshotter_->Commit("x", "base", {}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(snapshotter_->Commit("x", "missing", {}), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(snapshotter_->Commit("base", "active", {}),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(snapshotter_->Mounts("base"), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(snapshotter_->Mounts("missing"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(SnapshotterSuite, StatListAndUpdate) {
  absl::Time before = absl::Now();
  ASSERT_THAT(snapshotter_->Prepare("base-active", "", {{"stage", "prepare"}}), IsOk());
  absl::StatusOr<SnapshotInfo> info = snapshotter_->Stat("base-active");
  ASSERT_THAT(info, IsOk());
  EXPECT_EQ(info->name, "base-active");
  EXPECT_EQ(info->parent, "");
  EXPECT_EQ(info->kind, SnapshotKind::kActive);
  EXPECT_THAT(info->labels,
              ElementsAre(std::pair<const std::string, std::string>("stage", "prepare")));
  EXPECT_GE(info->created, before);
  EXPECT_EQ(info->updated, info->created);

  BERTH_ASSERT_OK(snapshotter_->Commit("base", "base-active", {{"stage", "commit"}, {"k", "v"}}));
  EXPECT_THAT(snapshotter_->Stat("base-active"), StatusIs(absl::StatusCode::kNotFound));
  info = snapshotter_->Stat("base");
  ASSERT_THAT(info, IsOk());
  EXPECT_EQ(info->kind, SnapshotKind::kCommitted);
  EXPECT_EQ(info->labels, (Labels{{"stage", "commit"}, {"k", "v"}}));
  EXPECT_GE(info->updated, info->created);

  ASSERT_THAT(snapshotter_->View("view", "base", {}), IsOk());
  ASSERT_THAT(snapshotter_->Prepare("active", "base", {}), IsOk());
  absl::StatusOr<std::vector<SnapshotInfo>> list = snapshotter_->List();
  ASSERT_THAT(list, IsOk());
  EXPECT_THAT(*list,
              UnorderedElementsAre(AllOf(Field(&SnapshotInfo::name, "base"),
                                         Field(&SnapshotInfo::kind, SnapshotKind::kCommitted),
                                         Field(&SnapshotInfo::parent, "")),
                                   AllOf(Field(&SnapshotInfo::name, "view"),
                                         Field(&SnapshotInfo::kind, SnapshotKind::kView),
                                         Field(&SnapshotInfo::parent, "base")),
                                   AllOf(Field(&SnapshotInfo::name, "active"),
                                         Field(&SnapshotInfo::kind, SnapshotKind::kActive),
                                         Field(&SnapshotInfo::parent, "base"))));

  SnapshotInfo change;
  change.name = "base";
  change.labels = {{"new", "1"}};
  // "labels.<k>" sets one label, or removes it when the update lacks it.
  absl::StatusOr<SnapshotInfo> updated = snapshotter_->Update(change, {"labels.new", "labels.k"});
  ASSERT_THAT(updated, IsOk());
  EXPECT_EQ(updated->labels, (Labels{{"stage", "commit"}, {"new", "1"}}));
  EXPECT_GE(updated->updated, info->updated);
  EXPECT_THAT(
      snapshotter_->Stat("base"),
      IsOkAndHolds(Field(&SnapshotInfo::labels, Labels{{"stage", "commit"}, {"new", "1"}})));
  // "labels" (or no path at all) replaces them all.
  EXPECT_THAT(snapshotter_->Update(change, {"labels"}),
              IsOkAndHolds(Field(&SnapshotInfo::labels, Labels{{"new", "1"}})));
  change.labels = {};
  EXPECT_THAT(snapshotter_->Update(change, {}),
              IsOkAndHolds(Field(&SnapshotInfo::labels, IsEmpty())));
  EXPECT_THAT(snapshotter_->Update(change, {"parent"}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  change.name = "missing";
  EXPECT_THAT(snapshotter_->Update(change, {}), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(SnapshotterSuite, UsageCountsBytesAndInodesOnce) {
  absl::StatusOr<std::vector<Mount>> mounts = snapshotter_->Prepare("active", "", {});
  ASSERT_THAT(mounts, IsOk());
  EXPECT_THAT(snapshotter_->Usage("active"),
              IsOkAndHolds(Field(&SnapshotUsage::inodes, 1)));  // the empty root
  {
    absl::StatusOr<ScopedMount> mnt = MountAt(*mounts);
    ASSERT_THAT(mnt, IsOk());
    BERTH_ASSERT_OK(WriteFile(mnt->path() + "/data", std::string(100000, 'x')));
    ASSERT_EQ(::link((mnt->path() + "/data").c_str(), (mnt->path() + "/same").c_str()), 0);
    ASSERT_EQ(::mkdir((mnt->path() + "/dir").c_str(), 0755), 0);
    BERTH_ASSERT_OK(mnt->Unmount());
  }
  absl::StatusOr<SnapshotUsage> usage = snapshotter_->Usage("active");
  ASSERT_THAT(usage, IsOk());
  EXPECT_EQ(usage->inodes, 3);  // root, data (linked twice), dir
  EXPECT_GE(usage->size_bytes, 100000);
  EXPECT_LT(usage->size_bytes, 2 * 100000);  // the hardlink is not counted twice
  EXPECT_THAT(snapshotter_->Usage("missing"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(SnapshotterSuite, ChainOfFiveLayersShowsEveryLayer) {
  std::string parent;
  for (int i = 1; i <= 5; i++) {
    std::string name = absl::StrCat("layer", i);
    BERTH_ASSERT_OK(CommitLayer(name, parent, {{absl::StrCat("file", i), name}}));
    parent = name;
  }
  absl::StatusOr<SnapshotInfo> top = snapshotter_->Stat("layer5");
  ASSERT_THAT(top, IsOk());
  EXPECT_EQ(top->parent, "layer4");
  for (bool view : {false, true}) {
    SCOPED_TRACE(view ? "view" : "active");
    absl::StatusOr<std::vector<Mount>> mounts = view ? snapshotter_->View("top-view", "layer5", {})
                                                     : snapshotter_->Prepare("top", "layer5", {});
    ASSERT_THAT(mounts, IsOk());
    absl::StatusOr<ScopedMount> mnt = MountAt(*mounts);
    ASSERT_THAT(mnt, IsOk());
    for (int i = 1; i <= 5; i++) {
      EXPECT_EQ(ReadFile(absl::StrCat(mnt->path(), "/file", i)), absl::StrCat("layer", i));
    }
  }
}

TEST_P(SnapshotterSuite, CleanupRemovesStrayDirectories) {
  BERTH_ASSERT_OK(CommitLayer("base", "", {{"a", "1"}}));
  const std::string stray = root_ + "/snapshots/987654";
  std::filesystem::create_directories(stray + "/fs/deep/er");
  BERTH_ASSERT_OK(WriteFile(stray + "/fs/deep/er/file", "left by a crash"));
  std::filesystem::create_directories(root_ + "/snapshots/new-1-1/fs");
  BERTH_ASSERT_OK(snapshotter_->Cleanup());
  EXPECT_FALSE(Exists(stray));
  EXPECT_FALSE(Exists(root_ + "/snapshots/new-1-1"));
  absl::StatusOr<std::vector<Mount>> mounts = snapshotter_->View("view", "base", {});
  ASSERT_THAT(mounts, IsOk());
  absl::StatusOr<ScopedMount> mnt = MountAt(*mounts);
  ASSERT_THAT(mnt, IsOk());
  EXPECT_EQ(ReadFile(mnt->path() + "/a"), "1");
}

TEST_P(SnapshotterSuite, ReopenedSnapshotterSeesTheSameSnapshots) {
  BERTH_ASSERT_OK(CommitLayer("base", "", {{"a", "1"}}));
  absl::StatusOr<std::vector<Mount>> mounts = snapshotter_->Prepare("active", "base", {{"k", "v"}});
  ASSERT_THAT(mounts, IsOk());
  absl::StatusOr<std::vector<SnapshotInfo>> before = snapshotter_->List();
  ASSERT_THAT(before, IsOk());
  snapshotter_.reset();

  absl::StatusOr<std::unique_ptr<Snapshotter>> reopened = GetParam().open(root_);
  ASSERT_THAT(reopened, IsOk());
  snapshotter_ = *std::move(reopened);
  absl::StatusOr<std::vector<SnapshotInfo>> after = snapshotter_->List();
  ASSERT_THAT(after, IsOk());
  ASSERT_EQ(after->size(), before->size());
  for (size_t i = 0; i < after->size(); i++) {
    EXPECT_EQ((*after)[i].name, (*before)[i].name);
    EXPECT_EQ((*after)[i].parent, (*before)[i].parent);
    EXPECT_EQ((*after)[i].kind, (*before)[i].kind);
    EXPECT_EQ((*after)[i].labels, (*before)[i].labels);
    EXPECT_EQ((*after)[i].created, (*before)[i].created);
  }
  EXPECT_THAT(snapshotter_->Mounts("active"), IsOkAndHolds(*mounts));
  BERTH_ASSERT_OK(snapshotter_->Cleanup());  // nothing of theirs is stray
  absl::StatusOr<ScopedMount> mnt = MountAt(*mounts);
  ASSERT_THAT(mnt, IsOk());
  EXPECT_EQ(ReadFile(mnt->path() + "/a"), "1");
}

TEST_P(SnapshotterSuite, ConcurrentPreparesOfOneParent) {
  BERTH_ASSERT_OK(CommitLayer("base", "", {{"a", "1"}}));
  constexpr int kThreads = 8;
  std::vector<absl::Status> results(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; i++) {
    threads.emplace_back([&, i] {
      // Two threads per key: exactly one of each pair may win.
      results[i] = snapshotter_->Prepare(absl::StrCat("active", i / 2), "base", {}).status();
    });
  }
  for (std::thread& t : threads) t.join();
  int ok = 0;
  for (const absl::Status& status : results) {
    if (status.ok()) {
      ok++;
    } else {
      EXPECT_THAT(status, StatusIs(absl::StatusCode::kAlreadyExists));
    }
  }
  EXPECT_EQ(ok, kThreads / 2);
  absl::StatusOr<std::vector<SnapshotInfo>> list = snapshotter_->List();
  ASSERT_THAT(list, IsOk());
  EXPECT_EQ(list->size(), 1u + kThreads / 2);
  BERTH_ASSERT_OK(snapshotter_->Cleanup());
  size_t dirs = 0;
  for ([[maybe_unused]] const auto& entry :
       std::filesystem::directory_iterator(root_ + "/snapshots")) {
    dirs++;
  }
  EXPECT_EQ(dirs, list->size());
}

}  // namespace berth::images::testing
