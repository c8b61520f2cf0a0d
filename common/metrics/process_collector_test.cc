#include "common/metrics/process_collector.h"

#include <gtest/gtest.h>
#include <time.h>

#include "common/status_matchers.h"

namespace berth::metrics {
namespace {

TEST(ProcessCollectorTest, ParsesCommandNamesWithSpacesAndParens) {
  // Fields after the name: state ppid pgrp session tty tpgid flags minflt cminflt majflt
  // cmajflt utime(14) stime(15) cutime cstime priority nice threads itreal starttime(22)
  // vsize(23) rss(24).
  std::string stat =
      "42 (a (weird) name) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0 1000 "
      "123456 10 18446744073709551615";
  auto stats = ParseProcStat(stat, /*boot_time=*/1000.0, /*ticks=*/100, /*page=*/4096);
  BERTH_ASSERT_OK(stats);
  EXPECT_DOUBLE_EQ(stats->cpu_seconds, 3.0);
  EXPECT_DOUBLE_EQ(stats->start_time_seconds, 1010.0);
  EXPECT_DOUBLE_EQ(stats->virtual_bytes, 123456);
  EXPECT_DOUBLE_EQ(stats->resident_bytes, 40960);
}

TEST(ProcessCollectorTest, RejectsTruncatedStat) {
  EXPECT_FALSE(ParseProcStat("1 (x) S 1 2", 0, 100, 4096).ok());
  EXPECT_FALSE(ParseProcStat("garbage", 0, 100, 4096).ok());
}

TEST(ProcessCollectorTest, ReadsThisProcess) {
  auto stats = ReadSelfProcessStats();
  BERTH_ASSERT_OK(stats);
  EXPECT_GT(stats->resident_bytes, 0);
  EXPECT_GE(stats->open_fds, 3);
  EXPECT_GT(stats->max_fds, 0);
  EXPECT_LE(stats->start_time_seconds, static_cast<double>(::time(nullptr)) + 1);
  EXPECT_GT(stats->start_time_seconds, static_cast<double>(::time(nullptr)) - 3600);
}

TEST(ProcessCollectorTest, CollectsTheStandardFamilies) {
  ProcessCollector collector;
  std::vector<std::string> names;
  for (const auto& family : collector.Collect()) names.push_back(family.name);
  for (const char* want : {"process_cpu_seconds_total", "process_resident_memory_bytes",
                           "process_open_fds", "process_start_time_seconds"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), want), names.end()) << want;
  }
}

}  // namespace
}  // namespace berth::metrics
