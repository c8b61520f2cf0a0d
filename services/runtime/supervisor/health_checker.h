// Docker's health checks: a container whose spec has a HEALTHCHECK gets its test run
// through its shim every interval (as an exec'd process); status starting → healthy /
// unhealthy after `retries` failures in a row, the last five results kept, and every
// result reported (for the record to keep). One thread per checked container, ended with
// its task.
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
  // Called (from a checker's thread) after every probe with the health it left;
  // `status_changed` when the status is not what it was.
  using OnResult =
      std::function<void(const std::string& id, const v1::Health& health, bool status_changed)>;
  explicit HealthChecker(OnResult on_result) : on_result_(std::move(on_result)) {}
  ~HealthChecker();

  // Starts checking `id` (replacing any earlier checker). `process` is the container's
  // own process (user, env, cwd), which the test runs as. `resumed` is where an earlier
  // runtime's checks of the same task left off; without a status, checks start afresh.
  void Start(const std::string& id, const types::v1::HealthcheckConfig& config,
             std::shared_ptr<shim::ShimClient> shim, oci::Process process,
             v1::Health resumed = v1::Health());
  void Stop(const std::string& id);
  // The current health; unset status when `id` has no checker.
  v1::Health Get(const std::string& id);

  // Docker's reading of a test: the argv to run, or empty for none/NONE.
  static std::vector<std::string> TestArgs(const types::v1::HealthcheckConfig& config);

 private:
  struct Check;
  void Run(std::shared_ptr<Check> check);
  v1::HealthcheckResult Probe(Check& check);

  OnResult on_result_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Check>> checks_;
};

}  // namespace berth::runtime
