// Talking to systemd (PID 1's manager) over D-Bus, for the systemd cgroup driver: start a
// transient unit, change its properties, stop it — each waiting for systemd's job.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "shim/oci/cgroups/systemd_unit.h"

namespace berth::oci {

class SystemdUnits {
 public:
  virtual ~SystemdUnits() = default;

  // StartTransientUnit in "fail" mode; returns once the start job has finished. A unit of
  // that name already loaded is AlreadyExists.
  virtual absl::Status StartTransientUnit(const std::string& unit,
                                          const std::vector<UnitProperty>& properties) = 0;
  // SetUnitProperties for the unit's runtime (not persisted).
  virtual absl::Status SetUnitProperties(const std::string& unit,
                                         const std::vector<UnitProperty>& properties) = 0;
  // StopUnit, waiting for the stop job; a unit systemd no longer has is already stopped.
  // A failed unit's record is reset as well, so that its name can be used again.
  virtual absl::Status StopUnit(const std::string& unit) = 0;
};

// How a systemd cgroup reaches systemd (ConnectToSystemd; a fake in tests).
using SystemdConnector = std::function<absl::StatusOr<std::unique_ptr<SystemdUnits>>()>;

// True when systemd runs as the system's manager (`marker` exists, as sd_booted(3) checks).
bool SystemdIsRunning(const std::string& marker = "/run/systemd/system");

// Connects to systemd: its private socket (/run/systemd/private, root only, no bus daemon
// needed), else the system bus. `timeout` bounds each call and each wait for a job.
absl::StatusOr<std::unique_ptr<SystemdUnits>> ConnectToSystemd(
    absl::Duration timeout = absl::Seconds(30));

}  // namespace berth::oci
