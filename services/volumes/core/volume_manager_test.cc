// Tests for VolumeManager over real directories and real mounts (run as root): volume
// commands, resolution with Docker's precedence, copy-up from a read-only image and its
// containment, --volumes-from, references that survive reopening, driver-option mounts.
#include "services/volumes/core/volume_manager.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

#include "common/file_text.h"
#include "common/status_matchers.h"

namespace berth::volumes {
namespace {

using ::berth::testing::IsOk;
using ::berth::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

namespace fs = std::filesystem;

constexpr char kNs[] = "default";

void WriteFile(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

bool IsMountRoot(const std::string& path) {
  struct statx stx;
  return ::statx(AT_FDCWD, path.c_str(), AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &stx) == 0 &&
         (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

MountRequest Volume(const std::string& name, const std::string& target) {
  MountRequest r;
  r.kind = MountKind::kVolume;
  r.volume_name = name;
  r.target = target;
  return r;
}

MountRequest Bind(const std::string& host, const std::string& target, bool create) {
  MountRequest r;
  r.kind = MountKind::kBind;
  r.host_path = host;
  r.target = target;
  r.create_host_path = create;
  return r;
}

class VolumeManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-volumes-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    // An "image": /data holds files; /evil climbs out on the host; /etc has a marker.
    image_ = dir_ + "/image";
    fs::create_directories(image_ + "/data/sub");
    fs::create_directories(image_ + "/etc");
    WriteFile(image_ + "/data/hello.txt", "from the image\n");
    WriteFile(image_ + "/data/sub/deep.txt", "deep\n");
    ASSERT_EQ(::chown((image_ + "/data/hello.txt").c_str(), 1234, 5678), 0);
    ASSERT_EQ(::chmod((image_ + "/data/hello.txt").c_str(), 0640), 0);
    ASSERT_EQ(::chmod((image_ + "/data").c_str(), 0750), 0);
    WriteFile(image_ + "/etc/marker", "image etc\n");
    fs::create_symlink("../..", image_ + "/evil");
    fs::create_symlink("/", image_ + "/root-link");
    WriteFile(dir_ + "/host-secret", "host\n");
    manager_ = Reopen();
  }
  void TearDown() override {
    manager_.reset();
    std::error_code ignored;
    // Volumes with driver options may still be mounted if a test failed midway.
    for (const auto& entry : fs::recursive_directory_iterator(dir_ + "/root/volumes", ignored)) {
      if (entry.path().filename() == "_data") ::umount2(entry.path().c_str(), MNT_DETACH);
    }
    fs::remove_all(dir_, ignored);
  }
  std::unique_ptr<VolumeManager> Reopen() {
    manager_.reset();
    auto opened = VolumeManager::Open(dir_ + "/root", dir_ + "/state");
    EXPECT_THAT(opened.status(), IsOk());
    return opened.ok() ? *std::move(opened) : nullptr;
  }
  ResolveRequest Request(const std::string& container_id) {
    ResolveRequest request;
    request.container_id = container_id;
    request.rootfs = {RootfsMount{"bind", image_, {"rbind"}}};
    return request;
  }

  std::string dir_;
  std::string image_;
  std::unique_ptr<VolumeManager> manager_;
};

TEST_F(VolumeManagerTest, CreateGetListRemove) {
  auto created = manager_->Create(kNs, CreateVolume{"data1", "", {}, {{"team", "a"}}});
  ASSERT_THAT(created.status(), IsOk());
  EXPECT_EQ(created->mountpoint, dir_ + "/root/volumes/default/data1/_data");
  EXPECT_TRUE(fs::is_directory(created->mountpoint));
  EXPECT_EQ(created->volume.driver, "local");
  EXPECT_FALSE(created->volume.anonymous);
  // Creating it again returns it.
  EXPECT_THAT(manager_->Create(kNs, CreateVolume{"data1", "", {}, {}}).status(), IsOk());
  EXPECT_THAT(manager_->Create(kNs, CreateVolume{"x", "", {}, {}}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("invalid characters")));
  EXPECT_THAT(manager_->Create(kNs, CreateVolume{"ok_name", "", {{"bogus", "1"}}, {}}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("invalid option")));
  EXPECT_THAT(manager_->Create(kNs, CreateVolume{"ok_name", "", {{"type", "tmpfs"}}, {}}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("device")));
  EXPECT_THAT(manager_->Create(kNs, CreateVolume{"ok_name", "nfs-plugin", {}, {}}).status(),
              StatusIs(absl::StatusCode::kNotFound));
  auto anonymous = manager_->Create(kNs, CreateVolume{});
  ASSERT_THAT(anonymous.status(), IsOk());
  EXPECT_THAT(anonymous->volume.name, SizeIs(64));

  VolumeFilter team;
  team.labels = {"team=a"};
  auto listed = manager_->List(kNs, team);
  ASSERT_THAT(listed.status(), IsOk());
  ASSERT_THAT(*listed, SizeIs(1));
  EXPECT_EQ((*listed)[0].volume.name, "data1");
  EXPECT_EQ((*listed)[0].ref_count, 0);
  EXPECT_THAT(*manager_->List("other", VolumeFilter{}), IsEmpty());

  WriteFile(created->mountpoint + "/f", std::string(10000, 'x'));
  auto sized = manager_->Get(kNs, "data1", /*size=*/true);
  ASSERT_THAT(sized.status(), IsOk());
  EXPECT_GE(sized->size, 10000);

  EXPECT_THAT(manager_->Remove(kNs, "data1", false), IsOk());
  EXPECT_FALSE(fs::exists(dir_ + "/root/volumes/default/data1"));
  EXPECT_THAT(manager_->Remove(kNs, "data1", false),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("no such volume")));
  EXPECT_THAT(manager_->Remove(kNs, "data1", /*force=*/true), IsOk());
}

TEST_F(VolumeManagerTest, ResolveCopiesImageContentIntoNewVolumesOnce) {
  ResolveRequest first = Request("c1");
  first.mounts = {Volume("shared", "/data")};
  first.image_volumes = {"/data", "/etc"};
  auto resolved = manager_->Resolve(kNs, first);
  ASSERT_THAT(resolved.status(), IsOk());
  ASSERT_THAT(resolved->mounts, SizeIs(2));
  // The explicit volume replaced the image's anonymous one at /data.
  const ResolvedMount& data =
      resolved->mounts[0].destination == "/data" ? resolved->mounts[0] : resolved->mounts[1];
  EXPECT_EQ(data.volume_name, "shared");
  EXPECT_EQ(data.type, "bind");
  EXPECT_THAT(data.options, ElementsAre("rbind", "rw", "rprivate"));
  EXPECT_EQ(ReadFileText(data.source + "/hello.txt").value_or(""), "from the image\n");
  EXPECT_EQ(ReadFileText(data.source + "/sub/deep.txt").value_or(""), "deep\n");
  struct stat st;
  ASSERT_EQ(::stat((data.source + "/hello.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 1234u);
  EXPECT_EQ(st.st_gid, 5678u);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  ASSERT_EQ(::stat(data.source.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0750u);
  // The image is never written.
  EXPECT_FALSE(fs::exists(image_ + "/data/changed.txt"));

  // The first container changes the volume; the second sees that, not the image.
  WriteFile(data.source + "/hello.txt", "changed\n");
  ResolveRequest second = Request("c2");
  second.mounts = {Volume("shared", "/data")};
  auto again = manager_->Resolve(kNs, second);
  ASSERT_THAT(again.status(), IsOk());
  EXPECT_EQ(ReadFileText(again->mounts[0].source + "/hello.txt").value_or(""), "changed\n");
  EXPECT_THAT(again->volume_names, ElementsAre("shared"));

  auto info = manager_->Get(kNs, "shared", false);
  ASSERT_THAT(info.status(), IsOk());
  EXPECT_EQ(info->ref_count, 2);
  EXPECT_THAT(
      manager_->Remove(kNs, "shared", /*force=*/true),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("volume is in use - [c1, c2]")));
}

TEST_F(VolumeManagerTest, NocopyLeavesTheVolumeEmpty) {
  ResolveRequest request = Request("c1");
  MountRequest mount = Volume("", "/data");
  mount.nocopy = true;
  request.mounts = {mount};
  auto resolved = manager_->Resolve(kNs, request);
  ASSERT_THAT(resolved.status(), IsOk());
  EXPECT_TRUE(fs::is_empty(resolved->mounts[0].source));
}

TEST_F(VolumeManagerTest, HostileImagePathsStayInsideTheImage) {
  ResolveRequest request = Request("c1");
  // "/../../etc" is the image's /etc; /evil climbs out on the host but resolves to the
  // image's own root; /root-link is "/" — the image's, not the host's.
  request.image_volumes = {"/../../etc", "/evil", "/root-link"};
  auto resolved = manager_->Resolve(kNs, request);
  ASSERT_THAT(resolved.status(), IsOk());
  ASSERT_THAT(resolved->mounts, SizeIs(3));
  for (const ResolvedMount& mount : resolved->mounts) {
    EXPECT_FALSE(fs::exists(mount.source + "/host-secret")) << mount.destination;
    EXPECT_FALSE(fs::exists(mount.source + "/passwd")) << mount.destination;
    if (mount.destination == "/etc") {
      EXPECT_EQ(ReadFileText(mount.source + "/marker").value_or(""), "image etc\n");
    } else {
      // The image's root: its own /etc/marker and /data came along, nothing else.
      EXPECT_TRUE(fs::exists(mount.source + "/etc/marker")) << mount.destination;
      EXPECT_TRUE(fs::exists(mount.source + "/data/hello.txt")) << mount.destination;
    }
  }
}

TEST_F(VolumeManagerTest, BindMountsFollowDockersRules) {
  ResolveRequest request = Request("c1");
  const std::string made = dir_ + "/made/by/v";
  MountRequest ro = Bind("/etc/passwd", "/x", false);
  ro.read_only = true;
  ro.mode = "ro";
  request.mounts = {Bind(made, "/v", /*create=*/true), ro};
  auto resolved = manager_->Resolve(kNs, request);
  ASSERT_THAT(resolved.status(), IsOk());
  EXPECT_TRUE(fs::is_directory(made));
  ASSERT_THAT(resolved->mounts, SizeIs(2));
  EXPECT_EQ(resolved->mounts[1].source, "/etc/passwd");
  EXPECT_THAT(resolved->mounts[1].options, ElementsAre("rbind", "ro", "rprivate"));
  EXPECT_TRUE(resolved->mounts[1].read_only);
  EXPECT_THAT(resolved->volume_names, IsEmpty());

  ResolveRequest missing = Request("c2");
  missing.mounts = {Bind(dir_ + "/absent", "/a", /*create=*/false)};
  EXPECT_THAT(
      manager_->Resolve(kNs, missing).status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bind source path does not exist")));
  ResolveRequest relative = Request("c3");
  relative.mounts = {Bind("./here", "/a", /*create=*/true)};
  EXPECT_THAT(manager_->Resolve(kNs, relative).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("use absolute path")));
  ResolveRequest twice = Request("c4");
  twice.mounts = {Volume("", "/a"), Volume("", "/a/")};
  EXPECT_THAT(manager_->Resolve(kNs, twice).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("Duplicate mount point")));
  // Failed resolutions leave no volume behind.
  EXPECT_THAT(*manager_->List(kNs, VolumeFilter{}), IsEmpty());
}

TEST_F(VolumeManagerTest, VolumesFromSharesMountsAndKeepsThemAlive) {
  ResolveRequest store = Request("store");
  store.mounts = {Volume("", "/data"), Bind(dir_, "/host", false)};
  MountRequest tmp;
  tmp.kind = MountKind::kTmpfs;
  tmp.target = "/scratch";
  tmp.tmpfs_size = 1 << 20;
  tmp.tmpfs_mode = 01777;
  store.mounts.push_back(tmp);
  auto stored = manager_->Resolve(kNs, store);
  ASSERT_THAT(stored.status(), IsOk());
  ASSERT_THAT(stored->mounts, SizeIs(3));
  EXPECT_THAT(stored->mounts[2].options, ElementsAre("size=1048576", "mode=1777"));
  ASSERT_THAT(stored->volume_names, SizeIs(1));
  const std::string anonymous = stored->volume_names[0];

  ResolveRequest user = Request("user");
  user.volumes_from = {VolumesFrom{"store", VolumesFrom::Mode::kReadOnly}};
  auto used = manager_->Resolve(kNs, user);
  ASSERT_THAT(used.status(), IsOk());
  ASSERT_THAT(used->mounts, SizeIs(2));  // not the tmpfs
  for (const ResolvedMount& mount : used->mounts) {
    EXPECT_TRUE(mount.read_only);
    EXPECT_EQ(mount.from_container, "store");
    EXPECT_THAT(mount.options, ::testing::Contains("ro"));
  }
  EXPECT_THAT(used->volume_names, ElementsAre(anonymous));

  // Removing the store with -v keeps the volume the user still mounts.
  EXPECT_THAT(*manager_->Release(kNs, "store", /*remove_anonymous=*/true), IsEmpty());
  manager_ = Reopen();  // references survive a restart
  auto info = manager_->Get(kNs, anonymous, false);
  ASSERT_THAT(info.status(), IsOk());
  EXPECT_EQ(info->ref_count, 1);
  EXPECT_THAT(*manager_->Release(kNs, "user", /*remove_anonymous=*/true), ElementsAre(anonymous));
  EXPECT_THAT(manager_->Get(kNs, anonymous, false).status(), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(VolumeManagerTest, PruneRemovesUnusedAnonymousVolumesUnlessAll) {
  ASSERT_THAT(manager_->Create(kNs, CreateVolume{"named", "", {}, {}}).status(), IsOk());
  ResolveRequest request = Request("c1");
  request.mounts = {Volume("", "/a")};
  request.image_volumes = {"/nothing-there"};
  auto resolved = manager_->Resolve(kNs, request);
  ASSERT_THAT(resolved.status(), IsOk());
  EXPECT_THAT(manager_->Prune(kNs, false, VolumeFilter{})->deleted, IsEmpty());  // in use
  EXPECT_THAT(*manager_->Release(kNs, "c1", /*remove_anonymous=*/false), IsEmpty());
  VolumeFilter unused;
  unused.dangling = true;
  auto dangling = manager_->List(kNs, unused);
  EXPECT_THAT(*dangling, SizeIs(3));
  auto pruned = manager_->Prune(kNs, false, VolumeFilter{});
  ASSERT_THAT(pruned.status(), IsOk());
  EXPECT_THAT(pruned->deleted, SizeIs(2));
  auto all = manager_->Prune(kNs, true, VolumeFilter{});
  EXPECT_THAT(all->deleted, ElementsAre("named"));
}

TEST_F(VolumeManagerTest, DriverOptionVolumesAreMountedWhileUsed) {
  ASSERT_THAT(manager_
                  ->Create(kNs,
                           CreateVolume{
                               "ramdisk",
                               "",
                               {{"type", "tmpfs"}, {"device", "tmpfs"}, {"o", "size=1m,mode=0700"}},
                               {}})
                  .status(),
              IsOk());
  const std::string data = dir_ + "/root/volumes/default/ramdisk/_data";
  EXPECT_FALSE(IsMountRoot(data));
  ResolveRequest request = Request("c1");
  request.mounts = {Volume("ramdisk", "/ram")};
  ASSERT_THAT(manager_->Resolve(kNs, request).status(), IsOk());
  EXPECT_TRUE(IsMountRoot(data));
  struct stat st;
  ASSERT_EQ(::stat(data.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  EXPECT_THAT(*manager_->Release(kNs, "c1", true), IsEmpty());  // named: kept
  EXPECT_FALSE(IsMountRoot(data));
  EXPECT_THAT(manager_->Remove(kNs, "ramdisk", false), IsOk());
}

}  // namespace
}  // namespace berth::volumes
