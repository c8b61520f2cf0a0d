#include "services/runtime/core/event_bus.h"

#include <gtest/gtest.h>

#include <thread>

#include "absl/time/clock.h"

namespace berth::runtime {
namespace {

RuntimeEvent Event(absl::string_view action, absl::Time time) {
  RuntimeEvent event;
  event.type = "container";
  event.action = std::string(action);
  event.time = time;
  return event;
}

TEST(EventBusTest, ReplaysHistorySinceThenDeliversLiveEvents) {
  EventBus bus(/*history=*/2);
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  bus.Publish(Event("create", t0));
  bus.Publish(Event("start", t0 + absl::Seconds(1)));
  bus.Publish(Event("die", t0 + absl::Seconds(2)));  // pushes "create" out of the history
  auto past = bus.Subscribe(t0);
  EXPECT_EQ(past->Next(absl::Now())->action, "start");
  EXPECT_EQ(past->Next(absl::Now())->action, "die");
  EXPECT_FALSE(past->Next(absl::Now()).has_value());

  auto live = bus.Subscribe();
  std::thread publisher([&] { bus.Publish(Event("destroy", absl::Now())); });
  auto got = live->Next(absl::Now() + absl::Seconds(30));
  publisher.join();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->action, "destroy");
  EXPECT_EQ(past->Next(absl::Now())->action, "destroy");

  bus.Unsubscribe(live);
  EXPECT_FALSE(live->Next(absl::InfiniteFuture()).has_value());  // closed: returns at once
}

}  // namespace
}  // namespace berth::runtime
