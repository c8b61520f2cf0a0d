// kill, delete, pause and resume.
#include <signal.h>
#include <string.h>

#include <cctype>
#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/signal_names.h"
#include "nlohmann/json.hpp"
#include "shim/berth_oci/commands.h"
#include "shim/oci/cgroups/cgroup.h"

namespace berth::oci::cli {
namespace {
std::string g_log_path;
std::string g_log_format;
}  // namespace

void SetLog(const std::string& path, const std::string& format) {
  g_log_path = path;
  g_log_format = format;
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "berth-oci: %s\n", message.c_str());
  if (!g_log_path.empty()) {
    std::string time = absl::FormatTime(absl::RFC3339_full, absl::Now(), absl::UTCTimeZone());
    std::ofstream log(g_log_path, std::ios::app);
    if (g_log_format == "json") {
      log << nlohmann::json{{"level", "error"}, {"msg", message}, {"time", time}}.dump() << "\n";
    } else {
      log << "time=\"" << time << "\" level=error msg=" << nlohmann::json(message).dump() << "\n";
    }
  }
  return 1;
}

int Fail(const absl::Status& status) { return Fail(std::string(status.message())); }

int Kill(const Globals& g, const std::string& id, const std::string& signal, bool all) {
  ContainerStore store = g.store();
  auto record = store.Load(id);
  if (!record.ok()) return Fail(record.status());
  auto sig = ParseSignal(signal);
  if (!sig.ok()) return Fail(sig.status());
  if (store.StatusOf(*record) == ContainerStatus::kStopped) {
    return Fail("container not running: " + id);
  }
  if (all) {
    auto cgroup = OpenContainerCgroup(*record);
    if (!cgroup.ok()) return Fail(cgroup.status());
    auto s = (*cgroup)->Kill(*sig);
    return s.ok() ? 0 : Fail(s);
  }
  if (::kill(record->pid, *sig) != 0) return Fail(absl::ErrnoToStatus(errno, "kill"));
  return 0;
}

int Delete(const Globals& g, const std::string& id, bool force) {
  ContainerStore store = g.store();
  auto record = store.Load(id);
  if (!record.ok()) return Fail(record.status());
  ContainerStatus status = store.StatusOf(*record);
  if (status != ContainerStatus::kStopped && status != ContainerStatus::kCreated && !force) {
    return Fail("cannot delete container " + id +
                " that is not stopped: " + std::string(ContainerStatusName(status)));
  }
  if (auto cgroup = OpenContainerCgroup(*record); cgroup.ok()) {
    (void)(*cgroup)->Thaw();
    (void)(*cgroup)->Kill(SIGKILL);
    if (auto s = (*cgroup)->Destroy(); !s.ok()) return Fail(s);
  }
  // poststop failures are warnings: the container is gone either way (runtime-spec).
  if (auto s = RunSavedHooks(g, *record, ContainerStatus::kStopped, "poststop"); !s.ok()) {
    Fail("warning: " + std::string(s.message()));
  }
  auto removed = store.Remove(id);
  return removed.ok() ? 0 : Fail(removed);
}

int Pause(const Globals& g, const std::string& id, bool pause) {
  ContainerStore store = g.store();
  auto record = store.Load(id);
  if (!record.ok()) return Fail(record.status());
  ContainerStatus want = pause ? ContainerStatus::kRunning : ContainerStatus::kPaused;
  if (store.StatusOf(*record) != want) {
    return Fail(std::string("container ") + id + " is not " +
                std::string(ContainerStatusName(want)));
  }
  auto cgroup = OpenContainerCgroup(*record);
  if (!cgroup.ok()) return Fail(cgroup.status());
  auto s = pause ? (*cgroup)->Freeze() : (*cgroup)->Thaw();
  return s.ok() ? 0 : Fail(s);
}

}  // namespace berth::oci::cli
