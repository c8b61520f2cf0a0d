// Shared by the tests that make real cgroups on this host: the implementations to run
// (the host's layout, and v1 alone on a hybrid host), unique names, forked children.
#pragma once

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/status_matchers.h"
#include "shim/oci/cgroups/cgroup.h"
#include "shim/oci/cgroups/cgroup_layout.h"

namespace berth::oci::testing {

struct Variant {
  std::string name;
  CgroupLayout layout;
};

inline void PrintTo(const Variant& variant, std::ostream* os) { *os << variant.name; }

inline std::vector<Variant> HostVariants() {
  absl::StatusOr<CgroupLayout> layout = DetectCgroupLayout();
  if (!layout.ok()) return {};
  std::string name = layout->VersionName() == "hybrid" ? "hybrid" : "v" + layout->VersionName();
  std::vector<Variant> variants = {{name, *layout}};
  if (layout->version == CgroupLayout::Version::kHybrid) {
    CgroupLayout v1 = *layout;  // the same host seen without its v2 tree
    v1.version = CgroupLayout::Version::kV1;
    v1.unified_mountpoint.clear();
    variants.push_back({"v1_only", v1});
  }
  return variants;
}

inline std::string Join(absl::string_view a, absl::string_view b) {
  return absl::StrCat(absl::StripSuffix(a, "/"), "/", absl::StripPrefix(b, "/"));
}

inline bool DirExists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

inline std::string ReadText(const std::string& path) {
  std::string text;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "<cannot open " + path + ">";
  char buffer[4096];
  ssize_t n;
  while ((n = read(fd, buffer, sizeof(buffer))) > 0) text.append(buffer, static_cast<size_t>(n));
  close(fd);
  return std::string(absl::StripAsciiWhitespace(text));
}

// A forked child that waits until Go() (after the parent placed it in a cgroup), then runs
// `body` and exits with its result. Killed and reaped on destruction.
class Child {
 public:
  explicit Child(const std::function<int()>& body) {
    int go[2];
    if (pipe2(go, O_CLOEXEC) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      close(go[1]);
      char byte;
      if (read(go[0], &byte, 1) != 1) _exit(120);
      _exit(body());
    }
    close(go[0]);
    go_fd_ = go[1];
  }
  ~Child() {
    if (go_fd_ >= 0) close(go_fd_);
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  pid_t pid() const { return pid_; }
  void Go() {
    char byte = 'g';
    ASSERT_EQ(write(go_fd_, &byte, 1), 1);
  }
  // The wait status.
  int Wait() {
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }

 private:
  pid_t pid_ = -1;
  int go_fd_ = -1;
};

// Reaps orphans that came to this process (a child subreaper) until none is left.
inline void ReapOrphans() {
  absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (absl::Now() < deadline) {
    pid_t pid = waitpid(-1, nullptr, WNOHANG);
    if (pid < 0) return;  // ECHILD: none left
    if (pid == 0) absl::SleepFor(absl::Milliseconds(5));
  }
}

class CgroupTest : public ::testing::TestWithParam<Variant> {
 protected:
  static void SetUpTestSuite() { prctl(PR_SET_CHILD_SUBREAPER, 1); }

  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root to make cgroups";
    layout_ = GetParam().layout;
  }

  void TearDown() override {
    ReapOrphans();
    for (const std::string& name : names_) {
      for (const std::string& dir : ExpectedDirs(name)) {
        EXPECT_FALSE(DirExists(dir)) << dir << " is left behind";
      }
    }
  }

  bool v2() const { return layout_.version == CgroupLayout::Version::kV2; }

  // A fresh relative cgroupsPath for this run: berth-test-<pid>-<n>.
  std::string NewName() {
    static int counter = 0;
    names_.push_back(absl::StrCat("berth-test-", getpid(), "-", ++counter));
    return names_.back();
  }

  // Where `controller`'s files for `cgroups_path` must be, worked out here from the layout
  // rather than by the code under test. Empty when the controller is not mounted.
  std::string ControllerDir(absl::string_view controller, const std::string& cgroups_path) const {
    bool absolute = absl::StartsWith(cgroups_path, "/");
    if (v2()) {
      return absolute
                 ? Join(layout_.unified_mountpoint, cgroups_path)
                 : Join(Join(layout_.unified_mountpoint, layout_.unified_own_path), cgroups_path);
    }
    const CgroupHierarchy* h = layout_.FindHierarchy(controller);
    if (h == nullptr) return "";
    return absolute ? Join(h->mountpoint, cgroups_path)
                    : Join(Join(h->mountpoint, h->own_path), cgroups_path);
  }

  std::vector<std::string> ExpectedDirs(const std::string& cgroups_path) const {
    std::vector<std::string> dirs;
    if (!v2()) {
      for (const CgroupHierarchy& h : layout_.v1_hierarchies) {
        dirs.push_back(ControllerDir(h.controllers.front(), cgroups_path));
      }
    }
    if (!layout_.unified_mountpoint.empty()) {
      bool absolute = absl::StartsWith(cgroups_path, "/");
      dirs.push_back(absolute ? Join(layout_.unified_mountpoint, cgroups_path)
                              : Join(Join(layout_.unified_mountpoint, layout_.unified_own_path),
                                     cgroups_path));
    }
    return dirs;
  }

  std::string Read(absl::string_view controller, const std::string& cgroups_path,
                   absl::string_view file) const {
    return ReadText(Join(ControllerDir(controller, cgroups_path), file));
  }

  CgroupLayout layout_;
  std::vector<std::string> names_;
};

}  // namespace berth::oci::testing
