// Gives back what a burst of calls left in berthd's memory once it goes quiet.
#pragma once

#include <condition_variable>
#include <mutex>
#include <thread>

#include "absl/time/time.h"

namespace berth::daemon {

// glibc keeps what a burst of calls freed (a container's create, start and removal touch
// a few MB) for the next burst; an idle daemon holds it for nothing. Every `period` this
// looks at berthd's CPU time: once a period passes with none used after some was, the
// burst is over and malloc_trim(0) returns the free heap pages. Start-up counts as a
// burst, and the first quiet period also drops the code pages start-up mapped
// (DropCodePageMappings): most of them are never run again. Idle, it only reads a clock.
class IdleTrimmer {
 public:
  explicit IdleTrimmer(absl::Duration period = absl::Seconds(1));
  ~IdleTrimmer();
  IdleTrimmer(const IdleTrimmer&) = delete;
  IdleTrimmer& operator=(const IdleTrimmer&) = delete;

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
