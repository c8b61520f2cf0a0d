// Docker's stats numbers and columns.
#include "ctl/stats_format.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace berth::ctl {
namespace {

using ::testing::HasSubstr;

types::v1::CpuStats Cpu(uint64_t usage, uint64_t system, uint32_t cpus) {
  types::v1::CpuStats cpu;
  cpu.set_usage_total_ns(usage);
  cpu.set_system_usage_ns(system);
  cpu.set_online_cpus(cpus);
  return cpu;
}

TEST(CpuPercentTest, DeltaOverSystemDeltaTimesCpus) {
  const types::v1::CpuStats before = Cpu(1000, 100000, 2);
  // 500 ns of the container against 2000 ns of the host's 2 CPUs: 50%.
  EXPECT_DOUBLE_EQ(CpuPercent(&before, Cpu(1500, 102000, 2)), 50.0);
  EXPECT_DOUBLE_EQ(CpuPercent(nullptr, Cpu(1500, 102000, 2)), 0.0);
  EXPECT_DOUBLE_EQ(CpuPercent(&before, Cpu(1000, 102000, 2)), 0.0);  // no CPU used
  EXPECT_DOUBLE_EQ(CpuPercent(&before, Cpu(1500, 100000, 2)), 0.0);  // no host delta
}

TEST(MemoryUsageShownTest, SubtractsInactiveFile) {
  types::v1::MemoryStats memory;
  memory.set_usage(10 << 20);
  memory.set_inactive_file(4 << 20);
  EXPECT_EQ(MemoryUsageShown(memory), uint64_t{6 << 20});
  memory.set_inactive_file(20 << 20);  // never below zero: usage as is
  EXPECT_EQ(MemoryUsageShown(memory), uint64_t{10 << 20});
}

TEST(BinarySizeTest, GoUnitsBytesSize) {
  EXPECT_EQ(BinarySize(0), "0B");
  EXPECT_EQ(BinarySize(1000), "1000B");
  EXPECT_EQ(BinarySize(1536), "1.5KiB");
  EXPECT_EQ(BinarySize(1.2345 * 1024 * 1024), "1.234MiB");
  EXPECT_EQ(BinarySize(7.6 * 1024 * 1024 * 1024), "7.6GiB");
}

types::v1::ContainerMetrics Sample(uint64_t cpu, uint64_t system) {
  types::v1::ContainerMetrics m;
  *m.mutable_cpu() = Cpu(cpu, system, 4);
  m.mutable_memory()->set_usage(3 << 20);
  m.mutable_memory()->set_inactive_file(1 << 20);
  m.mutable_memory()->set_limit(uint64_t{8} << 30);
  m.mutable_pids()->set_current(3);
  auto* read = m.mutable_blkio()->add_io_service_bytes();
  read->set_op("read");
  read->set_value(1200);
  auto* net = m.add_networks();
  net->set_rx_bytes(1500);
  net->set_tx_bytes(0);
  return m;
}

TEST(StatsFieldsTest, DockerColumns) {
  const std::string id(64, 'a');
  const auto before = Sample(0, 0);
  const auto now = Sample(250000000, 1000000000);  // 25% of 4 CPUs' time: 100%
  const auto row = StatsFields({"web", id, "web"}, &now, &before, /*no_trunc=*/false);
  EXPECT_EQ(row["ID"], std::string(12, 'a'));
  EXPECT_EQ(row["Container"], "web");
  EXPECT_EQ(row["Name"], "web");
  EXPECT_EQ(row["CPUPerc"], "100.00%");
  EXPECT_EQ(row["MemUsage"], "2MiB / 8GiB");
  EXPECT_EQ(row["MemPerc"], "0.02%");
  EXPECT_EQ(row["NetIO"], "1.5kB / 0B");
  EXPECT_EQ(row["BlockIO"], "1.2kB / 0B");
  EXPECT_EQ(row["PIDs"], "3");
  EXPECT_EQ(StatsFields({"x", id, "x"}, &now, nullptr, true)["ID"], id);
}

TEST(StatsFieldsTest, StoppedContainerIsZeros) {
  const auto row = StatsFields({"old", std::string(64, 'b'), "old"}, nullptr, nullptr, false);
  EXPECT_EQ(row["CPUPerc"], "0.00%");
  EXPECT_EQ(row["MemUsage"], "0B / 0B");
  EXPECT_EQ(row["PIDs"], "0");
}

TEST(RenderStatsTest, TableJsonAndTemplate) {
  const auto now = Sample(1, 1);
  std::vector<nlohmann::ordered_json> rows = {
      StatsFields({"web", std::string(64, 'c'), "web"}, &now, nullptr, false)};
  const std::string table = RenderStats(rows, "");
  EXPECT_THAT(table, HasSubstr("CONTAINER ID   NAME      CPU %     MEM USAGE / LIMIT   MEM %     "
                               "NET I/O      BLOCK I/O    PIDS\n"));
  EXPECT_THAT(table, HasSubstr("cccccccccccc   web       0.00%     2MiB / 8GiB"));
  EXPECT_THAT(RenderStats(rows, "json"), HasSubstr("{\"BlockIO\":\"1.2kB / 0B\",\"CPUPerc\""));
  EXPECT_EQ(RenderStats(rows, "{{.Name}}: {{.PIDs}}"), "web: 3\n");
  EXPECT_EQ(RenderStats(rows, "table {{.Container}}\t{{.MemPerc}}"),
            "CONTAINER   MEM %\nweb         0.02%\n");
}

}  // namespace
}  // namespace berth::ctl
