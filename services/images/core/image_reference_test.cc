#include "services/images/core/image_reference.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/status_matchers.h"

namespace berth::images {
namespace {

using ::berth::testing::StatusIs;
using ::testing::HasSubstr;

const std::string kHex = std::string(64, 'a');
const std::string kDigest = "sha256:" + kHex;

ImageReference Parse(absl::string_view text, absl::string_view domain = kDockerHubDomain) {
  auto ref = ParseImageReference(text, domain);
  EXPECT_TRUE(ref.ok()) << text << ": " << ref.status();
  return ref.ok() ? *ref : ImageReference{};
}

TEST(ImageReferenceTest, OfficialImageGoesToLibrary) {
  ImageReference ref = Parse("busybox");
  EXPECT_EQ(ref.domain, "docker.io");
  EXPECT_EQ(ref.path, "library/busybox");
  EXPECT_EQ(ref.tag, "latest");
  EXPECT_TRUE(ref.digest.empty());
  EXPECT_EQ(ref.String(), "docker.io/library/busybox:latest");
  EXPECT_EQ(ref.FamiliarString(), "busybox:latest");
}

TEST(ImageReferenceTest, DockerHubSpellingsAreOneName) {
  for (absl::string_view text :
       {"busybox", "library/busybox", "docker.io/busybox", "docker.io/library/busybox",
        "index.docker.io/library/busybox", "index.docker.io/busybox:latest"}) {
    EXPECT_EQ(Parse(text).String(), "docker.io/library/busybox:latest") << text;
  }
}

TEST(ImageReferenceTest, UserRepositoryOnHub) {
  ImageReference ref = Parse("user/repo:1.0");
  EXPECT_EQ(ref.String(), "docker.io/user/repo:1.0");
  EXPECT_EQ(ref.FamiliarString(), "user/repo:1.0");
  // A nested path under library/ keeps its prefix in the short form, as Docker does.
  EXPECT_EQ(Parse("library/a/b").FamiliarString(), "library/a/b:latest");
}

TEST(ImageReferenceTest, RegistryWithPort) {
  ImageReference ref = Parse("localhost:5000/a/b:t");
  EXPECT_EQ(ref.domain, "localhost:5000");
  EXPECT_EQ(ref.path, "a/b");
  EXPECT_EQ(ref.tag, "t");
  EXPECT_EQ(ref.FamiliarString(), "localhost:5000/a/b:t");
}

TEST(ImageReferenceTest, LocalhostWithoutPortIsADomain) {
  EXPECT_EQ(Parse("localhost/foo").domain, "localhost");
  EXPECT_EQ(Parse("registry.example.com/foo").domain, "registry.example.com");
  // Without '.', ':' or "localhost" the first component is a path on the default registry.
  EXPECT_EQ(Parse("foo/bar").domain, "docker.io");
}

TEST(ImageReferenceTest, DigestOnlyHasNoTag) {
  ImageReference ref = Parse("127.0.0.1:5000/x@" + kDigest);
  EXPECT_EQ(ref.domain, "127.0.0.1:5000");
  EXPECT_EQ(ref.path, "x");
  EXPECT_EQ(ref.tag, "");
  EXPECT_EQ(ref.digest.str(), kDigest);
  EXPECT_EQ(ref.TagOrDigest(), kDigest);
  EXPECT_EQ(ref.String(), "127.0.0.1:5000/x@" + kDigest);
}

TEST(ImageReferenceTest, TagAndDigestTogether) {
  ImageReference ref = Parse("name:tag@" + kDigest);
  EXPECT_EQ(ref.path, "library/name");
  EXPECT_EQ(ref.tag, "tag");
  EXPECT_EQ(ref.digest.str(), kDigest);
  EXPECT_EQ(ref.FamiliarString(), "name:tag@" + kDigest);
  EXPECT_EQ(ref.TagOrDigest(), kDigest);
}

TEST(ImageReferenceTest, Ipv6Domain) {
  ImageReference ref = Parse("[::1]:5000/foo:bar");
  EXPECT_EQ(ref.domain, "[::1]:5000");
  EXPECT_EQ(ref.path, "foo");
  EXPECT_EQ(ref.tag, "bar");
}

TEST(ImageReferenceTest, ConfigurableDefaultDomain) {
  ImageReference ref = Parse("foo", "registry.internal:5000");
  EXPECT_EQ(ref.String(), "registry.internal:5000/foo:latest");  // no library/ off the Hub
  EXPECT_EQ(ref.FamiliarString("registry.internal:5000"), "foo:latest");
  EXPECT_EQ(ref.FamiliarString(), "registry.internal:5000/foo:latest");
}

TEST(ImageReferenceTest, SeparatorsInPathComponents) {
  for (absl::string_view ok : {"a.b", "a_b", "a__b", "a-b", "a---b", "a0/b1.c-d"}) {
    EXPECT_TRUE(ParseImageReference(ok).ok()) << ok;
  }
  for (absl::string_view bad : {"a___b", "a..b", "-a", "a-", ".a", "a/", "a//b", "_a"}) {
    EXPECT_THAT(ParseImageReference(bad),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("invalid reference format")))
        << bad;
  }
}

TEST(ImageReferenceTest, UppercaseRepositoryIsRefused) {
  EXPECT_THAT(ParseImageReference("Busybox"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "invalid reference format: repository name must be lowercase"));
  EXPECT_THAT(ParseImageReference("docker.io/User/repo"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("must be lowercase")));
  // An uppercase first component is taken as a domain, as Docker does; domains may be mixed.
  EXPECT_EQ(Parse("Registry.Example.com/repo").domain, "Registry.Example.com");
}

TEST(ImageReferenceTest, BadTagsAndDigests) {
  EXPECT_THAT(ParseImageReference("busybox:"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseImageReference("busybox:-x"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseImageReference("busybox:" + std::string(129, 'a')),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_TRUE(ParseImageReference("busybox:" + std::string(128, 'a')).ok());
  EXPECT_THAT(ParseImageReference("busybox@sha256:abc"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("invalid digest format")));
  EXPECT_THAT(ParseImageReference(""), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseImageReference("@" + kDigest), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseImageReference("a b"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ImageReferenceTest, HexNameIsRefused) {
  EXPECT_THAT(ParseImageReference(kHex),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("64-byte hexadecimal")));
}

TEST(ImageReferenceTest, NameLengthLimit) {
  std::string long_path = std::string(120, 'a') + "/" + std::string(120, 'b');
  EXPECT_TRUE(ParseImageReference("localhost/" + long_path).ok());
  EXPECT_THAT(ParseImageReference("localhost/" + long_path + "/" + std::string(30, 'c')),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("255 characters")));
}

TEST(ImageReferenceTest, BadDomainIsRefused) {
  EXPECT_THAT(ParseImageReference("-bad.com/foo"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseImageReference("host:port/foo"), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace berth::images
