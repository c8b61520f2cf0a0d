#include "shim/oci/rootfs_setup.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>

namespace berth::oci {
namespace {

// "/proc/self/fd/N" in a caller's buffer: mounting on it acts on what the fd resolved.
struct FdPath {
  char text[40];
  explicit FdPath(int fd) { std::snprintf(text, sizeof(text), "/proc/self/fd/%d", fd); }
};

// Closes an fd at scope exit without allocating.
struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0) ::close(fd);
  }
};

// Splits "/a/b/c" into its parent ("/a/b") and last name ("c") in `buffer`.
bool SplitParent(const char* path, char* buffer, size_t size, const char** parent,
                 const char** name) {
  size_t len = std::strlen(path);
  if (len == 0 || len >= size) return false;
  std::memcpy(buffer, path, len + 1);
  while (len > 1 && buffer[len - 1] == '/') buffer[--len] = '\0';
  char* slash = std::strrchr(buffer, '/');
  if (slash == nullptr) {
    *parent = ".";
    *name = buffer;
  } else if (slash == buffer) {
    *parent = "/";
    *name = slash + 1;
  } else {
    *slash = '\0';
    *parent = buffer;
    *name = slash + 1;
  }
  return **name != '\0';
}

// Creates an empty file at `path` inside the root (the target of a file bind mount).
int EnsureFileInRoot(int root_fd, const char* path) {
  char buffer[PATH_MAX];
  const char* parent;
  const char* name;
  if (!SplitParent(path, buffer, sizeof(buffer), &parent, &name)) return -EINVAL;
  int dir = MkdirAllInRootRaw(root_fd, parent, 0755);
  if (dir < 0) return dir;
  FdCloser close_dir{dir};
  int fd = OpenInRootRaw(root_fd, path, O_CREAT | O_RDONLY | O_NOFOLLOW, 0644);
  if (fd < 0) return fd;
  ::close(fd);
  return 0;
}

// The nosuid, nodev and noexec a mount already has (statvfs of it): a remount keeps
// them, as a user namespace may not clear those its mounts came with.
unsigned long FlagsToKeep(const struct statvfs& vfs) {
  return ((vfs.f_flag & ST_NOSUID) ? MS_NOSUID : 0) | ((vfs.f_flag & ST_NODEV) ? MS_NODEV : 0) |
         ((vfs.f_flag & ST_NOEXEC) ? MS_NOEXEC : 0);
}

// Read-only when asked, and never less strict than the mount already is.
int RemountBind(int fd, unsigned long flags, bool readonly, Syscalls& sys) {
  struct statvfs vfs {};
  if (::fstatvfs(fd, &vfs) == 0) flags |= FlagsToKeep(vfs);
  flags &= kPerMountFlags & ~MS_RDONLY;
  flags |= MS_BIND | MS_REMOUNT | (readonly ? MS_RDONLY : 0);
  return sys.Mount(nullptr, FdPath(fd).text, nullptr, flags, nullptr);
}

int MountStepIn(int root_fd, const MountStep& step, Syscalls& sys, ChildError* error) {
  if (step.refuse_symlink) {
    int existing = OpenInRootRaw(root_fd, step.destination, O_PATH | O_NOFOLLOW);
    if (existing >= 0) {
      struct stat st {};
      bool link = ::fstat(existing, &st) == 0 && S_ISLNK(st.st_mode);
      ::close(existing);
      if (link) return Fail(error, EPERM, "mount destination is a symlink:", step.destination);
    }
  }
  struct stat source {};
  bool file_target = step.bind && ::stat(step.source, &source) == 0 && !S_ISDIR(source.st_mode);
  int rc = file_target ? EnsureFileInRoot(root_fd, step.destination)
                       : MkdirAllInRootRaw(root_fd, step.destination, 0755);
  if (rc < 0) return Fail(error, rc, "creating mount point", step.destination);
  if (!file_target) ::close(rc);

  int target = OpenInRootRaw(root_fd, step.destination, O_PATH | O_CLOEXEC);
  if (target < 0) return Fail(error, target, "resolving mount point", step.destination);
  FdCloser close_target{target};
  // A destination that resolves to the root itself (an image's `/data -> /` symlink)
  // would hide the whole rootfs, /proc and /dev included.
  struct stat target_st {
  }, root_st{};
  if (::fstat(target, &target_st) == 0 && ::fstat(root_fd, &root_st) == 0 &&
      target_st.st_dev == root_st.st_dev && target_st.st_ino == root_st.st_ino) {
    return Fail(error, EINVAL,
                "mount destination resolves to the container's root:", step.destination);
  }
  rc = sys.Mount(step.source, FdPath(target).text, step.fstype, step.flags, step.data);
  if (rc < 0) return Fail(error, rc, "mounting", step.destination);

  if (step.bind_remount_flags == 0) return 0;
  // The new mount is reached by resolving the destination again.
  int mounted = OpenInRootRaw(root_fd, step.destination, O_PATH | O_CLOEXEC);
  if (mounted < 0) return Fail(error, mounted, "reopening mount", step.destination);
  FdCloser close_mounted{mounted};
  rc = RemountBind(mounted, step.bind_remount_flags, (step.bind_remount_flags & MS_RDONLY) != 0,
                   sys);
  if (rc < 0) return Fail(error, rc, "remounting with its options", step.destination);
  return 0;
}

