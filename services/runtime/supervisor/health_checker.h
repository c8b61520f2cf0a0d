// Docker's health checks: a container whose spec has a HEALTHCHECK gets its test run
// through its shim every interval (as an exec'd process); status starting → healthy /
// unhealthy after `retries` failures in a row, the last five results kept, and every
// change reported. One thread per checked container, ended with its task.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "berth/runtime/v1/containers.pb.h"
#include "shim/client/shim_client.h"
#include "shim/oci/spec.h"

namespace berth::runtime {

class HealthChecker {
 public:
  // Called (from a checker's thread) when a container's status changes.
  using OnChange = std::function<void(const std::string& id, v1::HealthStatus status)>;
  explicit HealthChecker(OnChange on_change) : on_change_(std::move(on_change)) {}
  ~HealthChecker();

  // Starts checking `id` (replacing any earlier checker). `process` is the container's
  // own process (user, env, cwd), which the test runs as.
  void Start(const std::string& id, const types::v1::HealthcheckConfig& config,
             std::shared_ptr<shim::ShimClient> shim, oci::Process process);
  void Stop(const std::string& id);
  // The current health; unset status when `id` has no checker.
  v1::Health Get(const std::string& id);

  // Docker's reading of a test: the argv to run, or empty for none/NONE.
  static std::vector<std::string> TestArgs(const types::v1::HealthcheckConfig& config);

 private:
  struct Check;
  void Run(std::shared_ptr<Check> check);
  v1::HealthcheckResult Probe(Check& check);

  OnChange on_change_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Check>> checks_;
};

}  // namespace berth::runtime
