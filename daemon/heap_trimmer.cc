#include "daemon/heap_trimmer.h"

#include <malloc.h>
#include <time.h>

#include <chrono>

namespace berth::daemon {
namespace {

absl::Duration ProcessCpuTime() {
  timespec now{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return absl::DurationFromTimespec(now);
}

}  // namespace

void UseOneMallocArena() { ::mallopt(M_ARENA_MAX, 1); }

HeapTrimmer::HeapTrimmer(absl::Duration period) : thread_([this, period] { Run(period); }) {}

HeapTrimmer::~HeapTrimmer() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  stop_.notify_all();
  thread_.join();
}

void HeapTrimmer::Run(absl::Duration period) {
  absl::Duration seen = ProcessCpuTime();
  bool busy = false;
  std::unique_lock lock(mu_);
  while (!stop_.wait_for(lock, absl::ToChronoMilliseconds(period), [this] { return stopping_; })) {
    const absl::Duration now = ProcessCpuTime();
    // Well under a millisecond per period is this thread and gRPC's timers, not work.
    if (now - seen > absl::Milliseconds(2)) {
      busy = true;
    } else if (busy) {
      ::malloc_trim(0);
      busy = false;
    }
    seen = ProcessCpuTime();
  }
}

}  // namespace berth::daemon
