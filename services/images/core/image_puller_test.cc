// Pull against a real docker-registry on 127.0.0.1: an image pushed here with the
// registry client is pulled into a fresh ImageRoot with each snapshotter.
#include "services/images/core/image_puller.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_split.h"
#include "common/file_text.h"
#include "common/status_matchers.h"
#include "services/images/core/image_config.h"
#include "services/images/core/image_manifest.h"
#include "services/images/core/image_reference.h"
#include "services/images/core/layer_test_support.h"
#include "services/images/core/registry_test_support.h"
#include "services/images/core/resolved_image.h"
#include "tests/harness/registry_process.h"
#include "tests/harness/subprocess.h"

namespace berth::images {
namespace {

using ::berth::testing::RegistryProcess;
using ::berth::testing::RunCommand;
using ::berth::testing::RunResult;
using ::berth::testing::StatusIs;
using ::testing::Contains;
using ::testing::HasSubstr;
using namespace ::berth::images::testing;

class ImagePullerTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    auto registry = RegistryProcess::Start();
    if (registry.status().code() == absl::StatusCode::kNotFound) GTEST_SKIP() << registry.status();
    ASSERT_TRUE(registry.ok()) << registry.status();
    registry_ = std::move(*registry);
    ImageRootOptions options;
    options.root_dir = dir_ / "images";
    options.storage_driver = GetParam();
    auto root = ImageRoot::Open(options);
    ASSERT_TRUE(root.ok()) << root.status();
    root_ = std::move(*root);
  }

  PushedLayer Layer(const std::vector<TarEntry>& entries) { return GzipLayer(entries); }

  // Pushes a manifest of `layers` under `repo_tag`; returns the manifest digest.
  Digest Push(const std::string& repo_tag, const std::vector<PushedLayer>& layers) {
    auto pushed = PushTestImage(registry_->host() + "/" + repo_tag, layers);
    EXPECT_TRUE(pushed.ok()) << pushed.status();
    return pushed.value_or(Digest());
  }

  absl::StatusOr<PullResult> Pull(const std::string& repo_tag,
                                  std::vector<PullProgress>* events = nullptr) {
    ImagePuller puller(*root_);
    PullOptions options;
    options.reference = registry_->host() + "/" + repo_tag;
    return puller.Pull(options, [&](const PullProgress& p) {
      if (events) events->push_back(p);
    });
  }

  // A file of the unpacked image, read through a view of its top snapshot (native) or
  // by walking the overlay lowerdirs (overlayfs) — no mount needed either way.
  std::string ReadFromImage(const PullResult& pulled, const std::string& path) {
    auto record = root_->metadata().GetImage("default", pulled.name);
    EXPECT_TRUE(record.ok()) << record.status();
    auto image = ResolveImage(root_->content(), record->target, HostPlatform());
    EXPECT_TRUE(image.ok()) << image.status();
    NamespacedSnapshotter snapshots = root_->SnapshotsOf("default");
    std::string key = "read-" + std::to_string(reads_++);
    auto mounts = snapshots.View(key, image->top_chain_id().str(), {});
    EXPECT_TRUE(mounts.ok()) << mounts.status();
    std::vector<std::string> dirs;
    if ((*mounts)[0].type != "overlay") {
      dirs.push_back((*mounts)[0].source);
    } else {
      for (const std::string& option : (*mounts)[0].options) {
        if (option.rfind("lowerdir=", 0) == 0) dirs = absl::StrSplit(option.substr(9), ':');
      }
    }
    std::string found;
    for (const std::string& dir : dirs) {
      if (auto text = ReadFileText(dir + path); text.ok()) {
        found = *text;
        break;
      }
    }
    EXPECT_TRUE(snapshots.Remove(key).ok());
    return found;
  }

  TempDir dir_{"pull"};
  std::unique_ptr<RegistryProcess> registry_;
  std::unique_ptr<ImageRoot> root_;
  int reads_ = 0;
};

