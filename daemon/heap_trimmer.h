// Hands the heap berthd freed back to the kernel once it goes quiet.
#pragma once

#include <condition_variable>
#include <mutex>
#include <thread>

#include "absl/time/time.h"

namespace berth::daemon {

// glibc keeps what a burst of calls freed (a container's create, start and removal touch
// a few MB) for the next burst; an idle daemon holds it for nothing. Every `period` this
// looks at berthd's CPU time: once a period passes with none used after some was, the
// burst is over and malloc_trim(0) returns the free pages. Idle, it only reads a clock.
class HeapTrimmer {
 public:
  explicit HeapTrimmer(absl::Duration period = absl::Seconds(1));
  ~HeapTrimmer();
  HeapTrimmer(const HeapTrimmer&) = delete;
  HeapTrimmer& operator=(const HeapTrimmer&) = delete;

 private:
  void Run(absl::Duration period);

  std::mutex mu_;
  std::condition_variable stop_;
  bool stopping_ = false;
  std::thread thread_;
};

// Before any thread starts: one malloc arena for the whole daemon. glibc gives each
// thread that allocates an arena of its own (up to 8 per core), each holding on to its
// freed memory; berthd's calls are few and short, so they do not contend for one.
void UseOneMallocArena();

}  // namespace berth::daemon
