// The registry client against a real docker-registry on 127.0.0.1, with skopeo as an
// independent producer of an image.
#include "services/images/core/registry_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <random>

#include "absl/strings/str_cat.h"
#include "common/status_matchers.h"
#include "services/images/core/image_config.h"
#include "tests/harness/registry_process.h"
#include "tests/harness/subprocess.h"

namespace berth::images {
namespace {

using ::berth::testing::IsOk;
using ::berth::testing::RegistryOptions;
using ::berth::testing::RegistryProcess;
using ::berth::testing::StatusIs;
using ::testing::HasSubstr;

std::string RandomBytes(size_t size, unsigned seed) {
  std::mt19937 gen(seed ^ static_cast<unsigned>(::getpid()));
  std::string bytes(size, '\0');
  for (char& c : bytes) c = static_cast<char>(gen());
  return bytes;
}

// A reader over a string, in pieces of at most `piece` bytes.
BodyReader StringReader(const std::string& data, size_t piece = 1 << 20) {
  auto offset = std::make_shared<size_t>(0);
  return [&data, offset, piece](char* buffer, size_t capacity) -> absl::StatusOr<size_t> {
    size_t n = std::min({capacity, piece, data.size() - *offset});
    std::memcpy(buffer, data.data() + *offset, n);
    *offset += n;
    return n;
  };
}

struct TestImage {
  std::string config;
  std::string layer;
  std::string manifest;
  Descriptor config_descriptor;
  Descriptor layer_descriptor;
};

TestImage MakeImage(const std::string& layer_bytes) {
  TestImage image;
  image.layer = layer_bytes;
  ImageConfig config;
  config.architecture = "amd64";
  config.os = "linux";
  config.config.cmd = {"/bin/sh"};
  config.diff_ids = {Digest::Of(image.layer)};
  image.config = SerializeImageConfig(config);
  image.config_descriptor = {std::string(media_type::kOciConfig), Digest::Of(image.config),
                             static_cast<int64_t>(image.config.size())};
  image.layer_descriptor = {std::string(media_type::kOciLayerTar), Digest::Of(image.layer),
                            static_cast<int64_t>(image.layer.size())};
  ImageManifest manifest;
  manifest.media_type = std::string(media_type::kOciManifest);
  manifest.config = image.config_descriptor;
  manifest.layers = {image.layer_descriptor};
  image.manifest = SerializeManifest(manifest);
  return image;
}

ImageReference Ref(const std::string& text) {
  auto ref = ParseImageReference(text);
  EXPECT_TRUE(ref.ok()) << ref.status();
  return *ref;
}

RegistryClientOptions FastOptions() {
  RegistryClientOptions options;
  options.http.initial_backoff = std::chrono::milliseconds(10);
  options.http.max_attempts = 2;
  return options;
}

absl::StatusOr<std::string> FetchAll(RegistryClient& client, const ImageReference& repo,
                                     const Descriptor& blob) {
  std::string out;
  auto result = client.FetchBlob(repo, blob, 0, [&](absl::string_view data) {
    out.append(data.data(), data.size());
    return absl::OkStatus();
  });
  if (!result.ok()) return result.status();
  return out;
}

absl::Status Push(RegistryClient& client, const ImageReference& ref, const TestImage& image,
                  int64_t chunk_size = 0) {
  for (const std::string* blob : {&image.config, &image.layer}) {
    absl::Status s = client.UploadBlob(ref, Digest::Of(*blob), static_cast<int64_t>(blob->size()),
                                       StringReader(*blob), chunk_size);
    if (!s.ok()) return s;
  }
  return client.PutManifest(ref, ref.tag, media_type::kOciManifest, image.manifest).status();
}

class RegistryClientTest : public ::testing::Test {
 protected:
  void StartRegistry(RegistryOptions options = {}) {
    auto registry = RegistryProcess::Start(options);
    if (registry.status().code() == absl::StatusCode::kNotFound) {
      GTEST_SKIP() << registry.status().message();
    }
    ASSERT_TRUE(registry.ok()) << registry.status();
    registry_ = *std::move(registry);
  }
  void SetUp() override { StartRegistry(); }

