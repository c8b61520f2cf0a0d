// The container metrics' exposition: cAdvisor's names, labels and units, from a fake source.
#include "services/runtime/grpc/container_metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <sstream>

namespace berth::runtime {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class FakeSource : public ContainerSampleSource {
 public:
  std::vector<ContainerSample> SampleRunning() const override { return samples; }
  std::map<std::string, int> CountByState() const override { return counts; }
  std::vector<ContainerSample> samples;
  std::map<std::string, int> counts;
};

ContainerSample WebSample() {
  ContainerSample sample;
  sample.cgroup_id = "/berth/3a1f";
  sample.name = "web";
  sample.image = "busybox";
  sample.started_at = absl::FromUnixSeconds(1700000000);
  types::v1::ContainerMetrics& m = sample.metrics;
  m.mutable_read_at()->set_seconds(1700000100);
  m.mutable_read_at()->set_nanos(500000000);
  m.mutable_cpu()->set_usage_total_ns(2500000000);
  m.mutable_cpu()->set_usage_user_ns(2000000000);
  m.mutable_cpu()->set_usage_system_ns(500000000);
  m.mutable_memory()->set_usage(8192);
  m.mutable_memory()->set_working_set(4096);
  m.mutable_memory()->set_rss(1024);
  m.mutable_memory()->set_cache(2048);
  m.mutable_memory()->set_limit(1 << 30);  // the host's RAM: unlimited
  m.mutable_memory()->set_spec_limit(0);
  m.mutable_memory()->set_oom_events(3);
  m.mutable_pids()->set_current(2);
  types::v1::NetworkInterfaceStats* eth0 = m.add_networks();
  eth0->set_name("eth0");
  eth0->set_rx_bytes(1500);
  eth0->set_rx_packets(10);
  eth0->set_tx_bytes(700);
  eth0->set_tx_packets(7);
  eth0->set_tx_dropped(1);
  return sample;
}

std::string Scrape(const FakeSource& fake) {
  auto source = std::make_shared<FakeSource>(fake);
  auto collector = MakeContainerMetricsCollector(source);
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, collector->Collect());
  return out.str();
}

TEST(ContainerMetricsTest, OneRunningContainerHasEveryCadvisorSeries) {
  FakeSource fake;
  fake.samples.push_back(WebSample());
  const std::string text = Scrape(fake);
  const std::string labels = R"({id="/berth/3a1f",image="busybox",name="web"})";
  for (const std::string& line : {
           "container_cpu_usage_seconds_total" + labels + " 2.5",
           "container_cpu_user_seconds_total" + labels + " 2",
           "container_cpu_system_seconds_total" + labels + " 0.5",
           "container_memory_usage_bytes" + labels + " 8192",
           "container_memory_working_set_bytes" + labels + " 4096",
           "container_memory_rss" + labels + " 1024",
           "container_memory_cache" + labels + " 2048",
           "container_spec_memory_limit_bytes" + labels + " 0",
           "container_processes" + labels + " 2",
           "container_start_time_seconds" + labels + " 1700000000",
           "container_last_seen" + labels + " 1700000100.5",
           "container_oom_events_total" + labels + " 3",
       }) {
    EXPECT_THAT(text, HasSubstr(line + "\n")) << text;
  }
  const std::string eth0 = R"({id="/berth/3a1f",image="busybox",interface="eth0",name="web"})";
  for (const std::string& line : {
           "container_network_receive_bytes_total" + eth0 + " 1500",
           "container_network_receive_packets_total" + eth0 + " 10",
           "container_network_receive_errors_total" + eth0 + " 0",
           "container_network_transmit_bytes_total" + eth0 + " 700",
           "container_network_transmit_packets_total" + eth0 + " 7",
           "container_network_transmit_packets_dropped_total" + eth0 + " 1",
       }) {
    EXPECT_THAT(text, HasSubstr(line + "\n")) << text;
  }
  EXPECT_THAT(text, HasSubstr("# TYPE container_cpu_usage_seconds_total counter"));
  EXPECT_THAT(text, HasSubstr("# TYPE container_memory_usage_bytes gauge"));
}

TEST(ContainerMetricsTest, NoContainersLeavesOnlyTheStateCounts) {
  FakeSource fake;
  fake.counts = {{"running", 0}, {"exited", 2}, {"created", 1}};
  const std::string text = Scrape(fake);
  EXPECT_THAT(text, Not(HasSubstr("container_cpu_usage_seconds_total{")));
  EXPECT_THAT(text, HasSubstr("berth_containers{state=\"exited\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("berth_containers{state=\"created\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("berth_containers{state=\"running\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("berth_containers{state=\"paused\"} 0\n"));
}

TEST(ContainerMetricsTest, StartHistogramObservesLatencies) {
  auto registry = std::make_shared<prometheus::Registry>();
  auto observe = RegisterContainerStartHistogram(registry);
  observe(absl::Milliseconds(80));
  observe(absl::Seconds(3));
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, registry->Collect());
  EXPECT_THAT(out.str(), HasSubstr("berth_container_start_seconds_count 2\n"));
  EXPECT_THAT(out.str(), HasSubstr("berth_container_start_seconds_bucket{le=\"0.1\"} 1\n"));
  EXPECT_THAT(out.str(), HasSubstr("berth_container_start_seconds_sum 3.08"));
}

}  // namespace
}  // namespace berth::runtime
