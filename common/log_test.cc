#include "common/log.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "nlohmann/json.hpp"

namespace berth::log {
namespace {

using ::testing::HasSubstr;

TEST(LogTest, TextQuotesValuesWithSpaces) {
  std::string line = Render(Format::kText, Level::kWarn, "socket ready",
                            {{"path", "/run/berth/berthd.sock"}, {"note", "a b"}}, "T");
  EXPECT_EQ(line,
            "time=T level=warning msg=\"socket ready\" path=/run/berth/berthd.sock note=\"a b\"");
}

TEST(LogTest, JsonIsOneParsableObject) {
  std::string line = Render(Format::kJson, Level::kError, "bad \"thing\"\n", {{"k", "v"}}, "T");
  EXPECT_EQ(line.find('\n'), std::string::npos);
  auto parsed = nlohmann::json::parse(line);
  EXPECT_EQ(parsed["level"], "error");
  EXPECT_EQ(parsed["msg"], "bad \"thing\"\n");
  EXPECT_EQ(parsed["k"], "v");
}

TEST(LogTest, ParsesLevelsAndRejectsUnknown) {
  EXPECT_EQ(*ParseLevel("DEBUG"), Level::kDebug);
  EXPECT_EQ(*ParseLevel("warning"), Level::kWarn);
  EXPECT_FALSE(ParseLevel("loud").ok());
  EXPECT_THAT(std::string(ParseLevel("loud").status().message()), HasSubstr("loud"));
  EXPECT_FALSE(ParseFormat("xml").ok());
}

TEST(LogTest, MinimumLevelFilters) {
  Configure(Level::kWarn, Format::kText);
  EXPECT_FALSE(Enabled(Level::kInfo));
  EXPECT_TRUE(Enabled(Level::kError));
  Configure(Level::kInfo, Format::kText);
}

}  // namespace
}  // namespace berth::log
