// CommitSnapshot over both snapshotters: a snapshot changed through its mount (a file
// added, one deleted, one changed) becomes an image whose new layer holds exactly those
// changes, whiteout included, and whose config carries the changes and history.
#include "services/images/core/image_commit.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cstdio>

#include "absl/strings/str_join.h"
#include "common/status_matchers.h"
#include "services/images/core/image_archive_load.h"
#include "services/images/core/image_catalog.h"
#include "services/images/core/layer_apply.h"
#include "services/images/core/layer_test_support.h"
#include "services/images/testing/test_image.h"

namespace berth::images {
namespace {

using ::berth::testing::StatusIs;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Key;
using ::testing::Not;
using namespace ::berth::images::testing;

constexpr char kNs[] = "default";

// The snapshot's mounts mounted at `target` for the test's life, as a container sees them.
class SnapshotMount {
 public:
  SnapshotMount(const std::vector<Mount>& mounts, const std::string& target) : target_(target) {
    EXPECT_EQ(mounts.size(), 1u);
    if (mounts.size() != 1) return;
    const Mount& m = mounts.front();
    const std::string options = absl::StrJoin(m.options, ",");
    mounted_ = m.type == "overlay"
                   ? ::mount("overlay", target.c_str(), "overlay", 0, options.c_str()) == 0
                   : ::mount(m.source.c_str(), target.c_str(), nullptr, MS_BIND, nullptr) == 0;
    EXPECT_TRUE(mounted_) << "mount " << m.type << ": " << std::strerror(errno);
  }
  ~SnapshotMount() {
    if (mounted_) {
      EXPECT_EQ(::umount2(target_.c_str(), 0), 0) << std::strerror(errno);
    }
  }

 private:
  std::string target_;
  bool mounted_ = false;
};

class ImageCommitTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ImageRootOptions options;
    options.root_dir = dir_.path();
    options.storage_driver = GetParam();
    auto root = ImageRoot::Open(options);
    ASSERT_TRUE(root.ok()) << root.status();
    root_ = std::move(*root);
    TestImage base;
    base.layers = {BuildTar(
        {Dir("etc"), File("etc/keep", "keep"), File("etc/gone", "gone"), File("etc/edit", "old")})};
    base.cmd = {"sh"};
    auto written = AddTestImage(*root_, kNs, "docker.io/library/base:latest", base);
    ASSERT_TRUE(written.ok()) << written.status();
    base_ = *written;
  }

  // A container's snapshot over the base image, changed through its mount.
  void PrepareChanged(const std::string& key) {
    auto mounts = root_->SnapshotsOf(kNs).Prepare(key, base_.chain_ids.back().str(), {});
    ASSERT_TRUE(mounts.ok()) << mounts.status();
    TempDir rootfs("commit-rootfs");
    SnapshotMount mounted(*mounts, rootfs.path());
    WriteFile(rootfs / "hello", "hi\n");
    // What a runtime makes to mount over: left out while empty.
    WriteFile(rootfs / "etc/hosts", "");
    ASSERT_EQ(::mkdir((rootfs / "proc").c_str(), 0555), 0);
    WriteFile(rootfs / "etc/hostname", "kept: not empty");
    WriteFile(rootfs / "etc/edit", "new");
    ASSERT_EQ(::unlink((rootfs / "etc/gone").c_str()), 0);
  }

  CommitOptions Options(const std::string& key) {
    CommitOptions options;
    options.snapshot_key = key;
    options.parent = base_.id.str();
    options.config.cmd = {"sh", "-c", "true"};
    options.author = "Ann <ann@example.com>";
    options.comment = "added hello";
    options.mount_points = {"/etc/hosts", "/proc", "/etc/hostname"};
    return options;
  }

  size_t ImageCount() {
    auto list = ImageCatalog(*root_, kNs).List({});
    EXPECT_TRUE(list.ok()) << list.status();
    return list.ok() ? list->size() : 0;
  }

  TempDir dir_{"commit"};
  std::unique_ptr<ImageRoot> root_;
  WrittenImage base_;
};

