#include "services/images/core/image_manifest.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/status_matchers.h"

namespace berth::images {
namespace {

using ::berth::testing::StatusIs;
using ::testing::HasSubstr;

Platform P(std::string os, std::string arch, std::string variant) {
  Platform p;
  p.os = std::move(os);
  p.architecture = std::move(arch);
  p.variant = std::move(variant);
  return p;
}

const std::string kD1 = Digest::Of("one").str();
const std::string kD2 = Digest::Of("two").str();
const std::string kD3 = Digest::Of("three").str();

std::string Entry(absl::string_view digest, absl::string_view platform) {
  return std::string(R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")") +
         std::string(digest) + R"(","size":100,"platform":)" + std::string(platform) + "}";
}

std::string IndexJson() {
  return R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[)" +
         Entry(kD1, R"({"os":"linux","architecture":"amd64"})") + "," +
         Entry(kD2, R"({"os":"linux","architecture":"arm","variant":"v6"})") + "," +
         Entry(kD3, R"({"os":"linux","architecture":"arm64","variant":"v8"})") + "]}";
}

TEST(PlatformTest, Normalizes) {
  EXPECT_EQ(NormalizePlatform(P("linux", "x86_64", "")).String(), "linux/amd64");
  EXPECT_EQ(NormalizePlatform(P("linux", "aarch64", "")).String(), "linux/arm64/v8");
  EXPECT_EQ(NormalizePlatform(P("linux", "arm64", "8")).String(), "linux/arm64/v8");
  EXPECT_EQ(NormalizePlatform(P("linux", "armhf", "")).String(), "linux/arm/v7");
  EXPECT_EQ(NormalizePlatform(P("linux", "armel", "")).String(), "linux/arm/v6");
  EXPECT_EQ(NormalizePlatform(P("linux", "i686", "")).String(), "linux/386");
  EXPECT_EQ(NormalizePlatform(P("Linux", "s390x", "")).String(), "linux/s390x");
}

