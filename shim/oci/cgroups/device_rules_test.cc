#include "shim/oci/cgroups/device_rules.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "common/status_matchers.h"

namespace berth::oci {
namespace {

using ::berth::testing::IsOk;
using ::berth::testing::StatusIs;
using ::testing::HasSubstr;

TEST(DeviceRulesTest, V1Text) {
  EXPECT_EQ(DeviceRuleText({true, 'c', 1, 3, "rwm"}), "c 1:3 rwm");
  EXPECT_EQ(DeviceRuleText({false, 'a', -1, -1, "rwm"}), "a *:* rwm");
  EXPECT_EQ(DeviceRuleText({true, 'b', 8, -1, "r"}), "b 8:* r");
}

TEST(DeviceRulesTest, Validation) {
  EXPECT_THAT(ValidateDeviceRule({true, 'c', 1, 3, "rw"}), IsOk());
  EXPECT_THAT(ValidateDeviceRule({true, 'x', 1, 3, "rw"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("'x'")));
  EXPECT_THAT(ValidateDeviceRule({true, 'c', 1, 3, "rwx"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("rwx")));
  EXPECT_THAT(ValidateDeviceRule({true, 'c', 1, 3, ""}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("access")));
}

// Runs the program's few instruction kinds on a context, as the kernel would.
int Interpret(const std::vector<bpf_insn>& program, uint32_t type, uint32_t access, uint32_t major,
              uint32_t minor) {
  const uint32_t ctx[3] = {access << 16 | type, major, minor};
  uint64_t reg[11] = {};
  for (size_t pc = 0; pc < program.size(); ++pc) {
    const bpf_insn& i = program[pc];
    uint64_t src = BPF_SRC(i.code) == BPF_X ? reg[i.src_reg] : static_cast<uint64_t>(i.imm);
    switch (BPF_CLASS(i.code)) {
      case BPF_LDX:
        reg[i.dst_reg] = ctx[i.off / 4];
        break;
      case BPF_ALU:
      case BPF_ALU64:
        if (BPF_OP(i.code) == BPF_MOV) reg[i.dst_reg] = src;
        if (BPF_OP(i.code) == BPF_AND) reg[i.dst_reg] &= src;
        if (BPF_OP(i.code) == BPF_RSH) reg[i.dst_reg] >>= src;
        break;
      case BPF_JMP:
        if (BPF_OP(i.code) == BPF_EXIT) return static_cast<int>(reg[0]);
        if (BPF_OP(i.code) == BPF_JNE && reg[i.dst_reg] != src) pc += i.off;
        if (BPF_OP(i.code) == BPF_JEQ && reg[i.dst_reg] == src) pc += i.off;
        break;
    }
  }
  return -1;
}

// The kernel's verifier refuses instructions no path reaches.
bool AllReachable(const std::vector<bpf_insn>& program) {
  std::vector<bool> seen(program.size(), false);
  std::vector<size_t> todo = {0};
  while (!todo.empty()) {
    size_t pc = todo.back();
    todo.pop_back();
    if (pc >= program.size() || seen[pc]) continue;
    seen[pc] = true;
    const bpf_insn& i = program[pc];
    if (BPF_CLASS(i.code) == BPF_JMP && BPF_OP(i.code) == BPF_EXIT) continue;
    if (BPF_CLASS(i.code) == BPF_JMP) todo.push_back(pc + 1 + i.off);
    todo.push_back(pc + 1);
  }
  return std::find(seen.begin(), seen.end(), false) == seen.end();
}

constexpr uint32_t kChar = BPF_DEVCG_DEV_CHAR;
constexpr uint32_t kBlock = BPF_DEVCG_DEV_BLOCK;
constexpr uint32_t kRead = BPF_DEVCG_ACC_READ;
constexpr uint32_t kWrite = BPF_DEVCG_ACC_WRITE;
constexpr uint32_t kMknod = BPF_DEVCG_ACC_MKNOD;

TEST(DeviceRulesTest, ProgramLastMatchingRuleWins) {
  auto program = BuildDeviceProgram({
      {false, 'a', -1, -1, "rwm"},  // deny everything
      {true, 'c', 1, 3, "rwm"},     // /dev/null
      {true, 'c', 1, -1, "r"},      // any mem device, read only
      {true, 'b', -1, -1, "m"},     // mknod of block devices
      {false, 'c', 1, 5, "w"},      // but never write /dev/zero
  });
  BERTH_ASSERT_OK(program);
  EXPECT_TRUE(AllReachable(*program));
  EXPECT_EQ(Interpret(*program, kChar, kRead | kWrite, 1, 3), 1);
  EXPECT_EQ(Interpret(*program, kChar, kRead, 1, 9), 1);
  EXPECT_EQ(Interpret(*program, kChar, kRead | kWrite, 1, 9), 0);
  EXPECT_EQ(Interpret(*program, kChar, kRead, 1, 5), 1);
  EXPECT_EQ(Interpret(*program, kChar, kRead | kWrite, 1, 5), 0);
  EXPECT_EQ(Interpret(*program, kBlock, kMknod, 8, 0), 1);
  EXPECT_EQ(Interpret(*program, kBlock, kRead, 8, 0), 0);
  EXPECT_EQ(Interpret(*program, kChar, kRead, 4, 0), 0);
}

TEST(DeviceRulesTest, ProgramAllowAllAndNothing) {
  auto all = BuildDeviceProgram({{true, 'a', -1, -1, "rwm"}});
  BERTH_ASSERT_OK(all);
  EXPECT_TRUE(AllReachable(*all));
  EXPECT_EQ(Interpret(*all, kBlock, kRead | kWrite | kMknod, 8, 1), 1);
  auto none = BuildDeviceProgram({});
  BERTH_ASSERT_OK(none);
  EXPECT_TRUE(AllReachable(*none));
  // Rules before one matching everything are dead code, and are left out.
  auto shadowed = BuildDeviceProgram({{true, 'c', 1, 3, "rwm"}, {false, 'a', -1, -1, "rwm"}});
  BERTH_ASSERT_OK(shadowed);
  EXPECT_TRUE(AllReachable(*shadowed));
  EXPECT_EQ(Interpret(*shadowed, kChar, kRead, 1, 3), 0);
  EXPECT_EQ(Interpret(*none, kChar, kRead, 1, 3), 0);
  EXPECT_FALSE(BuildDeviceProgram({{true, 'q', -1, -1, "rwm"}}).ok());
}

}  // namespace
}  // namespace berth::oci
