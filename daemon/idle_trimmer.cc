#include "daemon/idle_trimmer.h"

#include <malloc.h>
#include <time.h>

#include <chrono>

#include "common/log.h"
#include "daemon/code_pages.h"

namespace berth::daemon {
namespace {

absl::Duration ProcessCpuTime() {
  timespec now{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return absl::DurationFromTimespec(now);
}

// Only once: the code a container's life runs is faulted back in by the next container
// (about 8 ms on a `run --rm`), while start-up's own code is never run again.
void DropStartUpCode() {
  if (absl::StatusOr<CodePageDrop> dropped = DropCodePageMappings(); !dropped.ok()) {
    log::Warn("start-up code pages not dropped", {{"error", dropped.status().ToString()}});
  }
}

}  // namespace

void UseOneMallocArena() { ::mallopt(M_ARENA_MAX, 1); }

IdleTrimmer::IdleTrimmer(absl::Duration period) : thread_([this, period] { Run(period); }) {}

IdleTrimmer::~IdleTrimmer() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  stop_.notify_all();
  thread_.join();
}

void IdleTrimmer::Run(absl::Duration period) {
  absl::Duration seen = ProcessCpuTime();
  bool busy = true;  // start-up
  bool start_up_over = false;
  std::unique_lock lock(mu_);
  while (!stop_.wait_for(lock, absl::ToChronoMilliseconds(period), [this] { return stopping_; })) {
    const absl::Duration now = ProcessCpuTime();
    // Well under a millisecond per period is this thread and gRPC's timers, not work.
    if (now - seen > absl::Milliseconds(2)) {
      busy = true;
    } else if (busy) {
      ::malloc_trim(0);
      if (!start_up_over) DropStartUpCode();
      start_up_over = true;
      busy = false;
    }
    seen = ProcessCpuTime();
  }
}

}  // namespace berth::daemon