TEST_P(ImageCommitTest, ChangesBecomeATaggedImageWithOneNewLayer) {
  PrepareChanged("c1");
  CommitOptions options = Options("c1");
  options.changes = {R"(CMD ["cat", "/hello"])", "ENV A=b"};
  options.reference = "committed:v1";
  absl::StatusOr<Digest> id = CommitSnapshot(*root_, kNs, options);
  ASSERT_TRUE(id.ok()) << id.status();

  auto image = ImageCatalog(*root_, kNs).Resolve("committed:v1");
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(image->id(), *id);
  EXPECT_EQ(image->config.diff_ids.size(), 2u);
  EXPECT_EQ(image->config.diff_ids.front(), base_.chain_ids.front());
  EXPECT_THAT(image->config.config.cmd, ElementsAre("cat", "/hello"));
  EXPECT_THAT(image->config.config.env, ElementsAre("A=b"));
  EXPECT_EQ(image->config.author, "Ann <ann@example.com>");
  const HistoryEntry& last = image->config.history.back();
  EXPECT_EQ(last.created_by, "sh -c true");
  EXPECT_EQ(last.comment, "added hello");
  EXPECT_EQ(last.author, "Ann <ann@example.com>");
  ASSERT_EQ(image->manifest.layers.size(), 2u);
  EXPECT_EQ(image->manifest.layers.back().media_type, media_type::kOciLayerTarGzip);

  // The new layer holds the changes only: the file, the changed file, a whiteout.
  TempDir applied("commit-layer");
  UniqueFd applied_fd(::open(applied.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  auto blob = root_->content().OpenBlob(image->manifest.layers.back().digest);
  ASSERT_TRUE(blob.ok()) << blob.status();
  auto result = ApplyLayer(applied_fd.get(), blob->get(), WhiteoutMode::kOverlay);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->diff_id, image->config.diff_ids.back());
  std::map<std::string, std::string> layer = SnapshotTree(applied.path());
  EXPECT_THAT(layer, Contains(Key("hello")));
  EXPECT_THAT(layer, Contains(Key("etc/edit")));
  ASSERT_THAT(layer, Contains(Key("etc/gone")));
  EXPECT_THAT(layer.at("etc/gone"), HasSubstr("rdev=0:0"));  // the whiteout
  EXPECT_THAT(layer, Not(Contains(Key("etc/keep"))));
  EXPECT_THAT(layer, Not(Contains(Key("etc/hosts"))));
  EXPECT_THAT(layer, Not(Contains(Key("proc"))));
  EXPECT_THAT(layer, Contains(Key("etc/hostname")));

  // The image's top snapshot is the merged tree.
  auto view = root_->SnapshotsOf(kNs).View("v1", image->top_chain_id().str(), {});
  ASSERT_TRUE(view.ok()) << view.status();
  {
    TempDir merged("commit-merged");
    SnapshotMount mounted(*view, merged.path());
    EXPECT_EQ(::access((merged / "hello").c_str(), F_OK), 0);
    EXPECT_NE(::access((merged / "etc/gone").c_str(), F_OK), 0);
    EXPECT_EQ(::access((merged / "etc/keep").c_str(), F_OK), 0);
  }
  BERTH_EXPECT_OK(root_->SnapshotsOf(kNs).Remove("v1"));
}

TEST_P(ImageCommitTest, WithoutReferenceTheImageIsDangling) {
  PrepareChanged("c2");
  absl::StatusOr<Digest> id = CommitSnapshot(*root_, kNs, Options("c2"));
  ASSERT_TRUE(id.ok()) << id.status();
  auto list = ImageCatalog(*root_, kNs).List({});
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->size(), 2u);
  for (const ImageSummary& summary : *list) {
    if (summary.id == *id) {
      EXPECT_THAT(summary.repo_tags, IsEmpty());
      EXPECT_THAT(summary.repo_digests, IsEmpty());
    }
  }
}

TEST_P(ImageCommitTest, BadChangeOrReferenceWritesNothing) {
  PrepareChanged("c3");
  CommitOptions options = Options("c3");
  options.changes = {"RUN echo no"};
  EXPECT_THAT(CommitSnapshot(*root_, kNs, options), StatusIs(absl::StatusCode::kInvalidArgument));
  options.changes = {};
  options.reference = "Bad:Name:x";
  EXPECT_THAT(CommitSnapshot(*root_, kNs, options), StatusIs(absl::StatusCode::kInvalidArgument));
  options.reference = "";
  options.snapshot_key = "missing";
  EXPECT_THAT(CommitSnapshot(*root_, kNs, options), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(ImageCount(), 1u);
}

TEST(ChildImageConfigTest, AppendsLayerAndHistoryToTheParent) {
  ImageConfig parent;
  parent.os = "linux";
  parent.architecture = "amd64";
  parent.diff_ids = {Digest::Of("a")};
  HistoryEntry add;
  add.created_by = "ADD a";
  parent.history = {add};
  parent.config.cmd = {"sh"};
  CommitOptions options;
  parent.container = "parent-container";
  options.config.cmd = {"top", "-b"};
  options.comment = "why";
  options.container_id = "c0ffee";
  ContainerConfig config;
  config.cmd = {"true"};
  ImageConfig child =
      ChildImageConfig(parent, options, config, Digest::Of("b"), absl::FromUnixSeconds(86400));
  EXPECT_EQ(child.os, "linux");
  EXPECT_EQ(child.created, "1970-01-02T00:00:00Z");
  EXPECT_EQ(child.container, "c0ffee");
  EXPECT_THAT(child.diff_ids, ElementsAre(Digest::Of("a"), Digest::Of("b")));
  ASSERT_EQ(child.history.size(), 2u);
  EXPECT_EQ(child.history[1].created_by, "top -b");
  EXPECT_EQ(child.history[1].comment, "why");
  EXPECT_FALSE(child.history[1].empty_layer);
  EXPECT_THAT(child.config.cmd, ElementsAre("true"));
}

INSTANTIATE_TEST_SUITE_P(Drivers, ImageCommitTest, ::testing::Values("overlayfs", "native"));

}  // namespace
}  // namespace berth::images
