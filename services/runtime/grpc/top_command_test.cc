#include "services/runtime/grpc/top_command.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace berth::runtime {
namespace {

using ::testing::ElementsAre;

TEST(TopCommandTest, KeepsTheContainersRowsAndTheCommandsSpaces) {
  const std::string ps =
      "UID          PID    PPID  C STIME TTY          TIME CMD\n"
      "root           1       0  0 10:00 ?        00:00:01 /sbin/init splash\n"
      "root        4242    4200  0 10:01 ?        00:00:00 sh -c sleep 1000\n"
      "root        4243    4242  0 10:01 ?        00:00:00 sleep 1000\n";
  auto table = ParseTop(ps, {4242, 4243});
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(table->titles.size(), 8u);
  ASSERT_EQ(table->rows.size(), 2u);
  EXPECT_THAT(table->rows[0], ElementsAre("root", "4242", "4200", "0", "10:01", "?", "00:00:00",
                                          "sh -c sleep 1000"));
  EXPECT_FALSE(ParseTop("USER COMMAND\nroot x\n", {1}).ok());
}

}  // namespace
}  // namespace berth::runtime
