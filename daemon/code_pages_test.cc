#include "daemon/code_pages.h"

#include <unistd.h>

#include <climits>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "daemon/idle_trimmer.h"
#include "gtest/gtest.h"

namespace berth::daemon {
namespace {

// Resident KiB of this test binary's executable mappings, from /proc/self/smaps.
long ResidentCodeKib() {
  char exe[PATH_MAX] = {};
  const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  if (n <= 0) return -1;
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool in_code = false;
  long kib = 0;
  while (std::getline(smaps, line)) {
    std::vector<std::string> fields = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (fields.size() >= 2 && fields[0].find('-') != std::string::npos && fields[0].back() != ':') {
      in_code = fields.size() >= 6 && fields[1] == "r-xp" && fields[5] == exe;
    } else if (in_code && fields.size() >= 2 && fields[0] == "Rss:") {
      long value = 0;
      if (absl::SimpleAtoi(fields[1], &value)) kib += value;
    }
  }
  return kib;
}

// Written at run time: a dropped page of it would come back as the file's 7.
int g_written = 7;
// Relocated by the loader (RELRO): dropped, it would come back unrelocated.
int Twice(int x) { return 2 * x; }
int Thrice(int x) { return 3 * x; }
const std::function<int(int)> kRelocated[] = {Twice, Thrice};

TEST(DropCodePageMappingsTest, UnmapsResidentCodeAndKeepsWrittenData) {
  g_written = 42;
  std::string heap(1 << 20, 'x');
  ASSERT_GT(ResidentCodeKib(), 0);
  const long before = ResidentCodeKib();

  absl::StatusOr<CodePageDrop> dropped = DropCodePageMappings();
  const long after = ResidentCodeKib();  // this call faults a little back in

  ASSERT_TRUE(dropped.ok()) << dropped.status();
  EXPECT_GT(dropped->segments, 0u);
  EXPECT_GT(dropped->bytes, 0u);
  EXPECT_LT(after, before);
  EXPECT_EQ(g_written, 42);
  EXPECT_EQ(kRelocated[0](5) + kRelocated[1](5), 25);
  EXPECT_EQ(heap.find_first_not_of('x'), std::string::npos);
  std::ostringstream out;  // code not run since the drop still runs
  out << "still " << 1.5;
  EXPECT_EQ(out.str(), "still 1.5");
}

TEST(IdleTrimmerTest, DropsCodeOnceStartUpIsOver) {
  const long before = ResidentCodeKib();
  ASSERT_GT(before, 0);
  IdleTrimmer trimmer(absl::Milliseconds(20));
  long now = before;
  // Reading smaps is work too (a few milliseconds on some kernels): between readings the
  // process must stay quiet for whole trimmer periods, or it never looks idle.
  for (int i = 0; i < 100 && now >= before; ++i) {
    ::usleep(100'000);
    now = ResidentCodeKib();
  }
  EXPECT_LT(now, before);
}

}  // namespace
}  // namespace berth::daemon
