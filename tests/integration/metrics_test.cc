// Container metrics end to end against a private berthd: cAdvisor's series on /metrics
// for a busy container, the same series scraped by a real Prometheus (Debian's package),
// `berthctl stats --no-stream` and `berthctl events --since/--until` for the run.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "nlohmann/json.hpp"
#include "tests/harness/berthd_process.h"
#include "tests/harness/berthd_test.h"
#include "tests/harness/subprocess.h"

namespace berth::testing {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;

constexpr char kPrometheus[] = "/usr/bin/prometheus";

class MetricsTest : public BerthdTest {
 protected:
  void TearDown() override {
    if (prometheus_pid_ > 0) StopProcess(prometheus_pid_, SIGTERM);
    std::error_code ignored;
    std::filesystem::remove_all(dir_ / "prometheus", ignored);
    BerthdTest::TearDown();
  }

  RunResult Ctl(std::vector<std::string> args,
                std::chrono::seconds timeout = std::chrono::seconds(60)) {
    return berthd_->Ctl(std::move(args), timeout);
  }

  // Starts Prometheus scraping `target` every second; returns its HTTP address.
  std::string StartPrometheus(const std::string& target) {
    const std::string home = dir_ / "prometheus";
    std::filesystem::create_directories(home + "/data");
    std::ofstream(home + "/prometheus.yml")
        << "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        << "scrape_configs:\n  - job_name: berthd\n    static_configs:\n"
        << "      - targets: ['" << target << "']\n";
    const std::string address = absl::StrCat("127.0.0.1:", FreeLoopbackPort());
    prometheus_pid_ =
        Spawn({kPrometheus, "--config.file=" + home + "/prometheus.yml",
               "--storage.tsdb.path=" + home + "/data", "--web.listen-address=" + address},
              home + "/prometheus.log");
    return address;
  }

  pid_t prometheus_pid_ = -1;
};

TEST_F(MetricsTest, BusyContainerShowsInMetricsPrometheusStatsAndEvents) {
  const absl::Time began = absl::Now() - absl::Seconds(1);
  const std::string name = "metrics-busy";
  RunResult run =
      Ctl({"run", "-d", "--name", name, "busybox", "sh", "-c", "while true; do :; done"});
  ASSERT_EQ(run.exit_code, 0) << run.err;

  // /metrics: CPU time accumulates and the memory series are there.
  absl::StatusOr<std::string> metrics_address = berthd_->MetricsAddress();
  ASSERT_TRUE(metrics_address.ok()) << metrics_address.status();
  const std::string url = absl::StrCat("http://", *metrics_address, "/metrics");
  const std::string label = absl::StrCat("name=\"", name, "\"");
  std::string exposition;
  double cpu = -1;
  for (int i = 0; i < 100 && cpu <= 0; ++i) {
    if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    absl::StatusOr<std::string> body = HttpGet(url);
    ASSERT_TRUE(body.ok()) << body.status();
    exposition = *body;
    cpu = MetricValue(exposition, "container_cpu_usage_seconds_total", {label});
  }
  EXPECT_GT(cpu, 0) << exposition;
  for (const char* series :
       {"container_memory_usage_bytes", "container_memory_working_set_bytes",
        "container_memory_rss", "container_memory_cache", "container_spec_memory_limit_bytes",
        "container_processes", "container_start_time_seconds", "container_last_seen",
        "container_oom_events_total", "container_cpu_user_seconds_total",
        "container_cpu_system_seconds_total"}) {
    EXPECT_GE(MetricValue(exposition, series, {label}), 0) << series << "\n" << exposition;
  }
  EXPECT_GT(MetricValue(exposition, "container_memory_usage_bytes", {label}), 0);
  EXPECT_THAT(exposition, ContainsRegex("container_cpu_usage_seconds_total\\{id=\"/[^\"]+\","
                                        "image=\"busybox\",name=\"metrics-busy\"\\}"));
  EXPECT_EQ(MetricValue(exposition, "berth_containers", {"state=\"running\""}), 1) << exposition;
  EXPECT_GE(MetricValue(exposition, "berth_container_start_seconds_count"), 1) << exposition;

  // A real Prometheus scrapes the same series.
  ASSERT_EQ(access(kPrometheus, X_OK), 0)
      << kPrometheus << " is missing: run scripts/install-deps.sh (it installs Debian's "
      << "prometheus package)";
  const std::string prometheus = StartPrometheus(*metrics_address);
  const std::string query = absl::StrCat(
      "http://", prometheus, "/api/v1/query?query=container_cpu_usage_seconds_total%7Bname%3D%22",
      name, "%22%7D");
  double scraped = -1;
  std::string answer;
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (scraped <= 0 && absl::Now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    absl::StatusOr<std::string> body = HttpGet(query);
    if (!body.ok()) continue;
    answer = *body;
    auto json = nlohmann::json::parse(answer, nullptr, false);
    if (json.is_discarded() || json["status"] != "success") continue;
    for (const auto& sample : json["data"]["result"]) {
      scraped = std::max(scraped, std::stod(sample["value"][1].get<std::string>()));
    }
  }
  EXPECT_GT(scraped, 0) << "Prometheus' last answer: " << answer;

  // berthctl stats --no-stream: the header and the container's row.
  RunResult stats = Ctl({"stats", "--no-stream"});
  ASSERT_EQ(stats.exit_code, 0) << stats.err;
  EXPECT_THAT(stats.out, HasSubstr("CONTAINER ID"));
  EXPECT_THAT(stats.out, HasSubstr("MEM USAGE / LIMIT"));
  EXPECT_THAT(stats.out, ContainsRegex(name + " +[0-9.]+% +[0-9.]+[KMG]?i?B / [0-9.]+[KMG]?i?B"));

  // berthctl events: this run's create, start and die, within --since/--until.
  ASSERT_EQ(Ctl({"rm", "-f", name}).exit_code, 0);
  const absl::Time ended = absl::Now() + absl::Seconds(1);
  RunResult events = Ctl({"events", "--since", absl::StrCat(absl::ToUnixSeconds(began)), "--until",
                          absl::StrCat(absl::ToUnixSeconds(ended) + 1)});
  ASSERT_EQ(events.exit_code, 0) << events.err;
  for (const char* action : {"create", "start", "die"}) {
    EXPECT_THAT(events.out, ContainsRegex(absl::StrCat("container ", action, " [0-9a-f]{64} \\(.*",
                                                       "name=", name)))
        << events.out;
  }
}

}  // namespace
}  // namespace berth::testing
