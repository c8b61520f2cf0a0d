#include "services/images/core/layer_unpacker.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "common/file_text.h"
#include "common/status_matchers.h"
#include "services/images/core/layer_test_support.h"

namespace berth::images {
namespace {

using ::berth::testing::StatusIs;
using ::testing::HasSubstr;
using namespace ::berth::images::testing;

class LayerUnpackerTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    auto content = ContentStore::Open(dir_ / "content");
    ASSERT_TRUE(content.ok()) << content.status();
    content_ = std::move(*content);
    auto snapshotter = OpenSnapshotter(GetParam(), dir_ / "snapshots");
    ASSERT_TRUE(snapshotter.ok()) << snapshotter.status();
    snapshotter_ = std::move(*snapshotter);
  }

  // Stores `blob` and returns its digest.
  Digest Store(const std::string& blob) {
    auto writer = content_->Writer("test-" + Digest::Of(blob).str(), -1, nullptr);
    EXPECT_TRUE(writer.ok()) << writer.status();
    EXPECT_TRUE((*writer)->Write(blob).ok());
    auto digest = (*writer)->Commit(static_cast<int64_t>(blob.size()), nullptr);
    EXPECT_TRUE(digest.ok()) << digest.status();
    return *digest;
  }

  // The directory holding a committed snapshot's own files (no mount needed for either
  // driver: a view of one committed snapshot is a bind of its directory).
  std::string CommittedDir(const Digest& chain) {
    std::string key = "view-" + chain.str();
    auto mounts = snapshotter_->View(key, chain.str(), {});
    EXPECT_TRUE(mounts.ok()) << mounts.status();
    views_.push_back(key);
    const Mount& mount = (*mounts)[0];
    if (mount.type != "overlay") return mount.source;
    // A view over several layers is an overlay; its first lowerdir is the top layer.
    for (const std::string& option : mount.options) {
      if (option.rfind("lowerdir=", 0) == 0) return option.substr(9, option.find(':') - 9);
    }
    return "";
  }

  TempDir dir_{"unpack"};
  std::unique_ptr<ContentStore> content_;
  std::unique_ptr<Snapshotter> snapshotter_;
  std::vector<std::string> views_;
};

TEST_P(LayerUnpackerTest, UnpacksAChainNamedByChainIds) {
  std::string base_tar = BuildTar(
      {Dir("etc"), File("etc/hostname", "base\n"), File("etc/gone", "x")}, Compression::kGzip);
  std::string top_tar =
      BuildTar({Dir("etc"), File("etc/hostname", "top\n"), File("etc/.wh.gone", "")});
  Digest base_blob = Store(base_tar);
  Digest top_blob = Store(top_tar);
  Digest base_diff =
      Digest::Of(BuildTar({Dir("etc"), File("etc/hostname", "base\n"), File("etc/gone", "x")}));
  Digest top_diff = Digest::Of(top_tar);

  LayerUnpacker unpacker(*content_, *snapshotter_);
  auto base = unpacker.Unpack(Digest(), base_blob, base_diff);
  ASSERT_TRUE(base.ok()) << base.status();
  EXPECT_EQ(base->chain_id, base_diff);
  EXPECT_FALSE(base->already_existed);
  auto top = unpacker.Unpack(base->chain_id, top_blob, top_diff);
  ASSERT_TRUE(top.ok()) << top.status();
  EXPECT_EQ(top->chain_id, ChainId(base_diff, top_diff));
  EXPECT_EQ(top->chain_id, Digest::Of(base_diff.str() + " " + top_diff.str()));

  auto info = snapshotter_->Stat(top->chain_id.str());
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->kind, SnapshotKind::kCommitted);
  EXPECT_EQ(info->parent, base->chain_id.str());

  std::string top_dir = CommittedDir(top->chain_id);
  EXPECT_EQ(*ReadFileText(top_dir + "/etc/hostname"), "top\n");
  struct stat st {};
  if (GetParam() == "overlayfs") {
    // The upper layer records the deletion as overlayfs's whiteout device.
    ASSERT_EQ(::lstat((top_dir + "/etc/gone").c_str(), &st), 0);
    EXPECT_TRUE(S_ISCHR(st.st_mode));
    EXPECT_EQ(st.st_rdev, 0u);
  } else {
    EXPECT_NE(::lstat((top_dir + "/etc/gone").c_str(), &st), 0);
  }

  // A second unpack of the same chain finds it.
  auto again = unpacker.Unpack(base->chain_id, top_blob, top_diff);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->already_existed);
}

TEST_P(LayerUnpackerTest, WrongDiffIdCommitsNothing) {
  Digest blob = Store(BuildTar({File("a", "a")}));
  LayerUnpacker unpacker(*content_, *snapshotter_);
  auto result = unpacker.Unpack(Digest(), blob, Digest::Of("something else"));
  EXPECT_THAT(result, StatusIs(absl::StatusCode::kDataLoss, HasSubstr("image config says")));
  auto all = snapshotter_->List();
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->empty()) << all->size() << " snapshots left behind";
}

TEST_P(LayerUnpackerTest, HostileLayerCommitsNothing) {
  Digest blob = Store(BuildTar({File("../escape", "x")}));
  LayerUnpacker unpacker(*content_, *snapshotter_);
  EXPECT_FALSE(unpacker.Unpack(Digest(), blob, Digest::Of("x")).ok());
  auto all = snapshotter_->List();
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->empty());
}

INSTANTIATE_TEST_SUITE_P(Drivers, LayerUnpackerTest, ::testing::Values("overlayfs", "native"));

}  // namespace
}  // namespace berth::images
