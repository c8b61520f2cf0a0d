// state, list and ps.
#include <cstdio>
#include <iostream>

#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "shim/berth_oci/commands.h"
#include "shim/oci/cgroups/cgroup.h"

namespace berth::oci::cli {

int State(const Globals& g, const std::string& id) {
  ContainerStore store = g.store();
  auto record = store.Load(id);
  if (!record.ok()) return Fail(record.status());
  std::cout << store.StateOf(*record).ToJson() << "\n";
  return 0;
}

int List(const Globals& g, bool quiet, const std::string& format) {
  ContainerStore store = g.store();
  nlohmann::json all = nlohmann::json::array();
  if (!quiet && format != "json") {
    std::printf("%-12s%-10s%-10s%-40s%-38s%s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED",
                "OWNER");
  }
  for (const std::string& id : store.List()) {
    auto record = store.Load(id);
    if (!record.ok()) continue;
    oci::State state = store.StateOf(*record);
    std::string created = absl::FormatTime(absl::RFC3339_full, state.created, absl::UTCTimeZone());
    std::string status(ContainerStatusName(state.status));
    if (quiet) {
      std::printf("%s\n", id.c_str());
    } else if (format == "json") {
      all.push_back(nlohmann::json::parse(state.ToJson()));
    } else {
      std::printf("%-12s%-10d%-10s%-40s%-38s%s\n", id.c_str(), state.pid, status.c_str(),
                  state.bundle.c_str(), created.c_str(), state.owner.c_str());
    }
  }
  if (format == "json" && !quiet) std::cout << all.dump() << "\n";
  return 0;
}

int Ps(const Globals& g, const std::string& id, const std::string& format) {
  ContainerStore store = g.store();
  auto record = store.Load(id);
  if (!record.ok()) return Fail(record.status());
  auto cgroup = OpenContainerCgroup(*record);
  if (!cgroup.ok()) return Fail(cgroup.status());
  std::vector<pid_t> pids = (*cgroup)->Pids();
  if (format == "json") {
    std::cout << nlohmann::json(pids).dump() << "\n";
  } else {
    std::printf("PID\n");
    for (pid_t pid : pids) std::printf("%d\n", pid);
  }
  return 0;
}

}  // namespace berth::oci::cli