TEST_P(ImagePullerTest, PullsUnpacksAndRecordsTheImage) {
  std::vector<PushedLayer> layers = {
      Layer({Dir("etc"), File("etc/os-release", "base\n"), File("etc/motd", "hello\n")}),
      Layer({Dir("etc"), File("etc/motd", "changed\n")}),
      Layer({Dir("app"), File("app/run.sh", "#!/bin/sh\n", 0755)})};
  Digest pushed = Push("pull/app:v1", layers);

  std::vector<PullProgress> events;
  auto pulled = Pull("pull/app:v1", &events);
  ASSERT_TRUE(pulled.ok()) << pulled.status();
  EXPECT_TRUE(pulled->updated);
  EXPECT_EQ(pulled->digest, pushed);
  EXPECT_EQ(pulled->name, registry_->host() + "/pull/app:v1");

  EXPECT_EQ(ReadFromImage(*pulled, "/etc/motd"), "changed\n");
  EXPECT_EQ(ReadFromImage(*pulled, "/etc/os-release"), "base\n");
  EXPECT_EQ(ReadFromImage(*pulled, "/app/run.sh"), "#!/bin/sh\n");

  // Each blob records the repository it came from, for a later push to mount it from.
  for (const Digest& blob : {Digest::Of(layers[0].blob), pulled->digest}) {
    auto labels = root_->metadata().GetContentLabels("default", blob);
    ASSERT_TRUE(labels.ok()) << labels.status();
    EXPECT_EQ((*labels)["berth.io/distribution.source." + registry_->host()], "pull/app");
  }

  std::vector<std::string> statuses;
  for (const PullProgress& p : events) statuses.push_back(std::string(LayerStateText(p.state)));
  EXPECT_THAT(statuses, Contains("Pull complete").Times(3));
  EXPECT_THAT(statuses, Contains("Download complete").Times(3));

  // The pull's lease is gone and a GC keeps everything the image reaches.
  auto leases = root_->metadata().ListLeases("default");
  ASSERT_TRUE(leases.ok());
  EXPECT_TRUE(leases->empty());
  auto gc = root_->CollectGarbage();
  ASSERT_TRUE(gc.ok()) << gc.status();
  EXPECT_EQ(gc->removed_blobs, 0);
  EXPECT_EQ(gc->removed_snapshots, 0);
  EXPECT_EQ(ReadFromImage(*pulled, "/app/run.sh"), "#!/bin/sh\n");

  // Pulling again changes nothing and says every layer is there.
  events.clear();
  auto again = Pull("pull/app:v1", &events);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(again->updated);
  statuses.clear();
  for (const PullProgress& p : events) statuses.push_back(std::string(LayerStateText(p.state)));
  EXPECT_THAT(statuses, Contains("Already exists").Times(3));

  // Once the image is deleted, GC removes its blobs and snapshots.
  ASSERT_TRUE(root_->metadata().DeleteImage("default", pulled->name).ok());
  gc = root_->CollectGarbage();
  ASSERT_TRUE(gc.ok());
  EXPECT_EQ(gc->removed_blobs, 5);  // manifest, config, three layers
  EXPECT_EQ(gc->removed_snapshots, 3);
}

TEST_P(ImagePullerTest, SharedBaseLayerIsNotDownloadedTwice) {
  PushedLayer base = Layer({File("base", "b")});
  Push("pull/one:v1", {base, Layer({File("one", "1")})});
  Push("pull/two:v1", {base, Layer({File("two", "2")})});
  ASSERT_TRUE(Pull("pull/one:v1").ok());
  std::vector<PullProgress> events;
  auto two = Pull("pull/two:v1", &events);
  ASSERT_TRUE(two.ok()) << two.status();
  EXPECT_EQ(events[0].state, LayerState::kAlreadyExists);
  EXPECT_EQ(ReadFromImage(*two, "/base"), "b");
  EXPECT_EQ(ReadFromImage(*two, "/two"), "2");
}

TEST_P(ImagePullerTest, FlippedByteFailsWithADigestErrorAndCommitsNothing) {
  PushedLayer layer = Layer({File("data", std::string(100000, 'x'))});
  Push("pull/bad:v1", {layer});
  std::string blob_path = registry_->BlobDataPath(std::string(Digest::Of(layer.blob).hex()));
  {
    std::fstream f(blob_path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100);
    f.put('\x42');
  }
  auto pulled = Pull("pull/bad:v1");
  EXPECT_THAT(pulled, StatusIs(absl::StatusCode::kDataLoss, HasSubstr("digest")));
  EXPECT_FALSE(root_->content().Info(Digest::Of(layer.blob)).ok());
  auto snapshots = root_->snapshotter().List();
  ASSERT_TRUE(snapshots.ok());
  EXPECT_TRUE(snapshots->empty());
  auto images = root_->metadata().ListImages("default");
  ASSERT_TRUE(images.ok());
  EXPECT_TRUE(images->empty());
}

TEST_P(ImagePullerTest, KilledRegistryMidLayerResumesFromTheStoredOffset) {
  // 24 MiB that do not compress, in an uncompressed layer.
  std::string noise = Noise(24 << 20);
  std::string tar = BuildTar({File("noise", noise)});
  PushedLayer layer{tar, Digest::Of(tar)};
  // Push uncompressed: the manifest's layer is the tar itself.
  Push("pull/big:v1", {layer});

  // The registry dies once a few MiB of the layer have arrived.
  std::atomic<bool> killed{false};
  ImagePuller puller(*root_);
  PullOptions options;
  options.reference = registry_->host() + "/pull/big:v1";
  auto first = puller.Pull(options, [&](const PullProgress& p) {
    if (p.state == LayerState::kDownloading && p.current >= (4 << 20) && !killed.exchange(true)) {
      registry_->Kill();
    }
  });
  ASSERT_TRUE(killed.load());
  ASSERT_FALSE(first.ok());
  auto ingests = root_->content().Statuses();
  ASSERT_TRUE(ingests.ok());
  ASSERT_EQ(ingests->size(), 1u);
  const int64_t stored = (*ingests)[0].offset;
  EXPECT_GE(stored, 4 << 20);
  EXPECT_LT(stored, static_cast<int64_t>(tar.size()));

  ASSERT_TRUE(registry_->Restart().ok());
  auto second = puller.Pull(options, {});
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_TRUE(registry_->LogEventuallyMatches("\"GET /v2/pull/big/blobs/" + Digest::Of(tar).str() +
                                              " HTTP/1.1\" 206"));
  EXPECT_EQ(ReadFromImage(*second, "/noise").size(), noise.size());
  auto info = root_->content().Info(Digest::Of(tar));
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->size, static_cast<int64_t>(tar.size()));
}