  std::unique_ptr<RegistryProcess> registry_;
};

TEST_F(RegistryClientTest, PushThenPullGivesTheSameBytes) {
  RegistryClient client(FastOptions());
  ImageReference ref = Ref(registry_->host() + "/test/pushed:v1");
  TestImage image = MakeImage(RandomBytes(300 * 1024, 1));

  EXPECT_THAT(client.BlobExists(ref, Digest::Of(image.layer)),
              ::berth::testing::IsOkAndHolds(false));
  // The layer monolithically, the config in chunks.
  ASSERT_THAT(
      client.UploadBlob(ref, Digest::Of(image.layer), static_cast<int64_t>(image.layer.size()),
                        StringReader(image.layer, 4096)),
      IsOk());
  ASSERT_THAT(
      client.UploadBlob(ref, Digest::Of(image.config), static_cast<int64_t>(image.config.size()),
                        StringReader(image.config),
                        /*chunk_size=*/16),
      IsOk());
  EXPECT_THAT(client.BlobExists(ref, Digest::Of(image.layer)),
              ::berth::testing::IsOkAndHolds(true));
  auto pushed = client.PutManifest(ref, "v1", media_type::kOciManifest, image.manifest);
  ASSERT_TRUE(pushed.ok()) << pushed.status();
  EXPECT_EQ(*pushed, Digest::Of(image.manifest));

  auto resolved = client.Resolve(ref);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_EQ(resolved->digest, Digest::Of(image.manifest));
  EXPECT_EQ(resolved->media_type, media_type::kOciManifest);
  EXPECT_EQ(resolved->size, static_cast<int64_t>(image.manifest.size()));
  auto manifest_bytes = client.FetchManifest(ref, *resolved);
  ASSERT_TRUE(manifest_bytes.ok()) << manifest_bytes.status();
  EXPECT_EQ(*manifest_bytes, image.manifest);
  auto manifest = ParseManifest(*manifest_bytes);
  ASSERT_TRUE(manifest.ok());
  EXPECT_THAT(FetchAll(client, ref, manifest->config),
              ::berth::testing::IsOkAndHolds(image.config));
  EXPECT_THAT(FetchAll(client, ref, manifest->layers[0]),
              ::berth::testing::IsOkAndHolds(image.layer));

  // By digest too.
  ImageReference by_digest = Ref(registry_->host() + "/test/pushed@" + pushed->str());
  EXPECT_THAT(client.Resolve(by_digest), IsOk());
}

TEST_F(RegistryClientTest, MountLinksABlobFromAnotherRepository) {
  RegistryClient client(FastOptions());
  ImageReference source = Ref(registry_->host() + "/test/source:v1");
  TestImage image = MakeImage(RandomBytes(1000, 2));
  ASSERT_THAT(Push(client, source, image), IsOk());
  ImageReference target = Ref(registry_->host() + "/test/target:v1");
  EXPECT_THAT(client.MountBlob(target, Digest::Of(image.layer), "test/source"),
              ::berth::testing::IsOkAndHolds(true));
  EXPECT_THAT(client.BlobExists(target, Digest::Of(image.layer)),
              ::berth::testing::IsOkAndHolds(true));
  // Not there to mount: the registry offers an upload instead.
  EXPECT_THAT(client.MountBlob(target, Digest::Of("absent"), "test/source"),
              ::berth::testing::IsOkAndHolds(false));
}

TEST_F(RegistryClientTest, MissingTagIsNotFound) {
  RegistryClient client(FastOptions());
  EXPECT_THAT(client.Resolve(Ref(registry_->host() + "/test/none:nope")),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("not found")));
}

TEST_F(RegistryClientTest, ResumesABlobWithRange) {
  RegistryClient client(FastOptions());
  ImageReference ref = Ref(registry_->host() + "/test/resume:v1");
  TestImage image = MakeImage(RandomBytes(512 * 1024, 3));
  ASSERT_THAT(Push(client, ref, image), IsOk());

  // The first transfer is cut by its sink after some bytes.
  std::string got;
  auto first = client.FetchBlob(ref, image.layer_descriptor, 0, [&](absl::string_view data) {
    if (got.size() >= 100 * 1024) return absl::CancelledError("enough");
    got.append(data.data(), data.size());
    return absl::OkStatus();
  });
  EXPECT_THAT(first, StatusIs(absl::StatusCode::kCancelled));
  ASSERT_GT(got.size(), 0u);
  ASSERT_LT(got.size(), image.layer.size());

  int64_t last_progress = 0;
  auto rest = client.FetchBlob(
      ref, image.layer_descriptor, static_cast<int64_t>(got.size()),
      [&](absl::string_view data) {
        got.append(data.data(), data.size());
        return absl::OkStatus();
      },
      [&](int64_t done) { last_progress = done; });
  ASSERT_TRUE(rest.ok()) << rest.status();
  EXPECT_FALSE(rest->range_ignored);
  EXPECT_EQ(last_progress, static_cast<int64_t>(image.layer.size()));
  EXPECT_EQ(Digest::Of(got), image.layer_descriptor.digest);
  // The second transfer was a Range request answered with 206 (the access log says so).
  EXPECT_TRUE(registry_->LogEventuallyMatches(
      R"(GET /v2/test/resume/blobs/sha256:[0-9a-f]+ HTTP/1.1" 206 )"));

  // At the end already: nothing to fetch.
  auto none = client.FetchBlob(ref, image.layer_descriptor, image.layer_descriptor.size,
                               [](absl::string_view) { return absl::OkStatus(); });
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->bytes, 0);
}

TEST_F(RegistryClientTest, CorruptBlobIsADigestMismatch) {
  RegistryClient client(FastOptions());
  ImageReference ref = Ref(registry_->host() + "/test/corrupt:v1");
  TestImage image = MakeImage(RandomBytes(4096, 4));
  ASSERT_THAT(Push(client, ref, image), IsOk());
  std::string path = registry_->BlobDataPath(std::string(image.layer_descriptor.digest.hex()));
  std::string flipped = image.layer;
  flipped[100] = static_cast<char>(flipped[100] ^ 0x01);
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << flipped;
  }
  EXPECT_THAT(FetchAll(client, ref, image.layer_descriptor),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("digest mismatch")));
  // A descriptor claiming the wrong size is caught too.
  Descriptor longer = image.config_descriptor;
  longer.size += 1;
  EXPECT_THAT(FetchAll(client, ref, longer), StatusIs(absl::StatusCode::kDataLoss));
}

