// Push against a real docker-registry on 127.0.0.1: images pulled from one repository go
// to another by mounting, images made locally are uploaded (large ones in chunks), and
// the registry's digests are the local ones.
#include "services/images/core/image_pusher.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "common/status_matchers.h"
#include "services/images/core/image_manifest.h"
#include "services/images/core/image_puller.h"
#include "services/images/core/image_reference.h"
#include "services/images/core/layer_test_support.h"
#include "services/images/core/registry_test_support.h"
#include "services/images/testing/test_image.h"
#include "tests/harness/registry_process.h"

namespace berth::images {
namespace {

using ::berth::testing::RegistryProcess;
using ::berth::testing::StatusIs;
using ::testing::Each;
using ::testing::Field;
using ::testing::HasSubstr;
using namespace ::berth::images::testing;

class ImagePusherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto registry = RegistryProcess::Start();
    if (registry.status().code() == absl::StatusCode::kNotFound) GTEST_SKIP() << registry.status();
    ASSERT_TRUE(registry.ok()) << registry.status();
    registry_ = std::move(*registry);
    ImageRootOptions options;
    options.root_dir = dir_ / "images";
    options.storage_driver = "native";
    auto root = ImageRoot::Open(options);
    ASSERT_TRUE(root.ok()) << root.status();
    root_ = std::move(*root);
  }

  std::string Name(const std::string& repo_tag) { return registry_->host() + "/" + repo_tag; }

  // Points `repo_tag` at what `source` names, as `berthctl tag` does.
  void Tag(const std::string& source, const std::string& repo_tag) {
    auto record = root_->metadata().GetImage("default", Name(source));
    ASSERT_TRUE(record.ok()) << record.status();
    record->name = Name(repo_tag);
    ASSERT_TRUE(root_->metadata().PutImage("default", *record).ok());
  }

  absl::StatusOr<PushResult> Push(const std::string& repo_tag,
                                  std::vector<PushProgress>* events = nullptr,
                                  std::optional<Platform> platform = std::nullopt) {
    ImagePusher pusher(*root_);
    PushOptions options;
    options.reference = Name(repo_tag);
    options.platform = platform;
    return pusher.Push(options, [&](const PushProgress& p) {
      if (events) events->push_back(p);
    });
  }

  // The digest the registry serves for `repo_tag`.
  Digest RemoteDigest(const std::string& repo_tag) {
    auto ref = ParseImageReference(Name(repo_tag));
    EXPECT_TRUE(ref.ok());
    RegistryClient client;
    auto resolved = client.Resolve(*ref);
    EXPECT_TRUE(resolved.ok()) << resolved.status();
    return resolved.ok() ? resolved->digest : Digest();
  }

  // The last state reported for each layer, in the order they were first listed.
  static std::vector<PushProgress> Final(const std::vector<PushProgress>& events) {
    std::vector<PushProgress> last;
    for (const PushProgress& p : events) {
      auto it = std::find_if(last.begin(), last.end(),
                             [&](const PushProgress& q) { return q.digest == p.digest; });
      if (it == last.end()) {
        last.push_back(p);
      } else {
        *it = p;
      }
    }
    return last;
  }

  TempDir dir_{"push"};
  std::unique_ptr<RegistryProcess> registry_;
  std::unique_ptr<ImageRoot> root_;
};

TEST_F(ImagePusherTest, PulledImageGoesToAnotherRepositoryByMountingItsBlobs) {
  std::vector<PushedLayer> layers = {GzipLayer({File("base", "b")}), GzipLayer({File("app", "a")})};
  auto source = PushTestImage(Name("src/app:v1"), layers);
  ASSERT_TRUE(source.ok()) << source.status();
  ImagePuller puller(*root_);
  PullOptions pull;
  pull.reference = Name("src/app:v1");
  pull.skip_unpack = true;
  auto pulled = puller.Pull(pull, {});
  ASSERT_TRUE(pulled.ok()) << pulled.status();
  Tag("src/app:v1", "dst/app:v2");

  std::vector<PushProgress> events;
  auto pushed = Push("dst/app:v2", &events);
  ASSERT_TRUE(pushed.ok()) << pushed.status();
  EXPECT_EQ(pushed->reference, Name("dst/app:v2"));
  EXPECT_EQ(pushed->digest, *source);
  EXPECT_EQ(RemoteDigest("dst/app:v2"), *source);
  auto manifest = root_->content().Info(*source);
  ASSERT_TRUE(manifest.ok());
  EXPECT_EQ(pushed->size, manifest->size);

  // Layers are listed top first, each Preparing, then mounted from where it was pulled.
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(events[0].digest, Digest::Of(layers[1].blob));
  EXPECT_EQ(events[0].state, PushState::kPreparing);
  std::vector<PushProgress> last = Final(events);
  ASSERT_EQ(last.size(), 2u);
  EXPECT_THAT(last, Each(Field(&PushProgress::state, PushState::kMounted)));
  EXPECT_THAT(last, Each(Field(&PushProgress::mounted_from, "src/app")));
  EXPECT_EQ(last[1].id, Digest::Of(layers[0].blob).hex().substr(0, 12));
  // The config is mounted too, and nothing was uploaded.
  auto image = ParseManifest(*root_->content().ReadBlob(*source, 1 << 20));
  ASSERT_TRUE(image.ok());
  EXPECT_TRUE(registry_->LogEventuallyMatches(
      "\"POST /v2/dst/app/blobs/uploads/\\?mount=" + image->config.digest.str() +
      "&from=src/app HTTP/1.1\" 201"));
  EXPECT_THAT(registry_->ReadLog(), ::testing::Not(HasSubstr("PUT /v2/dst/app/blobs/uploads")));

  // The blobs now name both repositories.
  auto labels = root_->metadata().GetContentLabels("default", Digest::Of(layers[0].blob));
  ASSERT_TRUE(labels.ok());
  EXPECT_EQ((*labels)["berth.io/distribution.source." + registry_->host()], "dst/app,src/app");

  // Again: the registry has every layer.
  events.clear();
  auto again = Push("dst/app:v2", &events);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->digest, *source);
  EXPECT_THAT(Final(events), Each(Field(&PushProgress::state, PushState::kLayerExists)));
  EXPECT_EQ(PushStateText(PushState::kLayerExists), "Layer already exists");
}

