// 200 create/start/exec/stop/rm cycles against a private berthd leave nothing behind:
// berthd's fds, threads and RSS, the mount table, the containers' cgroups and the shim
// processes are back to where they were.
#include <dirent.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "tests/harness/berthd_process.h"
#include "tests/harness/berthd_test.h"
#include "tests/harness/subprocess.h"

namespace berth::testing {
namespace {

constexpr int kCycles = 200;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

int CountEntries(const std::string& dir) {
  int n = 0;
  std::error_code error;
  for (auto it = std::filesystem::directory_iterator(dir, error);
       !error && it != std::filesystem::directory_iterator(); it.increment(error)) {
    ++n;
  }
  return n;
}

int64_t RssKiB(pid_t pid) {
  for (absl::string_view line :
       absl::StrSplit(ReadFile("/proc/" + std::to_string(pid) + "/status"), '\n')) {
    if (absl::ConsumePrefix(&line, "VmRSS:")) {
      int64_t kib = 0;
      absl::SimpleAtoi(
          absl::StripAsciiWhitespace(absl::StripSuffix(absl::StripAsciiWhitespace(line), "kB")),
          &kib);
      return kib;
    }
  }
  return -1;
}

// Lines of the mount table naming `needle`.
int MountsNaming(const std::string& needle) {
  int n = 0;
  for (absl::string_view line : absl::StrSplit(ReadFile("/proc/self/mountinfo"), '\n')) {
    if (absl::StrContains(line, needle)) ++n;
  }
  return n;
}

// Container cgroups under this berthd's cgroup parent, in every hierarchy.
int ContainerCgroups(const std::string& parent) {
  int n = 0;
  for (const auto& hierarchy : std::filesystem::directory_iterator("/sys/fs/cgroup")) {
    std::error_code error;
    for (auto it = std::filesystem::recursive_directory_iterator(hierarchy.path(), error);
         !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
      if (!it->is_directory()) continue;
      if (it->path().filename() == parent) {
        n += CountEntries(it->path()) > 0
                 ? static_cast<int>(std::count_if(std::filesystem::directory_iterator(it->path()),
                                                  std::filesystem::directory_iterator(),
                                                  [](const auto& e) { return e.is_directory(); }))
                 : 0;
        it.disable_recursion_pending();
      }
      if (it.depth() > 4) it.disable_recursion_pending();
    }
  }
  return n;
}

struct Snapshot {
  int fds, threads, mounts, shims, cgroups;
  int64_t rss_kib;
};

class LifecycleLeakTest : public BerthdTest {
 protected:
  // A cycle that failed half-way leaves its container: BerthdTest's TearDown removes it,
  // with its shim.
  RunResult Ctl(std::vector<std::string> args) { return berthd_->Ctl(std::move(args)); }

  Snapshot Take() {
    const std::string proc = "/proc/" + std::to_string(berthd_->pid());
    return Snapshot{CountEntries(proc + "/fd"),
                    CountEntries(proc + "/task"),
                    MountsNaming(dir_.path()),
                    static_cast<int>(berthd_->ShimPids().size()),
                    ContainerCgroups(berthd_->cgroup_parent()),
                    RssKiB(berthd_->pid())};
  }

  // One container's whole life; false (with the failing output in `why`) on a failure.
  bool Cycle(int i, std::string* why) {
    const std::string name = "cycle" + std::to_string(i);
    for (std::vector<std::string> args :
         {std::vector<std::string>{"run", "-d", "--name", name, "busybox", "sh", "-c",
                                   "trap 'exit 0' TERM; while true; do sleep 0.05; done"},
          {"exec", name, "true"},
          {"stop", "-t", "5", name},
          {"rm", name}}) {
      RunResult result = Ctl(args);
      if (result.exit_code != 0) {
        *why = args[0] + " " + name + ": " + result.err;
        return false;
      }
    }
    return true;
  }
};

TEST_F(LifecycleLeakTest, TwoHundredCyclesLeaveNothingBehind) {
  std::string why;
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(Cycle(i, &why)) << why;  // warm up caches and pools
  const Snapshot before = Take();
  for (int i = 5; i < 5 + kCycles; ++i) ASSERT_TRUE(Cycle(i, &why)) << why;
  // A shim ends just after answering Shutdown, and a berthctl's connection just after
  // its call: give what is on its way out a moment.
  Snapshot after = Take();
  for (int i = 0; i < 50 && (after.shims > 0 || after.fds > before.fds); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    after = Take();
  }
  EXPECT_EQ(Ctl({"ps", "-aq"}).out, "");
  // Fewer is no leak: `before` may still hold the closing connection of the last berthctl.
  EXPECT_LE(after.fds, before.fds);
  EXPECT_LE(after.threads, before.threads + 2);  // gRPC's pool may keep a spare
  EXPECT_EQ(after.mounts, before.mounts);
  EXPECT_EQ(after.shims, 0);
  EXPECT_EQ(after.cgroups, 0);
  // The allocator keeps some pages; a leak of even 1 KiB a cycle would show past this.
  EXPECT_LE(after.rss_kib, before.rss_kib + 4096)
      << "berthd RSS " << before.rss_kib << " KiB -> " << after.rss_kib << " KiB";
  std::cout << "berthd after " << kCycles << " cycles: fds " << before.fds << " -> " << after.fds
            << ", threads " << before.threads << " -> " << after.threads << ", RSS "
            << before.rss_kib << " -> " << after.rss_kib << " KiB\n";
}

}  // namespace
}  // namespace berth::testing