// Propagation and recursive attributes, once whatever goes in the mount is there: they
// then reach the mounts under it too.
int ApplyMountAttributes(int root_fd, const MountStep& step, Syscalls& sys, ChildError* error) {
  if (step.propagation == 0 && step.recursive_attr_set == 0 && step.recursive_attr_clr == 0) {
    return 0;
  }
  int mounted = OpenInRootRaw(root_fd, step.destination, O_PATH | O_CLOEXEC);
  if (mounted < 0) return Fail(error, mounted, "reopening mount", step.destination);
  FdCloser close_mounted{mounted};
  int rc = 0;
  if (step.propagation != 0) {
    rc = sys.Mount(nullptr, FdPath(mounted).text, nullptr, step.propagation, nullptr);
    if (rc < 0) return Fail(error, rc, "setting propagation of", step.destination);
  }
  if (step.recursive_attr_set != 0 || step.recursive_attr_clr != 0) {
    rc = sys.MountSetattr(mounted, /*recursive=*/true, step.recursive_attr_set,
                          step.recursive_attr_clr);
    if (rc < 0) return Fail(error, rc, "setting recursive mount attributes of", step.destination);
  }
  return 0;
}

// Fills a cgroup mount's fresh tmpfs with plan.cgroup_view (made relative to the tmpfs:
// nothing in it could lead elsewhere yet), then makes it read-only when asked.
int PopulateCgroupView(int root_fd, const MountStep& step, const CgroupView& view, Syscalls& sys,
                       ChildError* error) {
  int tmpfs = OpenInRootRaw(root_fd, step.destination, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (tmpfs < 0) return Fail(error, tmpfs, "opening the cgroup mount", step.destination);
  FdCloser close_tmpfs{tmpfs};
  const bool readonly = step.cgroup_view_readonly;
  for (const CgroupView::Bind& bind : view.binds) {
    if (::mkdirat(tmpfs, bind.name, 0755) != 0 && errno != EEXIST) {
      return Fail(error, errno, "creating cgroup directory", bind.name);
    }
    int target = OpenInRootRaw(tmpfs, bind.name, O_PATH | O_DIRECTORY | O_NOFOLLOW);
    if (target < 0) return Fail(error, target, "resolving cgroup directory", bind.name);
    FdCloser close_target{target};
    int rc = sys.Mount(bind.source, FdPath(target).text, nullptr, MS_BIND | MS_REC, nullptr);
    if (rc < 0) return Fail(error, rc, "binding cgroup", bind.source);
    if (!readonly && step.flags == 0) continue;
    // A bind takes no flags: they come with a remount of what was bound.
    int bound = OpenInRootRaw(tmpfs, bind.name, O_PATH | O_DIRECTORY | O_NOFOLLOW);
    if (bound < 0) return Fail(error, bound, "reopening cgroup directory", bind.name);
    FdCloser close_bound{bound};
    rc = RemountBind(bound, step.flags, readonly, sys);
    if (rc < 0) return Fail(error, rc, "remounting cgroup", bind.source);
  }
  for (const CgroupView::Link& link : view.links) {
    int rc = sys.Symlinkat(link.target, tmpfs, link.name);
    if (rc < 0 && rc != -EEXIST) return Fail(error, rc, "creating cgroup link", link.name);
  }
  if (!readonly) return 0;
  int rc = RemountBind(tmpfs, step.flags, /*readonly=*/true, sys);
  if (rc < 0) return Fail(error, rc, "remounting read-only", step.destination);
  return 0;
}

int CreateDevice(int root_fd, const DeviceNode& node, Syscalls& sys, ChildError* error) {
  char buffer[PATH_MAX];
  const char* parent;
  const char* name;
  if (!SplitParent(node.path, buffer, sizeof(buffer), &parent, &name)) {
    return Fail(error, EINVAL, "device path", node.path);
  }
  int dir = MkdirAllInRootRaw(root_fd, parent, 0755);
  if (dir < 0) return Fail(error, dir, "creating directory of device", node.path);
  FdCloser close_dir{dir};
  int rc = sys.Mknodat(dir, name, node.mode, node.dev);
  if (rc == -EEXIST) return 0;
  if (rc == -EPERM && S_ISCHR(node.mode)) {
    // In a user namespace devices cannot be made: bind the host's node instead.
    rc = EnsureFileInRoot(root_fd, node.path);
    if (rc < 0) return Fail(error, rc, "creating device placeholder", node.path);
    int target = OpenInRootRaw(root_fd, node.path, O_PATH | O_CLOEXEC);
    if (target < 0) return Fail(error, target, "resolving device", node.path);
    FdCloser close_target{target};
    rc = sys.Mount(node.path, FdPath(target).text, nullptr, MS_BIND, nullptr);
    if (rc < 0) return Fail(error, rc, "binding host device", node.path);
    return 0;
  }
  if (rc < 0) return Fail(error, rc, "creating device", node.path);
  if (::fchownat(dir, name, node.uid, node.gid, AT_SYMLINK_NOFOLLOW) != 0) {
    return Fail(error, errno, "chown of device", node.path);
  }
  return 0;
}

int PopulateDev(int root_fd, Syscalls& sys, ChildError* error) {
  int dev = OpenInRootRaw(root_fd, "/dev", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dev < 0) return Fail(error, dev, "opening /dev");
  FdCloser close_dev{dev};
  static constexpr const char* kLinks[][2] = {{"/proc/self/fd", "fd"},
                                              {"/proc/self/fd/0", "stdin"},
                                              {"/proc/self/fd/1", "stdout"},
                                              {"/proc/self/fd/2", "stderr"},
                                              {"pts/ptmx", "ptmx"}};
  for (const auto& link : kLinks) {
    int rc = sys.Symlinkat(link[0], dev, link[1]);
    if (rc < 0 && rc != -EEXIST) return Fail(error, rc, "creating /dev link", link[1]);
  }
  return 0;
}

// Masks `path` with a read-only empty tmpfs (directories) or /dev/null (files).
int MaskPath(int root_fd, const char* path, int devnull_fd, Syscalls& sys, ChildError* error) {
  int fd = OpenInRootRaw(root_fd, path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd == -ENOENT) return 0;
  if (fd < 0) return Fail(error, fd, "resolving masked path", path);
  FdCloser close_fd{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Fail(error, errno, "stat of masked path", path);
  if (S_ISLNK(st.st_mode)) return 0;  // nothing to hide behind a link inside the root
  int rc = S_ISDIR(st.st_mode)
               ? sys.Mount("tmpfs", FdPath(fd).text, "tmpfs", MS_RDONLY, "size=0k")
               : sys.Mount(FdPath(devnull_fd).text, FdPath(fd).text, nullptr, MS_BIND, nullptr);
  if (rc < 0) return Fail(error, rc, "masking", path);
  return 0;
}

int ReadonlyPath(int root_fd, const char* path, Syscalls& sys, ChildError* error) {
  int fd = OpenInRootRaw(root_fd, path, O_PATH | O_CLOEXEC);
  if (fd == -ENOENT) return 0;
  if (fd < 0) return Fail(error, fd, "resolving read-only path", path);
  FdCloser close_fd{fd};
  int rc = sys.Mount(FdPath(fd).text, FdPath(fd).text, nullptr, MS_BIND | MS_REC, nullptr);
  if (rc < 0) return Fail(error, rc, "binding read-only path", path);
  int mounted = OpenInRootRaw(root_fd, path, O_PATH | O_CLOEXEC);
  if (mounted < 0) return Fail(error, mounted, "reopening read-only path", path);
  FdCloser close_mounted{mounted};
  rc = sys.Mount(nullptr, FdPath(mounted).text, nullptr,
                 MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                 nullptr);
  if (rc < 0) return Fail(error, rc, "remounting read-only", path);
  return 0;
}

// A /dev/null that really is the null device (char 1:3), or an error.
int OpenVerifiedDevNull(ChildError* error) {
  int fd = ::open("/dev/null", O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return Fail(error, errno, "opening /dev/null");
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3)) {
    ::close(fd);
    return Fail(error, EPERM, "/dev/null is not the null device (char 1:3)");
  }
  return fd;
}

int EnterRoot(const RootfsPlan& plan, int root_fd, bool no_pivot, Syscalls& sys,
              ChildError* error) {
  int rc = sys.Fchdir(root_fd);
  if (rc < 0) return Fail(error, rc, "entering", plan.rootfs);
  if (no_pivot) {
    rc = sys.Mount(plan.rootfs, "/", nullptr, MS_MOVE, nullptr);
    if (rc < 0) return Fail(error, rc, "moving root to /");
    if (::chroot(".") != 0) return Fail(error, errno, "chroot");
  } else {
    // pivot_root(".", ".") stacks the old root on the new one; detach it from there.
    rc = sys.PivotRoot(".", ".");
    if (rc < 0) return Fail(error, rc, "pivot_root to", plan.rootfs);
    rc = sys.Mount(nullptr, ".", nullptr, MS_SLAVE | MS_REC, nullptr);
    if (rc < 0) return Fail(error, rc, "making the old root a slave");
    rc = sys.Umount(".", MNT_DETACH);
    if (rc < 0) return Fail(error, rc, "detaching the old root");
  }
  rc = sys.Chdir("/");
  if (rc < 0) return Fail(error, rc, "chdir /");
  return 0;
}

}  // namespace

