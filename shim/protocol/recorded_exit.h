// What a shim leaves in its state dir when its container's init exits (init.exit), so
// that a runtime which finds the shim gone still learns how the container ended.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace berth::shim {

struct RecordedExit {
  uint32_t exit_status = 0;
  absl::Time exited_at;
  bool oom_killed = false;
};

// Written through a temporary file, fsync and rename: whole or absent.
absl::Status RecordExit(const std::string& state_dir, const RecordedExit& exit);
// NotFound when the init has not exited (or the shim died first).
absl::StatusOr<RecordedExit> ReadRecordedExit(const std::string& state_dir);

}  // namespace berth::shim
