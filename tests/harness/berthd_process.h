// A private berthd for one test: own root, state, socket, metrics port and cgroup
// parent under a fresh /tmp directory, stopped by PID and removed afterwards (the
// cgroup parent too, once its containers are gone).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "berth/system/v1/system.grpc.pb.h"
#include "nlohmann/json.hpp"
#include "tests/harness/subprocess.h"

namespace berth::testing {

std::string BerthdPath();
std::string BerthctlPath();

// A directory under /tmp named for this run, removed (recursively) on destruction.
class TestDir {
 public:
  TestDir();
  ~TestDir();
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A name unique to this test process, for resources that share a machine-wide
// namespace (cgroups, bridges, netns): "berth-test-<pid>-<n>".
std::string UniqueName();

struct BerthdOptions {
  std::string name = "berthd";        // sub-directory of the TestDir and log name
  std::vector<std::string> services;  // empty: all four
  std::string socket;                 // empty: <dir>/<name>/<name>.sock
  std::vector<std::string> args;      // extra flags
  std::vector<std::string> env;       // extra environment, "K=V"
  nlohmann::json daemon_json = nlohmann::json::object();  // merged over the harness' own
  bool wait_ready = true;
};

class BerthdProcess {
 public:
  // Starts berthd; with wait_ready, returns once System.Info answers on its socket.
  static absl::StatusOr<std::unique_ptr<BerthdProcess>> Start(const TestDir& dir,
                                                              BerthdOptions options);
  ~BerthdProcess();

  const std::string& socket_path() const { return socket_path_; }
  std::string address() const { return "unix://" + socket_path_; }
  const std::string& root() const { return root_; }
  const std::string& cgroup_parent() const { return cgroup_parent_; }
  // The default network's Linux bridge, this berthd's own.
  const std::string& bridge() const { return bridge_; }
  // daemon.json cni-config-dir: the test's own, not made until a test writes to it.
  const std::string& cni_config_dir() const { return cni_config_dir_; }
  pid_t pid() const { return pid_; }
  std::string Log() const;

  // berthctl -H <this berthd> args…
  RunResult Ctl(std::vector<std::string> args,
                std::chrono::seconds timeout = std::chrono::seconds(60)) const;
  // `berthctl inspect <ref>`'s first object; null when it fails.
  nlohmann::json Inspect(const std::string& ref) const;
  // busybox:latest (MakeBusyboxImage, as a docker-archive in `dir`) loaded; the load.
  RunResult LoadBusybox(const TestDir& dir) const;
  // `rm -f` of every container, with its shim: what a test's TearDown does first.
  void RemoveAllContainers() const;

  // local_only skips asking the peers of a split deployment.
  absl::StatusOr<system::v1::InfoResponse> Info(bool local_only = false) const;
  absl::StatusOr<system::v1::VersionResponse> Version() const;
  // host:port of /metrics, from System.Info.
  absl::StatusOr<std::string> MetricsAddress() const;

  // PIDs of the berth-shim processes serving this berthd's containers (found by their
  // --state-dir under its state dir), also after berthd itself is gone.
  std::vector<pid_t> ShimPids() const;

  // Sends `signal` and reaps; returns the exit code (128+n for a signal).
  int Stop(int signal = 15);
  // Waits for the process to exit on its own; -1 if it is still running after `seconds`.
  int WaitExit(int seconds);

 private:
  BerthdProcess() = default;
  std::string root_, state_, socket_path_, log_path_, cgroup_parent_, bridge_, cni_config_dir_;
  pid_t pid_ = -1;
};

// Builds a busybox image with tests/images/make_busybox_image.py into `out`; `args`
// follow `-o <out>` ("--format", "docker-archive", "--name", …).
RunResult MakeBusyboxImage(const std::string& out, const std::vector<std::string>& args);

// Removes a berth bridge network's Linux bridge, its BERTH-<bridge> chain and the rules
// pointing at the bridge (isolation, masquerade), whatever of them exists.
void RemoveBridgeNetworkRules(const std::string& bridge);

// A TCP port on 127.0.0.1 nothing listens on right now (-1 if none could be had).
int FreeLoopbackPort();

// Body of an HTTP GET to 127.0.0.1 (libcurl); error on a non-200 answer.
absl::StatusOr<std::string> HttpGet(const std::string& url);

// The value of the series `name{labels…}` whose labels include all of `want`
// (e.g. {"grpc_method=\"Version\""}); summed over matches; -1 when none matches.
double MetricValue(const std::string& exposition, const std::string& name,
                   const std::vector<std::string>& want = {});

}  // namespace berth::testing
