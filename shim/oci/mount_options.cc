#include "shim/oci/mount_options.h"

#include <sys/mount.h>

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"

namespace berth::oci {
namespace {

struct FlagOption {
  absl::string_view name;
  bool clear;  // the option turns `flag` off
  unsigned long flag;
};

// runc's table (libcontainer/specconv), plus "defaults", which means no change.
constexpr FlagOption kFlagOptions[] = {
    {"acl", false, MS_POSIXACL},
    {"async", true, MS_SYNCHRONOUS},
    {"atime", true, MS_NOATIME},
    {"bind", false, MS_BIND},
    {"defaults", false, 0},
    {"dev", true, MS_NODEV},
    {"diratime", true, MS_NODIRATIME},
    {"dirsync", false, MS_DIRSYNC},
    {"exec", true, MS_NOEXEC},
    {"iversion", false, MS_I_VERSION},
    {"lazytime", false, MS_LAZYTIME},
    {"loud", true, MS_SILENT},
    {"mand", false, MS_MANDLOCK},
    {"noacl", true, MS_POSIXACL},
    {"noatime", false, MS_NOATIME},
    {"nodev", false, MS_NODEV},
    {"nodiratime", false, MS_NODIRATIME},
    {"noexec", false, MS_NOEXEC},
    {"noiversion", true, MS_I_VERSION},
    {"nolazytime", true, MS_LAZYTIME},
    {"nomand", true, MS_MANDLOCK},
    {"norelatime", true, MS_RELATIME},
    {"nostrictatime", true, MS_STRICTATIME},
    {"nosuid", false, MS_NOSUID},
    {"rbind", false, MS_BIND | MS_REC},
    {"relatime", false, MS_RELATIME},
    {"remount", false, MS_REMOUNT},
    {"ro", false, MS_RDONLY},
    {"rw", true, MS_RDONLY},
    {"silent", false, MS_SILENT},
    {"strictatime", false, MS_STRICTATIME},
    {"suid", true, MS_NOSUID},
    {"sync", false, MS_SYNCHRONOUS},
};

struct PropagationOption {
  absl::string_view name;
  unsigned long flags;
};

constexpr PropagationOption kPropagationOptions[] = {
    {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
    {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
};

// runc's recursive options: a MOUNT_ATTR_* flag set (or, with `clear`, cleared).
struct RecursiveAttrOption {
  absl::string_view name;
  bool clear;
  uint64_t attr;
};

constexpr RecursiveAttrOption kRecursiveAttrOptions[] = {
    {"rro", false, MOUNT_ATTR_RDONLY},
    {"rrw", true, MOUNT_ATTR_RDONLY},
    {"rnosuid", false, MOUNT_ATTR_NOSUID},
    {"rsuid", true, MOUNT_ATTR_NOSUID},
    {"rnodev", false, MOUNT_ATTR_NODEV},
    {"rdev", true, MOUNT_ATTR_NODEV},
    {"rnoexec", false, MOUNT_ATTR_NOEXEC},
    {"rexec", true, MOUNT_ATTR_NOEXEC},
    {"rnodiratime", false, MOUNT_ATTR_NODIRATIME},
    {"rdiratime", true, MOUNT_ATTR_NODIRATIME},
    {"rnosymfollow", false, MOUNT_ATTR_NOSYMFOLLOW},
    {"rsymfollow", true, MOUNT_ATTR_NOSYMFOLLOW},
};

// The access time is one setting, not flags: mount_setattr takes it only as a whole
// MOUNT_ATTR__ATIME cleared and one mode set. The options that turn a mode off go back
// to the kernel's default, relatime, as mount(2) does without an atime flag.
struct RecursiveAtimeOption {
  absl::string_view name;
  uint64_t mode;
};

constexpr RecursiveAtimeOption kRecursiveAtimeOptions[] = {
    {"rrelatime", MOUNT_ATTR_RELATIME},       {"rnorelatime", MOUNT_ATTR_RELATIME},
    {"rnoatime", MOUNT_ATTR_NOATIME},         {"ratime", MOUNT_ATTR_RELATIME},
    {"rstrictatime", MOUNT_ATTR_STRICTATIME}, {"rnostrictatime", MOUNT_ATTR_RELATIME},
};

// Options runc knows that need kernel features berth does not drive yet.
constexpr absl::string_view kUnsupported[] = {"tmpcopyup", "idmap", "ridmap"};

// Applies one recursive option to `out`; false when `option` is not one.
bool ApplyRecursiveOption(const std::string& option, MountFlags& out) {
  for (const RecursiveAttrOption& r : kRecursiveAttrOptions) {
    if (r.name != option) continue;
    if (r.clear) {
      out.recursive_attr_set &= ~r.attr;
      out.recursive_attr_clr |= r.attr;
    } else {
      out.recursive_attr_set |= r.attr;
      out.recursive_attr_clr &= ~r.attr;
    }
    return true;
  }
  for (const RecursiveAtimeOption& r : kRecursiveAtimeOptions) {
    if (r.name != option) continue;
    out.recursive_attr_set = (out.recursive_attr_set & ~uint64_t{MOUNT_ATTR__ATIME}) | r.mode;
    out.recursive_attr_clr |= MOUNT_ATTR__ATIME;
    return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<MountFlags> ParseMountOptions(const std::vector<std::string>& options) {
  MountFlags out;
  std::vector<absl::string_view> data;
  for (const std::string& option : options) {
    bool matched = false;
    for (const FlagOption& f : kFlagOptions) {
      if (f.name != option) continue;
      matched = true;
      if (f.clear) {
        out.flags &= ~f.flag;
        out.clear_flags |= f.flag;
      } else {
        out.flags |= f.flag;
        out.clear_flags &= ~f.flag;
      }
      if (f.flag & MS_BIND) {
        out.bind = true;
        out.recursive = out.recursive || (f.flag & MS_REC) != 0;
      }
      break;
    }
    if (matched) continue;
    for (const PropagationOption& p : kPropagationOptions) {
      if (p.name != option) continue;
      matched = true;
      out.propagation = p.flags;
      break;
    }
    if (matched) continue;
    if (ApplyRecursiveOption(option, out)) continue;
    for (absl::string_view unsupported : kUnsupported) {
      if (unsupported == option) {
        return absl::UnimplementedError(
            absl::StrCat("mount option \"", option, "\" is not supported yet"));
      }
    }
    if (option.empty()) continue;
    data.push_back(option);
  }
  out.data = absl::StrJoin(data, ",");
  return out;
}

}  // namespace berth::oci
