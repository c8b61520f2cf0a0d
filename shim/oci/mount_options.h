// fstab-style mount options ("nosuid", "rbind", "mode=755") → mount(2) flags, as runc
// reads them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace berth::oci {

struct MountFlags {
  unsigned long flags = 0;        // MS_* to set (MS_RDONLY, MS_NOSUID, MS_BIND, MS_REC, ...)
  unsigned long clear_flags = 0;  // MS_* an option turned off ("rw", "suid"), for remounts
  unsigned long propagation = 0;  // MS_SHARED/SLAVE/PRIVATE/UNBINDABLE, with MS_REC for r*
  // The recursive options ("rro", "rnoexec", "rnoatime", ...): MOUNT_ATTR_* to set and to
  // clear with mount_setattr(AT_RECURSIVE), on the mount and every mount under it.
  uint64_t recursive_attr_set = 0;
  uint64_t recursive_attr_clr = 0;
  std::string data;        // the options the filesystem reads, comma-joined
  bool bind = false;       // "bind" or "rbind"
  bool recursive = false;  // "rbind"
  bool operator==(const MountFlags&) const = default;
};

// Later options override earlier ones ("ro,rw" is read-write, "rnoexec,rexec" clears
// noexec); the last propagation option and the last recursive access-time option win, as
// runc applies them in order. Options berth recognises but cannot honour yet (tmpcopyup,
// idmap, ridmap) are Unimplemented; anything unrecognised is filesystem data.
absl::StatusOr<MountFlags> ParseMountOptions(const std::vector<std::string>& options);

}  // namespace berth::oci