int OpenInRootRaw(int root_fd, const char* path, int flags, mode_t mode) {
  open_how how{};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  for (int attempt = 0; attempt < 64; ++attempt) {
    long fd = ::syscall(SYS_openat2, root_fd, path, &how, sizeof(how));
    if (fd >= 0) return static_cast<int>(fd);
    if (errno != EAGAIN && errno != EINTR) return -errno;
  }
  return -EAGAIN;
}

namespace {

// mkdir -p inside the root. A component that is a dangling symlink is followed the way
// resolution in the root reads it, and its target is created (inside the root); `depth`
// bounds the links followed.
int MkdirAllInRootDepth(int root_fd, const char* path, mode_t mode, int depth) {
  if (depth > 40) return -ELOOP;
  char buffer[PATH_MAX];
  size_t len = std::strlen(path);
  if (len >= sizeof(buffer)) return -ENAMETOOLONG;
  std::memcpy(buffer, path, len + 1);
  // Each prefix is resolved from the root again, so a link in the way cannot lead out.
  for (size_t i = 1; i <= len; ++i) {
    if (i != len && buffer[i] != '/') continue;
    char saved = buffer[i];
    buffer[i] = '\0';
    int fd = OpenInRootRaw(root_fd, buffer, O_PATH | O_DIRECTORY);
    if (fd == -ENOENT) {
      const char* parent;
      const char* name;
      char split[PATH_MAX];
      if (!SplitParent(buffer, split, sizeof(split), &parent, &name)) return -EINVAL;
      int parent_fd = OpenInRootRaw(root_fd, parent, O_PATH | O_DIRECTORY);
      if (parent_fd < 0) return parent_fd;
      int rc = ::mkdirat(parent_fd, name, mode);
      int saved_errno = errno;
      char link[PATH_MAX];
      ssize_t link_len = rc != 0 && saved_errno == EEXIST
                             ? ::readlinkat(parent_fd, name, link, sizeof(link) - 1)
                             : -1;
      ::close(parent_fd);
      if (link_len > 0) {
        // A dangling link: create what it points to, relative to its directory.
        link[link_len] = '\0';
        char target[PATH_MAX];
        int n = link[0] == '/' ? std::snprintf(target, sizeof(target), "%s", link)
                               : std::snprintf(target, sizeof(target), "%s/%s", parent, link);
        if (n < 0 || static_cast<size_t>(n) >= sizeof(target)) return -ENAMETOOLONG;
        int made = MkdirAllInRootDepth(root_fd, target, mode, depth + 1);
        if (made < 0) return made;
        ::close(made);
      } else if (rc != 0 && saved_errno != EEXIST) {
        return -saved_errno;
      }
      fd = OpenInRootRaw(root_fd, buffer, O_PATH | O_DIRECTORY);
    }
    buffer[i] = saved;
    if (fd < 0) return fd;
    if (i == len) return fd;
    ::close(fd);
  }
  return OpenInRootRaw(root_fd, "/", O_PATH | O_DIRECTORY);
}

}  // namespace

