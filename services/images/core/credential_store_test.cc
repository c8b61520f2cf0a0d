#include "services/images/core/credential_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "common/status_matchers.h"
#include "tests/harness/subprocess.h"

namespace berth::images {
namespace {

using ::berth::testing::IsOk;
using ::berth::testing::StatusIs;

class CredentialStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/berth-creds-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    home_ = dir;
  }
  void TearDown() override { ::berth::testing::RunCommand({"/bin/rm", "-rf", home_}); }
  void WriteDockerConfig(const std::string& text) {
    ::mkdir((home_ + "/.docker").c_str(), 0700);
    std::ofstream(home_ + "/.docker/config.json") << text;
  }
  std::string home_;
};

TEST_F(CredentialStoreTest, NothingStored) {
  CredentialStore store(home_);
  EXPECT_THAT(store.Get("localhost:5000"), ::berth::testing::IsOkAndHolds(std::nullopt));
  EXPECT_THAT(store.Erase("localhost:5000"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(CredentialStoreTest, ReadsDockerConfig) {
  // "auth" is base64("u:p:with:colons"); the Hub's key is its historical URL.
  WriteDockerConfig(R"({"auths":{"https://index.docker.io/v1/":{"auth":"dTpwOndpdGg6Y29sb25z"},
                                 "reg.example:5000":{"username":"a","password":"b"}}})");
  CredentialStore store(home_);
  EXPECT_THAT(store.Get("docker.io"),
              ::berth::testing::IsOkAndHolds(Credentials{"u", "p:with:colons"}));
  EXPECT_THAT(store.Get("reg.example:5000"), ::berth::testing::IsOkAndHolds(Credentials{"a", "b"}));
  EXPECT_THAT(store.Get("other"), ::berth::testing::IsOkAndHolds(std::nullopt));
}

TEST_F(CredentialStoreTest, StoreWritesPrivateFileThatWinsOverDocker) {
  WriteDockerConfig(R"({"auths":{"localhost:5000":{"username":"old","password":"x"}}})");
  CredentialStore store(home_);
  ASSERT_THAT(store.Store("localhost:5000", {"new", "pw"}), IsOk());
  struct stat st {};
  ASSERT_EQ(::stat(store.berth_config_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_THAT(store.Get("localhost:5000"),
              ::berth::testing::IsOkAndHolds(Credentials{"new", "pw"}));
  ASSERT_THAT(store.Store("docker.io", {"hub", "h"}), IsOk());
  ASSERT_THAT(store.Erase("localhost:5000"), IsOk());
  // The ~/.docker entry is visible again once berth's own is gone.
  EXPECT_THAT(store.Get("localhost:5000"), ::berth::testing::IsOkAndHolds(Credentials{"old", "x"}));
  EXPECT_THAT(store.Get("index.docker.io"),
              ::berth::testing::IsOkAndHolds(Credentials{"hub", "h"}));
}

TEST_F(CredentialStoreTest, MalformedFileIsAnError) {
  WriteDockerConfig("{nope");
  EXPECT_THAT(CredentialStore(home_).Get("x"), StatusIs(absl::StatusCode::kInvalidArgument));
  WriteDockerConfig(R"({"auths":{"x":{"auth":"!!!"}}})");
  EXPECT_THAT(CredentialStore(home_).Get("x"), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace berth::images
