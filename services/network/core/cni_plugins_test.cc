#include "services/network/core/cni_plugins.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "common/status_matchers.h"

namespace berth::network {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class CniPluginsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-cni-test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  void Touch(const std::string& path, mode_t mode) {
    std::ofstream(path) << "#!/bin/sh\n";
    ::chmod(path.c_str(), mode);
  }
  std::string root_;
};

TEST_F(CniPluginsTest, PicksFirstDirectoryWithBridge) {
  std::filesystem::create_directories(root_ + "/a");
  std::filesystem::create_directories(root_ + "/b");
  Touch(root_ + "/a/loopback", 0755);
  Touch(root_ + "/b/bridge", 0755);
  Touch(root_ + "/b/host-local", 0755);
  Touch(root_ + "/b/README", 0644);
  auto found = FindCniPluginDir({root_ + "/missing", root_ + "/a", root_ + "/b"});
  BERTH_ASSERT_OK(found);
  EXPECT_EQ(found->path, root_ + "/b");
  EXPECT_THAT(found->plugins, ElementsAre("bridge", "host-local"));
}

TEST_F(CniPluginsTest, NamesTheDirectoriesSearched) {
  EXPECT_THAT(FindCniPluginDir({root_}),
              berth::testing::StatusIs(absl::StatusCode::kNotFound, HasSubstr(root_)));
}

}  // namespace
}  // namespace berth::network