TEST_P(ImagePullerTest, GcForcedRepeatedlyDuringAPullRemovesNothingItNeeds) {
  Push("pull/gc:v1",
       {Layer({File("a", std::string(300000, 'a'))}), Layer({File("b", std::string(300000, 'b'))}),
        Layer({File("c", std::string(300000, 'c'))})});
  std::atomic<bool> done{false};
  std::atomic<int> runs{0};
  std::thread collector([&] {
    while (!done.load()) {
      auto gc = root_->CollectGarbage();
      EXPECT_TRUE(gc.ok()) << gc.status();
      runs++;
    }
  });
  auto pulled = Pull("pull/gc:v1");
  done = true;
  collector.join();
  ASSERT_TRUE(pulled.ok()) << pulled.status();
  EXPECT_GT(runs.load(), 0);
  EXPECT_EQ(ReadFromImage(*pulled, "/a").size(), 300000u);
  EXPECT_EQ(ReadFromImage(*pulled, "/c").size(), 300000u);
  auto gc = root_->CollectGarbage();
  ASSERT_TRUE(gc.ok());
  EXPECT_EQ(gc->removed_blobs, 0);
  EXPECT_EQ(gc->removed_snapshots, 0);
}

// A ~1 MB layer that expands to 1 GiB, pulled onto a 48 MiB loop-mounted ext4.
TEST_P(ImagePullerTest, GzipBombEndsInEnospcRemovesItsSnapshotAndTheNextPullWorks) {
  const std::string small = dir_ / "small";
  const std::string image = dir_ / "small.ext4";
  ASSERT_EQ(::mkdir(small.c_str(), 0700), 0);
  ASSERT_EQ(::truncate(image.c_str(), 0), -1);  // does not exist yet
  { std::ofstream(image).close(); }
  ASSERT_EQ(::truncate(image.c_str(), 48 << 20), 0);
  RunResult mkfs = RunCommand({"/usr/sbin/mkfs.ext4", "-q", "-F", image});
  ASSERT_EQ(mkfs.exit_code, 0) << mkfs.err;
  // mount(8) sets the loop device to autoclear, so unmounting frees it.
  RunResult mounted = RunCommand({"/usr/bin/mount", "-o", "loop", image, small});
  if (mounted.exit_code != 0) GTEST_SKIP() << "no loop devices here: " << mounted.err;
  absl::Cleanup unmount = [&] {
    root_.reset();
    RunCommand({"/usr/bin/umount", small});
  };
  ImageRootOptions options;
  options.root_dir = small + "/images";
  options.storage_driver = GetParam();
  auto root = ImageRoot::Open(options);
  ASSERT_TRUE(root.ok()) << root.status();
  root_ = std::move(*root);

  PushedLayer bomb{GzipBomb(int64_t{1} << 30), Digest::Of("not checked: the apply fails first")};
  ASSERT_LT(bomb.blob.size(), 4u << 20);
  Push("pull/bomb:v1", {bomb});
  auto pulled = Pull("pull/bomb:v1");
  EXPECT_THAT(pulled,
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("no space left on device")));
  auto snapshots = root_->snapshotter().List();
  ASSERT_TRUE(snapshots.ok());
  EXPECT_TRUE(snapshots->empty()) << snapshots->size() << " snapshots left";
  auto images = root_->metadata().ListImages("default");
  ASSERT_TRUE(images.ok());
  EXPECT_TRUE(images->empty());

  Push("pull/fine:v1", {Layer({File("ok", "fine\n")})});
  auto fine = Pull("pull/fine:v1");
  ASSERT_TRUE(fine.ok()) << fine.status();
  EXPECT_EQ(ReadFromImage(*fine, "/ok"), "fine\n");
}

TEST_P(ImagePullerTest, UnknownTagIsNotFound) {
  EXPECT_THAT(Pull("pull/none:v1"), StatusIs(absl::StatusCode::kNotFound));
}

INSTANTIATE_TEST_SUITE_P(Drivers, ImagePullerTest, ::testing::Values("overlayfs", "native"));

}  // namespace
}  // namespace berth::images
