// A gzip bomb applied onto a 16 MiB tmpfs fails cleanly with ResourceExhausted.
#include <archive.h>
#include <archive_entry.h>
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

// A gzip'd tar holding one 1 GiB file of zeros, streamed so the zeros never sit anywhere.
UniqueFd GzipBomb() {
  UniqueFd fd(memfd_create("bomb", MFD_CLOEXEC));
  archive* a = archive_write_new();
  archive_write_set_format_pax(a);
  archive_write_add_filter_gzip(a);
  archive_write_set_filter_option(a, "gzip", "compression-level", "9");
  archive_write_set_bytes_in_last_block(a, 1);
  EXPECT_EQ(archive_write_open_fd(a, fd.get()), ARCHIVE_OK);
  archive_entry* e = archive_entry_new();
  archive_entry_set_pathname(e, "zeros");
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_perm(e, 0644);
  archive_entry_set_size(e, kBombSize);
  EXPECT_EQ(archive_write_header(a, e), ARCHIVE_OK);
  archive_entry_free(e);
  std::string zeros(1 << 20, '\0');
  for (int64_t done = 0; done < kBombSize; done += static_cast<int64_t>(zeros.size())) {
    if (archive_write_data(a, zeros.data(), zeros.size()) < 0) break;
  }
  EXPECT_EQ(archive_write_close(a), ARCHIVE_OK);
  archive_write_free(a);
  lseek(fd.get(), 0, SEEK_SET);
  return fd;
}

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
  UniqueFd bomb = GzipBomb();
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