TEST_F(RegistryClientTest, ListsTheCatalog) {
  RegistryClient client(FastOptions());
  TestImage image = MakeImage(RandomBytes(100, 5));
  ASSERT_THAT(Push(client, Ref(registry_->host() + "/cat/a:v1"), image), IsOk());
  ASSERT_THAT(Push(client, Ref(registry_->host() + "/cat/b:v1"), image), IsOk());
  auto names = client.ListCatalog(registry_->host(), 100);
  ASSERT_TRUE(names.ok()) << names.status();
  EXPECT_THAT(*names, ::testing::IsSupersetOf({"cat/a", "cat/b"}));
  auto one = client.ListCatalog(registry_->host(), 1);
  ASSERT_TRUE(one.ok()) << one.status();
  EXPECT_EQ(one->size(), 1u);
}

TEST_F(RegistryClientTest, PullsThroughAMirror) {
  RegistryClient pusher(FastOptions());
  TestImage image = MakeImage(RandomBytes(1500, 8));
  ASSERT_THAT(Push(pusher, Ref(registry_->host() + "/library/mirrored:v1"), image), IsOk());
  // The upstream name never resolves (.invalid); the mirror answers first, so it is not asked.
  RegistryClientOptions options = FastOptions();
  std::string mirror = "http://" + registry_->host();
  options.host_config = [mirror](absl::string_view) {
    RegistryHostConfig config;
    config.mirrors = {mirror};
    return config;
  };
  RegistryClient client(options);
  ImageReference ref = Ref("upstream.invalid/library/mirrored:v1");
  auto resolved = client.Resolve(ref);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_EQ(resolved->digest, Digest::Of(image.manifest));
  EXPECT_THAT(client.FetchManifest(ref, *resolved), ::berth::testing::IsOkAndHolds(image.manifest));
  EXPECT_THAT(FetchAll(client, ref, image.layer_descriptor),
              ::berth::testing::IsOkAndHolds(image.layer));
}

