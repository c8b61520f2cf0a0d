// A gzip bomb applied onto a 16 MiB tmpfs fails cleanly with ResourceExhausted.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "common/in_root.h"
#include "common/status_matchers.h"
#include "services/images/core/layer_apply.h"
#include "services/images/core/layer_test_support.h"

namespace berth::images {
namespace {

using ::berth::testing::StatusIs;
using ::testing::HasSubstr;
using namespace ::berth::images::testing;  // NOLINT: test helpers

constexpr int64_t kBombSize = int64_t{1} << 30;

class LayerApplyEnospcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    mnt_ = dir_ / "mnt";
    ASSERT_EQ(mkdir(mnt_.c_str(), 0755), 0);
    ASSERT_EQ(mount("tmpfs", mnt_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "size=16m"), 0);
    mounted_ = true;
  }
  void TearDown() override {
    if (mounted_) {
      EXPECT_EQ(umount2(mnt_.c_str(), MNT_DETACH), 0);
    }
  }

  TempDir dir_{"layer-enospc"};
  std::string mnt_;
  bool mounted_ = false;
};

TEST_F(LayerApplyEnospcTest, GzipBombIsResourceExhausted) {
  UniqueFd bomb = MemFd(GzipBomb(kBombSize));
  struct stat st;
  ASSERT_EQ(fstat(bomb.get(), &st), 0);
  EXPECT_LT(st.st_size, 4 << 20);  // it is a bomb: ~1 MB expanding to 1 GiB
  absl::StatusOr<UniqueFd> root = OpenRoot(mnt_);
  BERTH_ASSERT_OK(root);
  EXPECT_THAT(
      ApplyLayer(root->get(), bomb.get(), WhiteoutMode::kOverlay),
      StatusIs(absl::StatusCode::kResourceExhausted,
               HasSubstr("layer entry \"zeros\": writing the file: no space left on device")));
}

}  // namespace
}  // namespace berth::images
