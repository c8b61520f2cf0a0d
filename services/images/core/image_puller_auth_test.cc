// Pull from registries that want a login: docker-registry with token auth (a Bearer
// token from tests/harness/token_issuer.py) and with htpasswd Basic auth. The image is
// pushed with the registry client and the same credentials.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>

#include "common/status_matchers.h"
#include "services/images/core/image_config.h"
#include "services/images/core/image_manifest.h"
#include "services/images/core/image_puller.h"
#include "services/images/core/image_reference.h"
#include "services/images/core/layer_test_support.h"
#include "services/images/core/registry_search.h"
#include "tests/harness/registry_process.h"

namespace berth::images {
namespace {

using ::berth::testing::IsOk;
using ::berth::testing::RegistryOptions;
using ::berth::testing::RegistryProcess;
using ::berth::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace ::berth::images::testing;

const Credentials kRight{"berth", "s3cret"};

absl::Status Upload(RegistryClient& client, const ImageReference& ref, const std::string& blob) {
  size_t offset = 0;
  return client.UploadBlob(ref, Digest::Of(blob), static_cast<int64_t>(blob.size()),
                           [&](char* buffer, size_t capacity) -> absl::StatusOr<size_t> {
                             size_t n = std::min(capacity, blob.size() - offset);
                             std::memcpy(buffer, blob.data() + offset, n);
                             offset += n;
                             return n;
                           });
}

// Pushes a one-layer image holding /hello to `ref` as `credentials`.
absl::Status PushImage(const ImageReference& ref, const Credentials& credentials) {
  RegistryClientOptions options;
  options.credentials = [credentials](absl::string_view) -> std::optional<Credentials> {
    return credentials;
  };
  RegistryClient client(options);
  std::string tar = BuildTar({File("hello", "world")});
  std::string layer = Compress(tar, Compression::kGzip);
  ImageConfig config;
  config.architecture = HostPlatform().architecture;
  config.os = "linux";
  config.diff_ids = {Digest::Of(tar)};
  std::string config_bytes = SerializeImageConfig(config);
  for (const std::string* blob : {&layer, &config_bytes}) {
    if (absl::Status s = Upload(client, ref, *blob); !s.ok()) return s;
  }
  ImageManifest manifest;
  manifest.media_type = std::string(media_type::kOciManifest);
  manifest.config.media_type = std::string(media_type::kOciConfig);
  manifest.config.digest = Digest::Of(config_bytes);
  manifest.config.size = static_cast<int64_t>(config_bytes.size());
  Descriptor layer_descriptor;
  layer_descriptor.media_type = std::string(media_type::kOciLayerTarGzip);
  layer_descriptor.digest = Digest::Of(layer);
  layer_descriptor.size = static_cast<int64_t>(layer.size());
  manifest.layers = {layer_descriptor};
  return client.PutManifest(ref, ref.tag, media_type::kOciManifest, SerializeManifest(manifest))
      .status();
}

// The parameter: "token" or "htpasswd".
class ImagePullerAuthTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    RegistryOptions options;
    options.username = kRight.username;
    options.password = kRight.password;
    options.token_auth = GetParam() == "token";
    auto registry = RegistryProcess::Start(options);
    if (registry.status().code() == absl::StatusCode::kNotFound) GTEST_SKIP() << registry.status();
    ASSERT_TRUE(registry.ok()) << registry.status();
    registry_ = std::move(*registry);
    ImageRootOptions root_options;
    root_options.root_dir = dir_ / "images";
    root_options.storage_driver = "native";
    auto root = ImageRoot::Open(root_options);
    ASSERT_TRUE(root.ok()) << root.status();
    root_ = std::move(*root);
    auto ref = ParseImageReference(registry_->host() + "/auth/app:v1");
    ASSERT_TRUE(ref.ok()) << ref.status();
    ref_ = *ref;
    ASSERT_THAT(PushImage(ref_, kRight), IsOk());
  }

