#include "services/network/core/cni_config_dir.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/status_matchers.h"

namespace berth::network {
namespace {

using ::berth::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

class CniConfigDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-cni-conf-test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ + "/" + name) << text;
  }
  std::string dir_;
};

constexpr char kPodNet[] = R"({"cniVersion": "1.0.0", "name": "podnet",
  "plugins": [{"type": "bridge", "bridge": "cni0"}, {"type": "portmap",
  "capabilities": {"portMappings": true}}]})";

TEST_F(CniConfigDirTest, ReadsFilesInNameOrderAndWrapsSinglePluginConfigs) {
  Write("20-podnet.conflist", kPodNet);
  Write("30-single.conf", R"({"cniVersion": "0.4.0", "name": "single", "type": "ptp"})");
  Write("40-other.json", R"({"cniVersion": "0.4.0", "name": "other", "type": "macvlan"})");
  Write("99-notes.txt", "not a configuration");
  std::vector<std::string> skipped;
  std::vector<CniConfigFile> files = CniConfigDir(dir_).Load(&skipped);
  ASSERT_EQ(files.size(), 3u);
  EXPECT_TRUE(skipped.empty());
  EXPECT_EQ(files[0].name, "podnet");
  EXPECT_EQ(files[0].path, dir_ + "/20-podnet.conflist");
  EXPECT_EQ(files[1].name, "single");
  EXPECT_EQ(files[1].conflist["cniVersion"], "0.4.0");
  ASSERT_EQ(files[1].conflist["plugins"].size(), 1u);
  EXPECT_EQ(files[1].conflist["plugins"][0]["type"], "ptp");
  EXPECT_EQ(files[2].name, "other");

  auto first = CniConfigDir(dir_).Find("");
  BERTH_ASSERT_OK(first);
  EXPECT_EQ(first->name, "podnet");
  auto named = CniConfigDir(dir_).Find("single");
  BERTH_ASSERT_OK(named);
  EXPECT_EQ(named->path, dir_ + "/30-single.conf");
}

TEST_F(CniConfigDirTest, SkipsInvalidFilesAndSaysWhy) {
  Write("05-broken.conflist", "{\"cniVersion\": ");
  Write("06-empty.conflist", R"({"cniVersion": "1.0.0", "name": "empty", "plugins": []})");
  Write("07-escape.conflist",
        R"({"cniVersion": "1.0.0", "name": "escape", "plugins": [{"type": "../../bin/sh"}]})");
  Write("08-noname.conf", R"({"cniVersion": "1.0.0", "type": "bridge"})");
  Write("09-list-in-conf.conf", kPodNet);
  Write("10-podnet.conflist", kPodNet);
  std::vector<std::string> skipped;
  std::vector<CniConfigFile> files = CniConfigDir(dir_).Load(&skipped);
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].name, "podnet");  // the first valid file is the default
  ASSERT_EQ(skipped.size(), 5u);
  EXPECT_THAT(skipped[0], AllOf(HasSubstr("05-broken.conflist"), HasSubstr("not a JSON object")));
  EXPECT_THAT(skipped[1], HasSubstr("no plugins"));
  EXPECT_THAT(skipped[2], HasSubstr("a plugin without a valid type"));
  EXPECT_THAT(skipped[3], HasSubstr("no network name"));
  EXPECT_THAT(skipped[4], HasSubstr("a plugin list in a single-plugin"));

  // Asking for a skipped network tells why it is not there.
  EXPECT_THAT(
      CniConfigDir(dir_).Find("escape"),
      StatusIs(absl::StatusCode::kNotFound, AllOf(HasSubstr("named \"escape\""), HasSubstr(dir_),
                                                  HasSubstr("07-escape.conflist"))));
}

TEST_F(CniConfigDirTest, EmptyOrMissingDirectoryHasNoDefault) {
  EXPECT_THAT(
      CniConfigDir(dir_).Find(""),
      StatusIs(absl::StatusCode::kNotFound, HasSubstr("no CNI network configuration in " + dir_)));
  EXPECT_THAT(CniConfigDir(dir_ + "/missing").Find("podnet"),
              StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace berth::network