TEST_F(ImagePusherTest, LocalImageIsUploadedAndALargeLayerGoesInChunks) {
  TestImage image;
  image.layers = {BuildTar({File("small", "s")}), BuildTar({File("noise", Noise(20 << 20))})};
  image.unpack = false;
  auto written = AddTestImage(*root_, "default", Name("big/app:v1"), image);
  ASSERT_TRUE(written.ok()) << written.status();
  ASSERT_GT(static_cast<int64_t>(image.layers[1].size()), kMonolithicPushLimit);

  std::vector<PushProgress> events;
  auto pushed = Push("big/app:v1", &events);
  ASSERT_TRUE(pushed.ok()) << pushed.status();
  EXPECT_EQ(pushed->digest, written->target.digest);
  EXPECT_EQ(RemoteDigest("big/app:v1"), written->target.digest);
  EXPECT_THAT(Final(events), Each(Field(&PushProgress::state, PushState::kPushed)));

  // The large layer reports its progress while it goes up (at least once per chunk).
  const Digest& large = written->layer_blobs[1];
  int64_t pushing = 0;
  for (const PushProgress& p : events) {
    if (p.digest == large && p.state == PushState::kPushing && p.current > 0) {
      EXPECT_EQ(p.total, static_cast<int64_t>(image.layers[1].size()));
      ++pushing;
    }
  }
  EXPECT_GE(pushing, 2);
  EXPECT_TRUE(
      registry_->LogEventuallyMatches("\"PATCH /v2/big/app/blobs/uploads/[^ ]* HTTP/1.1\" 202"));
  // The registry holds the exact bytes.
  EXPECT_EQ(std::filesystem::file_size(registry_->BlobDataPath(std::string(large.hex()))),
            image.layers[1].size());
}

TEST_F(ImagePusherTest, IndexGoesWholeOrOnePlatform) {
  TestImage image;
  image.layers = {BuildTar({File("one", "1")})};
  image.unpack = false;
  auto written = WriteTestImage(*root_, "default", image);
  ASSERT_TRUE(written.ok()) << written.status();
  const Platform host = HostPlatform();
  ImageIndex index;
  index.media_type = std::string(media_type::kOciIndex);
  index.manifests.push_back({.media_type = written->target.media_type,
                             .digest = written->target.digest,
                             .size = written->target.size,
                             .platform = host});
  auto AddIndex = [&](const std::string& repo_tag) {
    std::string bytes = SerializeIndex(index);
    auto digest = root_->WriteBlob("default", "", bytes);
    EXPECT_TRUE(digest.ok());
    ImageRecord record;
    record.name = Name(repo_tag);
    record.target = {.media_type = std::string(media_type::kOciIndex),
                     .digest = *digest,
                     .size = static_cast<int64_t>(bytes.size())};
    EXPECT_TRUE(root_->metadata().PutImage("default", record).ok());
    return *digest;
  };

  // Every manifest is here: the index goes under the tag, its manifest by digest.
  Digest whole = AddIndex("multi/app:v1");
  auto pushed = Push("multi/app:v1");
  ASSERT_TRUE(pushed.ok()) << pushed.status();
  EXPECT_EQ(pushed->digest, whole);
  EXPECT_EQ(RemoteDigest("multi/app:v1"), whole);
  EXPECT_EQ(RemoteDigest("multi/app@" + written->target.digest.str()), written->target.digest);

  // A manifest neither here nor in the repository: only one platform can go.
  Platform other;
  other.os = "linux";
  other.architecture = "s390x";
  index.manifests.push_back({.media_type = std::string(media_type::kOciManifest),
                             .digest = Digest::Of("elsewhere"),
                             .size = 9,
                             .platform = other});
  AddIndex("multi/app:v2");
  EXPECT_THAT(Push("multi/app:v2"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("--platform")));
  auto one = Push("multi/app:v2", nullptr, host);
  ASSERT_TRUE(one.ok()) << one.status();
  EXPECT_EQ(one->digest, written->target.digest);
  EXPECT_EQ(RemoteDigest("multi/app:v2"), written->target.digest);
}

TEST_F(ImagePusherTest, NameWithoutALocalImageIsNotFound) {
  EXPECT_THAT(Push("none/app:v1"),
              StatusIs(absl::StatusCode::kNotFound,
                       "An image does not exist locally with the tag: " + Name("none/app")));
  EXPECT_THAT(Push("none/app@" + Digest::Of("x").str()),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace berth::images
