#include "shim/oci/rootfs_mounts.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace berth::oci {
namespace {

using ::testing::ElementsAre;

TEST(ReadOnlyViewTest, OverlayUpperBecomesTopLowerLayer) {
  std::vector<Mount> view = ReadOnlyView(
      {Mount{"",
             "overlay",
             "overlay",
             {"index=off", "workdir=/s/9/work", "upperdir=/s/9/fs", "lowerdir=/s/2/fs:/s/1/fs"}}});
  ASSERT_EQ(view.size(), 1u);
  EXPECT_EQ(view[0].type, "overlay");
  EXPECT_THAT(view[0].options, ElementsAre("index=off", "lowerdir=/s/9/fs:/s/2/fs:/s/1/fs", "ro"));
}

TEST(ReadOnlyViewTest, LeavesOtherMountsAlone) {
  const std::vector<Mount> mounts = {
      Mount{"", "bind", "/s/3/fs", {"rbind", "rw"}},
      Mount{"", "overlay", "overlay", {"lowerdir=/s/2/fs:/s/1/fs"}},  // read-only already
  };
  EXPECT_EQ(ReadOnlyView(mounts), mounts);
}

}  // namespace
}  // namespace berth::oci
