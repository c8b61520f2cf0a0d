#include "services/runtime/core/user_lookup.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

#include "common/in_root.h"
#include "common/status_matchers.h"

namespace berth::runtime {
namespace {

using ::berth::testing::IsOkAndHolds;
using ::berth::testing::StatusIs;
using ::testing::Field;
using ::testing::HasSubstr;

class UserLookupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-userlookup-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    std::filesystem::create_directories(dir_ + "/rootfs/etc");
    Write("etc/passwd",
          "root:x:0:0:root:/root:/bin/sh\n"
          "# a comment\n"
          "\n"
          "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
          "app:x:1000:1000::/home/app:/bin/sh\n"
          "broken line\n"
          "nogroups:x:1001:1001::/:/bin/sh\n");
    Write("etc/group",
          "root:x:0:root\n"
          "bin:x:1:root,daemon\n"
          "wheel:x:10:root,app\n"
          "app:x:1000:\n"
          "staff:x:50:app\n"
          "video:x:44:\n");
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  void Write(const std::string& rel, const std::string& text) {
    std::ofstream(dir_ + "/rootfs/" + rel) << text;
  }
  absl::StatusOr<oci::User> Resolve(const std::string& user,
                                    const std::vector<std::string>& group_add = {}) {
    absl::StatusOr<UniqueFd> root = OpenRoot(dir_ + "/rootfs");
    if (!root.ok()) return root.status();
    return ResolveUser(root->get(), user, group_add);
  }
  static oci::User U(uint32_t uid, uint32_t gid, std::vector<uint32_t> gids = {}) {
    return oci::User{
        .uid = uid, .gid = gid, .umask = std::nullopt, .additional_gids = std::move(gids)};
  }

  std::string dir_;
};

TEST_F(UserLookupTest, EmptyIsRootWithRootsSupplementaryGroups) {
  EXPECT_THAT(Resolve(""), IsOkAndHolds(U(0, 0, {0, 1, 10})));
}

TEST_F(UserLookupTest, NameTakesPasswdGidAndMemberGroups) {
  EXPECT_THAT(Resolve("app"), IsOkAndHolds(U(1000, 1000, {10, 50})));
  EXPECT_THAT(Resolve("daemon"), IsOkAndHolds(U(1, 1, {1})));
  EXPECT_THAT(Resolve("nogroups"), IsOkAndHolds(U(1001, 1001)));
}

TEST_F(UserLookupTest, NumericUidUsesItsPasswdEntryWhenThereIsOne) {
  EXPECT_THAT(Resolve("1000"), IsOkAndHolds(U(1000, 1000, {10, 50})));
}

TEST_F(UserLookupTest, NumericUidWithoutEntryHasGidZero) {
  EXPECT_THAT(Resolve("4242"), IsOkAndHolds(U(4242, 0)));
  EXPECT_THAT(Resolve("4242:77"), IsOkAndHolds(U(4242, 77)));
}

TEST_F(UserLookupTest, ExplicitGroupReplacesGidAndDropsSupplementaryGroups) {
  EXPECT_THAT(Resolve("app:staff"), IsOkAndHolds(U(1000, 50)));
  EXPECT_THAT(Resolve("app:44"), IsOkAndHolds(U(1000, 44)));
  EXPECT_THAT(Resolve("app:9999"), IsOkAndHolds(U(1000, 9999)));
  EXPECT_THAT(Resolve("1000:video"), IsOkAndHolds(U(1000, 44)));
  EXPECT_THAT(Resolve("0:0"), IsOkAndHolds(U(0, 0)));
}

TEST_F(UserLookupTest, UnknownNamesAreDockersErrors) {
  EXPECT_THAT(Resolve("xyz"),
              StatusIs(absl::StatusCode::kNotFound,
                       "unable to find user xyz: no matching entries in passwd file"));
  EXPECT_THAT(Resolve("app:nogroup"),
              StatusIs(absl::StatusCode::kNotFound,
                       "unable to find group nogroup: no matching entries in group file"));
  EXPECT_THAT(Resolve("99999999999"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(UserLookupTest, GroupAddAppendsNamesAndNumbers) {
  EXPECT_THAT(Resolve("app", {"video", "1234"}), IsOkAndHolds(U(1000, 1000, {10, 50, 44, 1234})));
  EXPECT_THAT(Resolve("4242", {"staff"}), IsOkAndHolds(U(4242, 0, {50})));
  EXPECT_THAT(Resolve("app", {"nosuch"}),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("Unable to find group nosuch")));
}

TEST_F(UserLookupTest, MissingFilesAreFineForNumericUsers) {
  std::filesystem::remove(dir_ + "/rootfs/etc/passwd");
  std::filesystem::remove(dir_ + "/rootfs/etc/group");
  EXPECT_THAT(Resolve(""), IsOkAndHolds(U(0, 0)));
  EXPECT_THAT(Resolve("123:456"), IsOkAndHolds(U(123, 456)));
  EXPECT_THAT(Resolve("app"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("unable to find user app")));
}

// An image whose /etc/passwd points at /etc/shadow (absolute, or climbing out with
// "..") must read its own /etc/shadow, never the host's.
TEST_F(UserLookupTest, SymlinkedPasswdResolvesInsideTheRoot) {
  std::filesystem::remove(dir_ + "/rootfs/etc/passwd");
  Write("etc/shadow", "image-only:x:777:888::/:/bin/sh\n");
  std::filesystem::create_symlink("/etc/shadow", dir_ + "/rootfs/etc/passwd");
  EXPECT_THAT(Resolve("image-only"), IsOkAndHolds(Field(&oci::User::uid, 777)));
  EXPECT_THAT(Resolve("root"), StatusIs(absl::StatusCode::kNotFound));

  std::filesystem::remove(dir_ + "/rootfs/etc/passwd");
  std::filesystem::create_symlink("../../../../../../../../etc/shadow",
                                  dir_ + "/rootfs/etc/passwd");
  EXPECT_THAT(Resolve("image-only"), IsOkAndHolds(Field(&oci::User::gid, 888)));
}

TEST_F(UserLookupTest, PasswdThatIsNotARegularFileIsAnError) {
  std::filesystem::remove(dir_ + "/rootfs/etc/passwd");
  std::filesystem::create_directory(dir_ + "/rootfs/etc/passwd");
  EXPECT_THAT(Resolve("app"), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(Resolve("0"), StatusIs(absl::StatusCode::kFailedPrecondition));
}

}  // namespace
}  // namespace berth::runtime
