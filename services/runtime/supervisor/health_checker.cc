#include "services/runtime/supervisor/health_checker.h"

#include <signal.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "berth/shim/v1/shim.pb.h"
#include "services/runtime/core/container_names.h"
#include "shim/protocol/proto_time.h"

namespace berth::runtime {
namespace {

constexpr size_t kMaxOutput = 4096;
constexpr int kLogLength = 5;

absl::Duration Or(const google::protobuf::Duration& d, absl::Duration fallback) {
  const absl::Duration given = absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
  return given > absl::ZeroDuration() ? given : fallback;
}

}  // namespace

struct HealthChecker::Check {
  std::string id;
  types::v1::HealthcheckConfig config;
  std::shared_ptr<shim::ShimClient> shim;
  oci::Process process;
  std::mutex mu;
  std::condition_variable stop_cv;
  bool stopping = false;
  v1::Health health;  // guarded by mu
  std::thread thread;
};

std::vector<std::string> HealthChecker::TestArgs(const types::v1::HealthcheckConfig& config) {
  const auto& test = config.test();
  if (test.empty() || test[0] == "NONE") return {};
  if (test[0] == "CMD-SHELL" && test.size() >= 2) return {"/bin/sh", "-c", test[1]};
  if (test[0] == "CMD") return std::vector<std::string>(test.begin() + 1, test.end());
  return {"/bin/sh", "-c", test[0]};  // a bare string is a shell command, as Docker
}

HealthChecker::~HealthChecker() {
  std::map<std::string, std::shared_ptr<Check>> checks;
  {
    std::lock_guard lock(mu_);
    checks.swap(checks_);
  }
  for (auto& [id, check] : checks) {
    {
      std::lock_guard lock(check->mu);
      check->stopping = true;
    }
    check->stop_cv.notify_all();
    if (check->thread.joinable()) check->thread.join();
  }
}

void HealthChecker::Start(const std::string& id, const types::v1::HealthcheckConfig& config,
                          std::shared_ptr<shim::ShimClient> shim, oci::Process process,
                          v1::Health resumed) {
  if (TestArgs(config).empty()) return;
  Stop(id);
  auto check = std::make_shared<Check>();
  check->id = id;
  check->config = config;
  check->shim = std::move(shim);
  check->process = std::move(process);
  check->health = std::move(resumed);
  if (check->health.status() == v1::HEALTH_STATUS_UNSPECIFIED) {
    check->health.Clear();
    check->health.set_status(v1::HEALTH_STATUS_STARTING);
  }
  {
    std::lock_guard lock(mu_);
    checks_[id] = check;
  }
  check->thread = std::thread([this, check] { Run(check); });
}

void HealthChecker::Stop(const std::string& id) {
  std::shared_ptr<Check> check;
  {
    std::lock_guard lock(mu_);
    auto it = checks_.find(id);
    if (it == checks_.end()) return;
    check = it->second;
    checks_.erase(it);
  }
  {
    std::lock_guard lock(check->mu);
    check->stopping = true;
  }
  check->stop_cv.notify_all();
  if (check->thread.joinable()) {
    if (check->thread.get_id() == std::this_thread::get_id()) {
      check->thread.detach();
    } else {
      check->thread.join();
    }
  }
}

v1::Health HealthChecker::Get(const std::string& id) {
  std::shared_ptr<Check> check;
  {
    std::lock_guard lock(mu_);
    auto it = checks_.find(id);
    if (it == checks_.end()) return v1::Health();
    check = it->second;
  }
  std::lock_guard lock(check->mu);
  return check->health;
}

void HealthChecker::Run(std::shared_ptr<Check> check) {
  const absl::Duration interval = Or(check->config.interval(), absl::Seconds(30));
  const absl::Duration start_period = Or(check->config.start_period(), absl::ZeroDuration());
  const int retries = check->config.retries() > 0 ? check->config.retries() : 3;
  const absl::Time started = absl::Now();
  for (;;) {
    {
      std::unique_lock lock(check->mu);
      if (check->stop_cv.wait_for(lock,
                                  std::chrono::nanoseconds(absl::ToInt64Nanoseconds(interval)),
                                  [&] { return check->stopping; })) {
        return;
      }
    }
    v1::HealthcheckResult result = Probe(*check);
    v1::Health after;
    bool changed = false;
    {
      std::lock_guard lock(check->mu);
      if (check->stopping) return;
      v1::Health& health = check->health;
      *health.add_log() = result;
      if (health.log_size() > kLogLength) health.mutable_log()->DeleteSubrange(0, 1);
      const v1::HealthStatus before = health.status();
      if (result.exit_code() == 0) {
        health.set_failing_streak(0);
        health.set_status(v1::HEALTH_STATUS_HEALTHY);
      } else if (absl::Now() - started >= start_period || before != v1::HEALTH_STATUS_STARTING) {
        // Failures in the start period do not count, as Docker.
        health.set_failing_streak(health.failing_streak() + 1);
        if (health.failing_streak() >= retries) health.set_status(v1::HEALTH_STATUS_UNHEALTHY);
      }
      changed = health.status() != before;
      after = health;
    }
    if (on_result_) on_result_(check->id, after, changed);
  }
}

v1::HealthcheckResult HealthChecker::Probe(Check& check) {
  v1::HealthcheckResult result;
  const absl::Time start = absl::Now();
  shim::ToProtoTime(start, result.mutable_start());
  const absl::Duration timeout = Or(check.config.timeout(), absl::Seconds(30));
  const std::string exec_id = absl::StrCat("health-", NewContainerId().substr(0, 16));
  oci::Process process = check.process;
  process.args = TestArgs(check.config);
  process.terminal = false;
  process.console_size.reset();
  auto fail = [&](const std::string& message) {
    result.set_exit_code(-1);
    result.set_output(message.substr(0, kMaxOutput));
    shim::ToProtoTime(absl::Now(), result.mutable_end());
    return result;
  };
  shim::v1::ExecProcessRequest exec;
  exec.set_id(check.id);
  exec.set_exec_id(exec_id);
  exec.set_process(oci::SerializeProcess(process));
  if (absl::Status s = check.shim->Call("Exec", exec, nullptr); !s.ok()) {
    return fail(std::string(s.message()));
  }
  shim::v1::AttachIORequest attach;
  attach.set_id(check.id);
  attach.set_exec_id(exec_id);
  attach.set_stdout(true);
  attach.set_stderr(true);
  auto output = check.shim->Stream("Attach", attach);
  shim::v1::StartRequest start_request;
  start_request.set_id(check.id);
  start_request.set_exec_id(exec_id);
  absl::Status started = output.ok() ? (*output)->Next(absl::Seconds(5)).status() : output.status();
  if (started.ok()) started = check.shim->Call("Start", start_request, nullptr);
  std::string text;
  bool timed_out = false;
  if (started.ok()) {
    const absl::Time deadline = absl::Now() + timeout;
    for (;;) {
      auto next = (*output)->Next(std::max(absl::ZeroDuration(), deadline - absl::Now()));
      if (absl::IsDeadlineExceeded(next.status())) {
        timed_out = true;
        break;
      }
      if (!next.ok() || !next->has_value()) break;
      shim::v1::IOChunk chunk;
      if (chunk.ParseFromString(**next) && text.size() < kMaxOutput) text += chunk.data();
    }
  }
  if (timed_out) {
    shim::v1::KillRequest kill;
    kill.set_id(check.id);
    kill.set_exec_id(exec_id);
    kill.set_signal(SIGKILL);
    check.shim->Call("Kill", kill, nullptr).IgnoreError();
  }
  shim::v1::WaitRequest wait;
  wait.set_id(check.id);
  wait.set_exec_id(exec_id);
  auto waited = started.ok()
                    ? check.shim->Call<shim::v1::WaitResponse>("Wait", wait, absl::Seconds(10))
                    : absl::StatusOr<shim::v1::WaitResponse>(started);
  shim::v1::DeleteRequest remove;
  remove.set_id(check.id);
  remove.set_exec_id(exec_id);
  check.shim->Call("Delete", remove, nullptr).IgnoreError();
  if (timed_out) {
    return fail(
        absl::StrCat("Health check exceeded timeout (", absl::FormatDuration(timeout), ")"));
  }
  if (!waited.ok()) return fail(std::string(waited.status().message()));
  result.set_exit_code(static_cast<int32_t>(waited->exit_status()));
  result.set_output(text.substr(0, kMaxOutput));
  shim::ToProtoTime(absl::Now(), result.mutable_end());
  return result;
}

}  // namespace berth::runtime