  absl::StatusOr<PullResult> Pull(std::optional<Credentials> credentials) {
    ImagePuller puller(*root_);
    PullOptions options;
    options.reference = ref_.String();
    options.credentials = std::move(credentials);
    return puller.Pull(options, [](const PullProgress&) {});
  }

  TempDir dir_{"pull-auth"};
  std::unique_ptr<RegistryProcess> registry_;
  std::unique_ptr<ImageRoot> root_;
  ImageReference ref_;
};

TEST_P(ImagePullerAuthTest, RightCredentialsPull) {
  auto pulled = Pull(kRight);
  ASSERT_TRUE(pulled.ok()) << pulled.status();
  EXPECT_EQ(pulled->name, ref_.String());
  EXPECT_TRUE(pulled->updated);
  EXPECT_TRUE(root_->metadata().GetImage("default", pulled->name).ok());
}

TEST_P(ImagePullerAuthTest, WrongCredentialsAreUnauthenticated) {
  EXPECT_THAT(
      Pull(Credentials{"berth", "wrong"}),
      StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("incorrect username or password")));
  EXPECT_THAT(Pull(Credentials{"nobody", "s3cret"}), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_FALSE(root_->metadata().GetImage("default", ref_.String()).ok());
}

TEST_P(ImagePullerAuthTest, NoCredentialsNeedAuthentication) {
  EXPECT_THAT(Pull(std::nullopt),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("authentication required")));
}

TEST_P(ImagePullerAuthTest, CheckLoginTellsRightFromWrong) {
  RegistryClient client;
  EXPECT_THAT(client.CheckLogin(registry_->host(), kRight), IsOk());
  EXPECT_THAT(client.CheckLogin(registry_->host(), {"berth", "wrong"}),
              StatusIs(absl::StatusCode::kUnauthenticated, "incorrect username or password"));
}

TEST_P(ImagePullerAuthTest, SearchListsTheCatalogWithCredentials) {
  ASSERT_THAT(PushImage(*ParseImageReference(registry_->host() + "/other/tool:v1"), kRight),
              IsOk());
  RegistryClientOptions options;
  options.credentials = [](absl::string_view) -> std::optional<Credentials> { return kRight; };
  RegistryClient client(options);
  SearchTerm term = ParseSearchTerm(registry_->host() + "/app");
  EXPECT_EQ(term.host, registry_->host());
  EXPECT_EQ(term.term, "app");
  EXPECT_THAT(SearchRegistry(client, term, 25),
              ::berth::testing::IsOkAndHolds(ElementsAre(registry_->host() + "/auth/app")));
  auto all = SearchRegistry(client, ParseSearchTerm(registry_->host() + "/"), 25);
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->size(), 2u);
  EXPECT_THAT(SearchRegistry(client, ParseSearchTerm(registry_->host() + "/"), 1),
              ::berth::testing::IsOkAndHolds(::testing::SizeIs(1)));
  RegistryClient anonymous;
  EXPECT_THAT(SearchRegistry(anonymous, term, 25),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("authentication required")));
}

TEST(RegistrySearchTest, BareTermsAreDockerHubWhichHasNoCatalog) {
  SearchTerm term = ParseSearchTerm("busybox");
  EXPECT_EQ(term.host, "docker.io");
  EXPECT_EQ(term.term, "busybox");
  EXPECT_EQ(ParseSearchTerm("library/busybox").host, "docker.io");
  EXPECT_EQ(ParseSearchTerm("localhost/busy").host, "localhost");
  RegistryClient client;
  EXPECT_THAT(SearchRegistry(client, term, 25),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("HOST[:PORT]/TERM")));
}

INSTANTIATE_TEST_SUITE_P(Auth, ImagePullerAuthTest, ::testing::Values("token", "htpasswd"));

}  // namespace
}  // namespace berth::images
