#include "services/runtime/core/event_bus.h"

#include <algorithm>

#include "absl/time/clock.h"

namespace berth::runtime {

void EventBus::Publish(RuntimeEvent event) {
  if (event.time == absl::Time()) event.time = absl::Now();
  std::lock_guard lock(mu_);
  history_.push_back(event);
  if (history_.size() > history_limit_) history_.pop_front();
  for (const auto& subscriber : subscribers_) {
    std::lock_guard queue_lock(subscriber->mu_);
    subscriber->queue_.push_back(event);
    subscriber->ready_.notify_one();
  }
}

std::shared_ptr<EventBus::Subscription> EventBus::Subscribe(absl::Time since) {
  auto subscription = std::make_shared<Subscription>();
  std::lock_guard lock(mu_);
  for (const RuntimeEvent& event : history_) {
    if (event.time >= since) subscription->queue_.push_back(event);
  }
  subscribers_.push_back(subscription);
  return subscription;
}

void EventBus::Unsubscribe(const std::shared_ptr<Subscription>& subscription) {
  subscription->Close();
  std::lock_guard lock(mu_);
  subscribers_.erase(std::remove(subscribers_.begin(), subscribers_.end(), subscription),
                     subscribers_.end());
}

std::optional<RuntimeEvent> EventBus::Subscription::Next(absl::Time deadline) {
  std::unique_lock lock(mu_);
  while (queue_.empty() && !closed_) {
    if (deadline == absl::InfiniteFuture()) {
      ready_.wait(lock);
    } else if (ready_.wait_until(lock, absl::ToChronoTime(deadline)) == std::cv_status::timeout) {
      break;
    }
  }
  if (queue_.empty()) return std::nullopt;
  RuntimeEvent event = std::move(queue_.front());
  queue_.pop_front();
  return event;
}

void EventBus::Subscription::Close() {
  std::lock_guard lock(mu_);
  closed_ = true;
  ready_.notify_all();
}

}  // namespace berth::runtime
