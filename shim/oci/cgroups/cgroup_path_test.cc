#include "shim/oci/cgroups/cgroup_path.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/status_matchers.h"

namespace berth::oci {
namespace {

using ::berth::testing::IsOkAndHolds;
using ::berth::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(CgroupPathTest, CleansAbsoluteAndRelativePaths) {
  EXPECT_THAT(CleanCgroupsPath("/berth/abc"), IsOkAndHolds("/berth/abc"));
  EXPECT_THAT(CleanCgroupsPath("//berth/./abc/"), IsOkAndHolds("/berth/abc"));
  EXPECT_THAT(CleanCgroupsPath("berth/abc"), IsOkAndHolds("berth/abc"));
  EXPECT_THAT(CleanCgroupsPath("./abc"), IsOkAndHolds("abc"));
  EXPECT_THAT(CleanCgroupsPath("/a:b:c"), IsOkAndHolds("/a:b:c"));  // absolute: not systemd's
}

TEST(CgroupPathTest, RefusesDotDotRootAndEmpty) {
  EXPECT_THAT(CleanCgroupsPath("/berth/../etc"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"..\"")));
  EXPECT_THAT(CleanCgroupsPath("../x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("..")));
  EXPECT_THAT(CleanCgroupsPath("a/.."),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("..")));
  EXPECT_THAT(CleanCgroupsPath("/"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("root")));
  EXPECT_THAT(CleanCgroupsPath(""),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty")));
}

TEST(CgroupPathTest, NestsRelativePathsUnderOwnCgroup) {
  EXPECT_EQ(NestCgroupPath("/system.slice/berthd.service", "abc"),
            "/system.slice/berthd.service/abc");
  EXPECT_EQ(NestCgroupPath("/", "a/b"), "/a/b");
  EXPECT_EQ(NestCgroupPath("", "a"), "/a");
  EXPECT_EQ(NestCgroupPath("/system.slice", "/berth/abc"), "/berth/abc");
}

TEST(CgroupPathTest, Prefixes) {
  EXPECT_THAT(CgroupPathPrefixes("/a/b/c"), ElementsAre("/a", "/a/b", "/a/b/c"));
  EXPECT_THAT(CgroupPathPrefixes("/"), ElementsAre());
}

}  // namespace
}  // namespace berth::oci
