// The runtime's event bus (`docker events`): events are published by the runtime itself
// and forwarded by the other services; subscribers get the history kept in memory since
// a time, then live events. Thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace berth::runtime {

struct RuntimeEvent {
  absl::Time time;
  std::string ns;
  std::string type;    // "container", "image", "network", "volume", "daemon"
  std::string action;  // Docker's: "create", "start", "die", "exec_start: sh"…
  std::string actor_id;
  std::map<std::string, std::string> attributes;  // "name", "image", "exitCode"…
};

class EventBus {
 public:
  // Keeps the last `history` events for subscribers that ask for the past.
  explicit EventBus(size_t history = 1024) : history_limit_(history) {}

  void Publish(RuntimeEvent event);

  // A subscriber's queue. Next() blocks until an event arrives, `deadline` passes or the
  // subscription is closed (both: nullopt).
  class Subscription {
   public:
    std::optional<RuntimeEvent> Next(absl::Time deadline);
    void Close();

   private:
    friend class EventBus;
    std::mutex mu_;
    std::condition_variable ready_;
    std::deque<RuntimeEvent> queue_;
    bool closed_ = false;
  };

  // Live events from now on, preceded by the kept ones at or after `since` (InfiniteFuture:
  // none).
  std::shared_ptr<Subscription> Subscribe(absl::Time since = absl::InfiniteFuture());
  void Unsubscribe(const std::shared_ptr<Subscription>& subscription);

 private:
  std::mutex mu_;
  size_t history_limit_;
  std::deque<RuntimeEvent> history_;
  std::vector<std::shared_ptr<Subscription>> subscribers_;
};

}  // namespace berth::runtime