int MkdirAllInRootRaw(int root_fd, const char* path, mode_t mode) {
  return MkdirAllInRootDepth(root_fd, path, mode, 0);
}

int SetupRootfs(const RootfsPlan& plan, bool no_pivot, Syscalls& sys, ChildError* error,
                BeforePivot before_pivot) {
  int rc = sys.Mount(nullptr, "/", nullptr, plan.rootfs_propagation, nullptr);
  if (rc < 0) return Fail(error, rc, "setting root propagation");
  rc = sys.Mount(plan.rootfs, plan.rootfs, nullptr, MS_BIND | MS_REC, nullptr);
  if (rc < 0) return Fail(error, rc, "binding rootfs onto itself", plan.rootfs);
  int root_fd = ::open(plan.rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0) return Fail(error, errno, "opening rootfs", plan.rootfs);
  FdCloser close_root{root_fd};

  for (const MountStep& step : plan.mounts) {
    if ((rc = MountStepIn(root_fd, step, sys, error)) < 0) return rc;
    if (step.populate_dev && (rc = PopulateDev(root_fd, sys, error)) < 0) return rc;
    if (step.cgroup_view &&
        (rc = PopulateCgroupView(root_fd, step, plan.cgroup_view, sys, error)) < 0) {
      return rc;
    }
    if ((rc = ApplyMountAttributes(root_fd, step, sys, error)) < 0) return rc;
  }
  for (const DeviceNode& node : plan.devices) {
    if ((rc = CreateDevice(root_fd, node, sys, error)) < 0) return rc;
  }
  if (plan.hostname != nullptr) {
    rc = sys.Sethostname(plan.hostname, std::strlen(plan.hostname));
    if (rc < 0) return Fail(error, rc, "sethostname", plan.hostname);
  }
  if (plan.domainname != nullptr) {
    rc = sys.Setdomainname(plan.domainname, std::strlen(plan.domainname));
    if (rc < 0) return Fail(error, rc, "setdomainname", plan.domainname);
  }
  if (before_pivot.call != nullptr && (rc = before_pivot.call(before_pivot.arg, error)) < 0) {
    return rc;
  }
  return EnterRoot(plan, root_fd, no_pivot, sys, error);
}

int FinishRootfs(const RootfsPlan& plan, int root_fd, Syscalls& sys, ChildError* error) {
  int rc = 0;
  if (!plan.masked_paths.empty()) {
    int devnull = OpenVerifiedDevNull(error);
    if (devnull < 0) return devnull;
    FdCloser close_devnull{devnull};
    for (const char* path : plan.masked_paths) {
      if ((rc = MaskPath(root_fd, path, devnull, sys, error)) < 0) return rc;
    }
  }
  for (const char* path : plan.readonly_paths) {
    if ((rc = ReadonlyPath(root_fd, path, sys, error)) < 0) return rc;
  }
  if (plan.readonly_root) {
    struct statvfs vfs {};
    unsigned long keep = ::statvfs("/", &vfs) == 0 ? FlagsToKeep(vfs) : 0;
    rc = sys.Mount(nullptr, "/", nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | keep, nullptr);
    if (rc < 0) return Fail(error, rc, "remounting / read-only");
  }
  return 0;
}

}  // namespace berth::oci