// An OCI layout written here and copied in by skopeo: an independent producer.
TEST_F(RegistryClientTest, FetchesAnImageSkopeoPushed) {
  if (::access("/usr/bin/skopeo", X_OK) != 0) GTEST_SKIP() << "skopeo is not installed";
  char dir_template[] = "/tmp/berth-oci-layout-XXXXXX";
  ASSERT_NE(::mkdtemp(dir_template), nullptr);
  std::string dir = dir_template;
  std::string tar_src = dir + "/src";
  ASSERT_EQ(::mkdir(tar_src.c_str(), 0755), 0);
  { std::ofstream(tar_src + "/hello.txt") << RandomBytes(2000, 6); }
  auto tar = ::berth::testing::RunCommand(
      {"/bin/tar", "--numeric-owner", "-cf", dir + "/layer.tar", "-C", tar_src, "hello.txt"});
  ASSERT_EQ(tar.exit_code, 0) << tar.err;
  std::ifstream layer_in(dir + "/layer.tar", std::ios::binary);
  std::string layer((std::istreambuf_iterator<char>(layer_in)), std::istreambuf_iterator<char>());
  TestImage image = MakeImage(layer);

  std::string blobs = dir + "/layout/blobs/sha256";
  ::berth::testing::RunCommand({"/bin/mkdir", "-p", blobs});
  for (const std::string* blob : {&image.config, &image.layer, &image.manifest}) {
    std::ofstream(blobs + "/" + std::string(Digest::Of(*blob).hex()), std::ios::binary) << *blob;
  }
  std::ofstream(dir + "/layout/oci-layout") << R"({"imageLayoutVersion":"1.0.0"})";
  ImageIndex index;
  index.manifests.push_back({std::string(media_type::kOciManifest),
                             Digest::Of(image.manifest),
                             static_cast<int64_t>(image.manifest.size()),
                             {},
                             {{"org.opencontainers.image.ref.name", "latest"}}});
  std::ofstream(dir + "/layout/index.json") << SerializeIndex(index);
  std::ofstream(dir + "/policy.json") << R"({"default":[{"type":"insecureAcceptAnything"}]})";

  auto copy = ::berth::testing::RunCommand(
      {"/usr/bin/skopeo", "--policy", dir + "/policy.json", "copy", "--dest-tls-verify=false",
       "oci:" + dir + "/layout:latest", "docker://" + registry_->host() + "/skopeo/img:v1"},
      {"HOME=" + dir, "XDG_RUNTIME_DIR=" + dir});
  ASSERT_EQ(copy.exit_code, 0) << copy.out << copy.err;

  RegistryClient client(FastOptions());
  ImageReference ref = Ref(registry_->host() + "/skopeo/img:v1");
  auto resolved = client.Resolve(ref);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  auto bytes = client.FetchManifest(ref, *resolved);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  auto manifest = ParseManifest(*bytes);
  ASSERT_TRUE(manifest.ok()) << manifest.status();
  ASSERT_EQ(manifest->layers.size(), 1u);
  EXPECT_THAT(FetchAll(client, ref, manifest->config),
              ::berth::testing::IsOkAndHolds(image.config));
  auto fetched_layer = FetchAll(client, ref, manifest->layers[0]);
  ASSERT_TRUE(fetched_layer.ok()) << fetched_layer.status();
  // skopeo keeps an uncompressed OCI layer as it is.
  EXPECT_EQ(Digest::Of(*fetched_layer), manifest->layers[0].digest);
  ::berth::testing::RunCommand({"/bin/rm", "-rf", dir});
}

class RegistryClientAuthTest : public RegistryClientTest {
 protected:
  void SetUp() override {
    berth::testing::RegistryOptions options;
    options.username = "berth";
    options.password = "s3cret";
    StartRegistry(options);
  }

  RegistryClientOptions WithCredentials(std::optional<Credentials> credentials) {
    RegistryClientOptions options = FastOptions();
    options.credentials = [credentials](absl::string_view) { return credentials; };
    return options;
  }
};

TEST_F(RegistryClientAuthTest, RightCredentialsWork) {
  RegistryClient client(WithCredentials(Credentials{"berth", "s3cret"}));
  ImageReference ref = Ref(registry_->host() + "/auth/img:v1");
  TestImage image = MakeImage(RandomBytes(2048, 7));
  ASSERT_THAT(Push(client, ref, image), IsOk());
  auto resolved = client.Resolve(ref);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_THAT(FetchAll(client, ref, image.layer_descriptor),
              ::berth::testing::IsOkAndHolds(image.layer));
  EXPECT_THAT(client.CheckLogin(registry_->host(), {"berth", "s3cret"}), IsOk());
}

TEST_F(RegistryClientAuthTest, WrongOrMissingCredentialsAreUnauthenticated) {
  ImageReference ref = Ref(registry_->host() + "/auth/img:v1");
  RegistryClient wrong(WithCredentials(Credentials{"berth", "wrong"}));
  EXPECT_THAT(wrong.Resolve(ref), StatusIs(absl::StatusCode::kUnauthenticated,
                                           HasSubstr("incorrect username or password")));
  RegistryClient anonymous(FastOptions());
  EXPECT_THAT(anonymous.Resolve(ref),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("authentication required")));
  EXPECT_THAT(anonymous.CheckLogin(registry_->host(), {"berth", "wrong"}),
              StatusIs(absl::StatusCode::kUnauthenticated, "incorrect username or password"));
  EXPECT_THAT(anonymous.CheckLogin(registry_->host(), {"nobody", "s3cret"}),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

}  // namespace
}  // namespace berth::images
