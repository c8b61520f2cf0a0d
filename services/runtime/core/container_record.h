// A container record of the runtime service: what a container is (name, image, rootfs
// snapshot, restart policy, the API's spec as opaque bytes) and what it last did (its
// state), as plain structs with no protobuf types. Docker's container model.
#pragma once

#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace berth::runtime {

// Docker's container states.
enum class ContainerStatus { kCreated, kRunning, kPaused, kRestarting, kRemoving, kExited, kDead };

// Docker's lowercase name: "created", "running", "paused", "restarting", "removing",
// "exited", "dead".
absl::string_view ContainerStatusName(ContainerStatus status);
// The inverse of ContainerStatusName; InvalidArgument for anything else.
absl::StatusOr<ContainerStatus> ParseContainerStatus(absl::string_view name);

enum class RestartPolicyName { kNo, kAlways, kOnFailure, kUnlessStopped };

struct RestartPolicy {
  RestartPolicyName name = RestartPolicyName::kNo;
  int max_retries = 0;  // on-failure only; 0: unlimited
  friend bool operator==(const RestartPolicy&, const RestartPolicy&) = default;
};

// Docker's `--restart` values: "no", "always", "on-failure", "on-failure:<n>",
// "unless-stopped"; "" means "no". InvalidArgument with Docker's messages otherwise.
absl::StatusOr<RestartPolicy> ParseRestartPolicy(absl::string_view text);
// The `--restart` form of a policy ("on-failure:3"; a zero count is left out).
std::string RestartPolicyString(const RestartPolicy& policy);
// InvalidArgument, as Docker's daemon says it, unless a retry count goes only with
// on-failure and is not negative.
absl::Status ValidateRestartPolicy(const RestartPolicy& policy);

// What a container last did: Docker's State object, less health.
struct ContainerState {
  ContainerStatus status = ContainerStatus::kCreated;
  int pid = 0;  // 0 unless running or paused
  int exit_code = 0;
  bool oom_killed = false;
  std::string error;                              // why the last start failed
  absl::Time started_at = absl::InfinitePast();   // InfinitePast: never
  absl::Time finished_at = absl::InfinitePast();  // InfinitePast: never
  int restart_count = 0;
  // Docker: an explicit stop disables restarting for unless-stopped/always until the
  // next start.
  bool stopped_by_user = false;
  friend bool operator==(const ContainerState&, const ContainerState&) = default;
};

struct ContainerRecord {
  std::string id;        // 64 lowercase hex
  std::string name;      // no leading '/'
  absl::Time created;    // set by the store
  absl::Time updated;    // set by the store
  std::string image;     // the reference or ID as given
  std::string image_id;  // "sha256:<hex>"
  std::string snapshotter;
  std::string snapshot_key;  // the active snapshot holding the rootfs
  std::map<std::string, std::string> labels;
  RestartPolicy restart_policy;
  std::string spec;    // opaque bytes from the API adapter (a serialized ContainerSpec)
  std::string mounts;  // opaque bytes: the container's resolved mounts (serialized MountPoints)
  // opaque bytes: its task's health check state (serialized Health); "" none yet
  std::string health;
  std::string bundle_dir;
  std::string shim_socket;
  ContainerState state;
  friend bool operator==(const ContainerRecord&, const ContainerRecord&) = default;
};

}  // namespace berth::runtime
