#include "services/runtime/grpc/container_metrics.h"

#include <prometheus/client_metric.h>
#include <prometheus/histogram.h>
#include <prometheus/metric_family.h>

namespace berth::runtime {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

// Every state berth_containers reports, also when no container is in it.
constexpr const char* kStates[] = {"running", "paused", "exited", "created"};

double Seconds(uint64_t ns) { return static_cast<double>(ns) / 1e9; }

double UnixSeconds(const google::protobuf::Timestamp& t) {
  return static_cast<double>(t.seconds()) + static_cast<double>(t.nanos()) / 1e9;
}

// One family; `value` reads the sample's number for it.
struct FamilySpec {
  const char* name;
  const char* help;
  MetricType type;
  std::function<double(const ContainerSample&)> value;
};

std::vector<FamilySpec> FamilySpecs() {
  return {
      {"container_cpu_usage_seconds_total", "Cumulative cpu time consumed in seconds.",
       MetricType::Counter,
       [](const ContainerSample& s) { return Seconds(s.metrics.cpu().usage_total_ns()); }},
      {"container_cpu_user_seconds_total", "Cumulative user cpu time consumed in seconds.",
       MetricType::Counter,
       [](const ContainerSample& s) { return Seconds(s.metrics.cpu().usage_user_ns()); }},
      {"container_cpu_system_seconds_total", "Cumulative system cpu time consumed in seconds.",
       MetricType::Counter,
       [](const ContainerSample& s) { return Seconds(s.metrics.cpu().usage_system_ns()); }},
      {"container_memory_usage_bytes",
       "Current memory usage in bytes, including all memory regardless of when it was accessed",
       MetricType::Gauge,
       [](const ContainerSample& s) { return double(s.metrics.memory().usage()); }},
      {"container_memory_working_set_bytes", "Current working set in bytes.", MetricType::Gauge,
       [](const ContainerSample& s) { return double(s.metrics.memory().working_set()); }},
      {"container_memory_rss", "Size of RSS in bytes.", MetricType::Gauge,
       [](const ContainerSample& s) { return double(s.metrics.memory().rss()); }},
      {"container_memory_cache", "Number of bytes of page cache memory.", MetricType::Gauge,
       [](const ContainerSample& s) { return double(s.metrics.memory().cache()); }},
      {"container_spec_memory_limit_bytes", "Memory limit for the container.", MetricType::Gauge,
       [](const ContainerSample& s) { return double(s.metrics.memory().spec_limit()); }},
      {"container_processes", "Number of processes running inside the container.",
       MetricType::Gauge,
       [](const ContainerSample& s) { return double(s.metrics.pids().current()); }},
      {"container_start_time_seconds", "Start time of the container since unix epoch in seconds.",
       MetricType::Gauge,
       [](const ContainerSample& s) {
         return absl::ToDoubleSeconds(s.started_at - absl::UnixEpoch());
       }},
      {"container_last_seen", "Last time a container was seen by the exporter", MetricType::Gauge,
       [](const ContainerSample& s) { return UnixSeconds(s.metrics.read_at()); }},
      {"container_oom_events_total", "Count of out of memory events observed for the container",
       MetricType::Counter,
       [](const ContainerSample& s) { return double(s.metrics.memory().oom_events()); }},
  };
}

// One counter per interface of the container's network namespace (cAdvisor's names).
struct InterfaceFamilySpec {
  const char* name;
  const char* help;
  std::function<uint64_t(const types::v1::NetworkInterfaceStats&)> value;
};

std::vector<InterfaceFamilySpec> InterfaceFamilySpecs() {
  using Stats = types::v1::NetworkInterfaceStats;
  return {
      {"container_network_receive_bytes_total", "Cumulative count of bytes received",
       [](const Stats& s) { return s.rx_bytes(); }},
      {"container_network_receive_packets_total", "Cumulative count of packets received",
       [](const Stats& s) { return s.rx_packets(); }},
      {"container_network_receive_errors_total",
       "Cumulative count of errors encountered while receiving",
       [](const Stats& s) { return s.rx_errors(); }},
      {"container_network_receive_packets_dropped_total",
       "Cumulative count of packets dropped while receiving",
       [](const Stats& s) { return s.rx_dropped(); }},
      {"container_network_transmit_bytes_total", "Cumulative count of bytes transmitted",
       [](const Stats& s) { return s.tx_bytes(); }},
      {"container_network_transmit_packets_total", "Cumulative count of packets transmitted",
       [](const Stats& s) { return s.tx_packets(); }},
      {"container_network_transmit_errors_total",
       "Cumulative count of errors encountered while transmitting",
       [](const Stats& s) { return s.tx_errors(); }},
      {"container_network_transmit_packets_dropped_total",
       "Cumulative count of packets dropped while transmitting",
       [](const Stats& s) { return s.tx_dropped(); }},
  };
}

ClientMetric Metric(MetricType type, double value, std::vector<ClientMetric::Label> labels) {
  ClientMetric metric;
  metric.label = std::move(labels);
  if (type == MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  return metric;
}

class ContainerMetricsCollector : public prometheus::Collectable {
 public:
  explicit ContainerMetricsCollector(std::shared_ptr<const ContainerSampleSource> source)
      : source_(std::move(source)) {}

  std::vector<MetricFamily> Collect() const override {
    const std::vector<ContainerSample> samples = source_->SampleRunning();
    std::vector<MetricFamily> out;
    for (const FamilySpec& spec : FamilySpecs()) {
      MetricFamily family{spec.name, spec.help, spec.type, {}};
      for (const ContainerSample& sample : samples) {
        // cAdvisor's label order: id, image, name.
        family.metric.push_back(
            Metric(spec.type, spec.value(sample),
                   {{"id", sample.cgroup_id}, {"image", sample.image}, {"name", sample.name}}));
      }
      out.push_back(std::move(family));
    }
    for (const InterfaceFamilySpec& spec : InterfaceFamilySpecs()) {
      MetricFamily family{spec.name, spec.help, MetricType::Counter, {}};
      for (const ContainerSample& sample : samples) {
        for (const types::v1::NetworkInterfaceStats& interface : sample.metrics.networks()) {
          // cAdvisor's label order: id, image, interface, name.
          family.metric.push_back(Metric(MetricType::Counter,
                                         static_cast<double>(spec.value(interface)),
                                         {{"id", sample.cgroup_id},
                                          {"image", sample.image},
                                          {"interface", interface.name()},
                                          {"name", sample.name}}));
        }
      }
      out.push_back(std::move(family));
    }
    const std::map<std::string, int> counts = source_->CountByState();
    MetricFamily states{"berth_containers", "Containers by state.", MetricType::Gauge, {}};
    for (const char* state : kStates) {
      auto it = counts.find(state);
      states.metric.push_back(
          Metric(MetricType::Gauge, it == counts.end() ? 0 : it->second, {{"state", state}}));
    }
    out.push_back(std::move(states));
    return out;
  }

 private:
  std::shared_ptr<const ContainerSampleSource> source_;
};

}  // namespace

std::shared_ptr<prometheus::Collectable> MakeContainerMetricsCollector(
    std::shared_ptr<const ContainerSampleSource> source) {
  return std::make_shared<ContainerMetricsCollector>(std::move(source));
}

std::function<void(absl::Duration)> RegisterContainerStartHistogram(
    std::shared_ptr<prometheus::Registry> registry) {
  prometheus::Histogram& histogram =
      prometheus::BuildHistogram()
          .Name("berth_container_start_seconds")
          .Help("Time taken to start a container's task, successful starts only.")
          .Register(*registry)
          .Add({}, prometheus::Histogram::BucketBoundaries{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10});
  // The histogram lives in `registry`; the callback holds it.
  return [registry, &histogram](absl::Duration took) {
    histogram.Observe(absl::ToDoubleSeconds(took));
  };
}

}  // namespace berth::runtime
