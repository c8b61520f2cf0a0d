#include "services/images/core/digest.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/status_matchers.h"

namespace berth::images {
namespace {

using ::berth::testing::StatusIs;
using ::testing::HasSubstr;

TEST(DigestTest, OfKnownInput) {
  // sha256 of the empty string and of "abc" (FIPS 180-2 test vectors).
  EXPECT_EQ(Digest::Of("").str(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Digest::Of("abc").hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(DigestTest, IncrementalMatchesOneShot) {
  Sha256Hasher hasher;
  hasher.Update("a");
  hasher.Update("bc");
  EXPECT_EQ(hasher.bytes(), 3u);
  EXPECT_EQ(hasher.Finish(), Digest::Of("abc"));
  EXPECT_EQ(hasher.bytes(), 0u);
  EXPECT_EQ(hasher.Finish(), Digest::Of(""));
}

TEST(DigestTest, PeekDoesNotEndTheHash) {
  Sha256Hasher hasher;
  hasher.Update("ab");
  EXPECT_EQ(hasher.Peek(), Digest::Of("ab"));
  hasher.Update("c");
  EXPECT_EQ(hasher.Peek(), Digest::Of("abc"));
  EXPECT_EQ(hasher.Finish(), Digest::Of("abc"));
}

TEST(DigestTest, ParseRoundTrips) {
  auto digest = Digest::Of("abc");
  auto parsed = Digest::Parse(digest.str());
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, digest);
}

TEST(DigestTest, ParseRejectsBadInput) {
  EXPECT_THAT(Digest::Parse("sha512:abcd"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("only sha256")));
  EXPECT_THAT(Digest::Parse("sha256:ABC"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Digest::Parse("sha256:" + std::string(64, 'G')),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Digest::Parse(std::string(64, 'a')),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("sha256:<64")));
  EXPECT_THAT(Digest::Parse("sha256:../../etc/passwd"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace berth::images
