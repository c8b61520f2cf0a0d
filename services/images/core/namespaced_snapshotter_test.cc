#include "services/images/core/namespaced_snapshotter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "common/status_matchers.h"

namespace berth::images {
namespace {

using ::berth::testing::IsOk;
using ::berth::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::Not;

class NamespacedSnapshotterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/berth-nssnap-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    root_ = dir;
    auto opened = OpenSnapshotter("native", root_);
    ASSERT_TRUE(opened.ok()) << opened.status();
    base_ = std::move(*opened);
  }
  void TearDown() override {
    base_.reset();
    std::filesystem::remove_all(root_);
  }

  std::string root_;
  std::unique_ptr<Snapshotter> base_;
};

TEST_F(NamespacedSnapshotterTest, NamespacesDoNotSeeEachOther) {
  NamespacedSnapshotter a(*base_, "a");
  NamespacedSnapshotter b(*base_, "b");
  ASSERT_TRUE(a.Prepare("layer-1", "", {}).ok());
  ASSERT_THAT(a.Commit("committed-1", "layer-1", {}), IsOk());
  ASSERT_TRUE(a.Prepare("child", "committed-1", {}).ok());

  auto info = a.Stat("child");
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->name, "child");
  EXPECT_EQ(info->parent, "committed-1");

  EXPECT_THAT(b.Stat("child"), StatusIs(absl::StatusCode::kNotFound));
  // b cannot build on a's layer, and the error names b's own key, not the stored one.
  EXPECT_THAT(
      b.Prepare("x", "committed-1", {}),
      StatusIs(absl::StatusCode::kNotFound, AllOf(HasSubstr("committed-1"), Not(HasSubstr("a/")))));
  // The same key in two namespaces is two snapshots.
  ASSERT_TRUE(b.Prepare("child", "", {}).ok());

  auto listed = a.List();
  ASSERT_TRUE(listed.ok());
  std::vector<std::string> names;
  for (const SnapshotInfo& s : *listed) names.push_back(s.name);
  std::sort(names.begin(), names.end());
  EXPECT_THAT(names, ElementsAre("child", "committed-1"));
  auto b_listed = b.List();
  ASSERT_TRUE(b_listed.ok());
  EXPECT_THAT(*b_listed, ElementsAre(Field(&SnapshotInfo::name, "child")));

  SnapshotInfo update;
  update.name = "child";
  update.labels = {{"k", "v"}};
  auto updated = a.Update(update, {"labels.k"});
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->name, "child");
  EXPECT_EQ(updated->labels.at("k"), "v");
  EXPECT_THAT(b.Remove("committed-1"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(a.Remove("child"), IsOk());
  EXPECT_THAT(a.Remove("committed-1"), IsOk());
}

}  // namespace
}  // namespace berth::images
