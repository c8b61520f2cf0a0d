#include "shim/protocol/frame.h"

#include <gtest/gtest.h>

namespace berth::shim {
namespace {

TEST(FrameTest, FramesSurviveAnySplitOfTheByteStream) {
  std::string wire;
  AppendFrame("hello", wire);
  AppendFrame("", wire);
  AppendFrame(std::string(70000, 'x'), wire);
  EXPECT_EQ(wire.substr(0, 4), std::string("\0\0\0\5", 4));
  FrameReader reader;
  std::vector<std::string> frames;
  for (char c : wire) {  // one byte at a time: the worst split
    reader.Append(&c, 1);
    for (;;) {
      auto next = reader.Next();
      ASSERT_TRUE(next.ok());
      if (!next->has_value()) break;
      frames.push_back(**next);
    }
  }
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[0], "hello");
  EXPECT_EQ(frames[1], "");
  EXPECT_EQ(frames[2], std::string(70000, 'x'));
}

TEST(FrameTest, AnOversizedLengthIsAnError) {
  FrameReader reader;
  const char header[4] = {0, 0x40, 0, 1};  // 4 MiB + 1
  reader.Append(header, 4);
  auto next = reader.Next();
  EXPECT_EQ(next.status().code(), absl::StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace berth::shim