TEST(PlatformTest, Parses) {
  EXPECT_THAT(ParsePlatform("linux/arm64/v8"),
              ::berth::testing::IsOkAndHolds(P("linux", "arm64", "v8")));
  EXPECT_THAT(ParsePlatform("linux/arm64"),
              ::berth::testing::IsOkAndHolds(P("linux", "arm64", "v8")));
  EXPECT_THAT(ParsePlatform("linux/x86_64"),
              ::berth::testing::IsOkAndHolds(P("linux", "amd64", "")));
  EXPECT_THAT(ParsePlatform("linux"), ::berth::testing::IsOkAndHolds(HostPlatform()));
  EXPECT_EQ(ParsePlatform("arm64")->String(), "linux/arm64/v8");
  EXPECT_THAT(ParsePlatform("linux//v8"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParsePlatform("a/b/c/d"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(PlatformTest, HostIsNormalized) {
  Platform host = HostPlatform();
  EXPECT_EQ(host.os, "linux");
  EXPECT_EQ(host, NormalizePlatform(host));
}

TEST(PlatformTest, Matching) {
  EXPECT_TRUE(PlatformMatches(P("linux", "arm64", ""), P("linux", "aarch64", "v8")));
  EXPECT_TRUE(PlatformMatches(P("linux", "arm", "v7"), P("linux", "arm", "v6")));
  EXPECT_FALSE(PlatformMatches(P("linux", "arm", "v6"), P("linux", "arm", "v7")));
  EXPECT_FALSE(PlatformMatches(P("linux", "amd64", ""), P("linux", "arm64", "")));
  EXPECT_FALSE(PlatformMatches(P("linux", "amd64", ""), P("windows", "amd64", "")));
}

TEST(ImageManifestTest, SelectsByPlatform) {
  auto index = ParseIndex(IndexJson());
  ASSERT_TRUE(index.ok()) << index.status();
  ASSERT_EQ(index->manifests.size(), 3u);
  EXPECT_EQ(SelectManifest(*index, P("linux", "amd64", ""))->digest.str(), kD1);
  EXPECT_EQ(SelectManifest(*index, P("linux", "aarch64", ""))->digest.str(), kD3);
  // An arm v7 host runs the v6 image when there is no v7 one.
  EXPECT_EQ(SelectManifest(*index, P("linux", "arm", "v7"))->digest.str(), kD2);
  EXPECT_THAT(SelectManifest(*index, P("linux", "s390x", "")),
              StatusIs(absl::StatusCode::kNotFound,
                       "no matching manifest for linux/s390x in the manifest list entries"));
}

TEST(ImageManifestTest, ManifestRoundTrips) {
  ImageManifest manifest;
  manifest.media_type = std::string(media_type::kOciManifest);
  manifest.config = {std::string(media_type::kOciConfig), Digest::Of("c"), 1, {}, {}, {}};
  manifest.layers.push_back(
      {std::string(media_type::kOciLayerTarGzip), Digest::Of("l"), 1, {}, {{"k", "v"}}, {}});
  std::string bytes = SerializeManifest(manifest);
  auto parsed = ParseManifest(bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->config, manifest.config);
  EXPECT_EQ(parsed->layers, manifest.layers);
  EXPECT_EQ(SerializeManifest(*parsed), bytes);  // canonical: same value, same bytes
  EXPECT_THAT(DetectManifestMediaType(bytes),
              ::berth::testing::IsOkAndHolds(std::string(media_type::kOciManifest)));
}

TEST(ImageManifestTest, IndexRoundTrips) {
  auto index = ParseIndex(IndexJson());
  ASSERT_TRUE(index.ok());
  auto again = ParseIndex(SerializeIndex(*index));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->manifests, index->manifests);
}

TEST(ImageManifestTest, DetectsTypeWithoutMediaType) {
  EXPECT_THAT(DetectManifestMediaType(R"({"schemaVersion":2,"manifests":[]})"),
              ::berth::testing::IsOkAndHolds(std::string(media_type::kOciIndex)));
  EXPECT_THAT(DetectManifestMediaType(R"({"schemaVersion":2,"config":{},"layers":[]})"),
              ::berth::testing::IsOkAndHolds(std::string(media_type::kOciManifest)));
  EXPECT_THAT(DetectManifestMediaType(R"({"schemaVersion":2})"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ImageManifestTest, Schema1IsRefused) {
  std::string schema1 = R"({"schemaVersion":1,"name":"x","tag":"latest","fsLayers":[]})";
  EXPECT_THAT(DetectManifestMediaType(schema1),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("unsupported manifest format: Docker schema 1")));
  EXPECT_THAT(ParseManifest(schema1),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("re-push the image")));
  EXPECT_TRUE(IsSchema1MediaType(media_type::kDockerSchema1Signed));
}

TEST(ImageManifestTest, MalformedInput) {
  EXPECT_THAT(ParseManifest("{not json"), StatusIs(absl::StatusCode::kInvalidArgument,
                                                   "invalid image manifest: malformed JSON"));
  EXPECT_THAT(ParseManifest("[]"), StatusIs(absl::StatusCode::kInvalidArgument,
                                            HasSubstr("want a JSON object, not array")));
  EXPECT_THAT(ParseManifest(R"({"schemaVersion":2,"layers":[]})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "invalid image manifest: missing field \"config\""));
  EXPECT_THAT(ParseManifest(R"({"schemaVersion":"2"})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("field \"schemaVersion\" must be an integer, not string")));
  std::string config = R"("config":{"mediaType":"a","digest":")" + kD1 + R"(","size":1})";
  EXPECT_THAT(ParseManifest(R"({"schemaVersion":2,)" + config +
                            R"(,"layers":[{"mediaType":"x","digest":"sha256:zz","size":1}]})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"layers[0].digest\"")));
  EXPECT_THAT(ParseManifest(R"({"schemaVersion":2,)" + config + R"(,"layers":{}})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("field \"layers\" must be an array, not object")));
  EXPECT_THAT(
      ParseManifest(R"({"schemaVersion":2,)" + config +
                    R"(,"layers":[{"mediaType":"x","digest":")" + kD1 + R"(","size":-1}]})"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("layers[0].size")));
  EXPECT_THAT(ParseManifest(R"({"schemaVersion":3,"config":{},"layers":[]})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("schemaVersion 3")));
  EXPECT_THAT(ParseIndex(R"({"schemaVersion":2,"mediaType":")" +
                         std::string(media_type::kDockerManifest) + R"(","manifests":[]})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("is not an index")));
  EXPECT_THAT(ParseIndex(R"({"schemaVersion":2,"manifests":[{"mediaType":"m","digest":")" + kD1 +
                         R"(","size":1,"platform":{"os":"linux"}}]})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("missing field \"manifests[0].platform.architecture\"")));
}

TEST(ImageManifestTest, LayerCompression) {
  EXPECT_THAT(LayerCompressionOf(media_type::kDockerLayerTarGzip),
              ::berth::testing::IsOkAndHolds(LayerCompression::kGzip));
  EXPECT_THAT(LayerCompressionOf(media_type::kOciLayerTarZstd),
              ::berth::testing::IsOkAndHolds(LayerCompression::kZstd));
  EXPECT_THAT(LayerCompressionOf(media_type::kOciLayerTar),
              ::berth::testing::IsOkAndHolds(LayerCompression::kNone));
  EXPECT_THAT(LayerCompressionOf(media_type::kOciConfig),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ManifestAcceptHeader(), HasSubstr(std::string(media_type::kDockerManifestList)));
}

}  // namespace
}  // namespace berth::images
