// Docker's events line, JSON message and filters.
#include "ctl/event_format.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace berth::ctl {
namespace {

runtime::v1::Event StartEvent() {
  runtime::v1::Event event;
  event.mutable_time()->set_seconds(1796600495);  // 2026-12-06T23:41:35Z
  event.mutable_time()->set_nanos(534465614);
  event.set_type(runtime::v1::EVENT_TYPE_CONTAINER);
  event.set_action("start");
  event.mutable_actor()->set_id("3a1f");
  (*event.mutable_actor()->mutable_attributes())["name"] = "web";
  (*event.mutable_actor()->mutable_attributes())["image"] = "busybox";
  event.set_scope("local");
  return event;
}

TEST(EventFormatTest, DefaultLineSortsAttributes) {
  EXPECT_EQ(EventLine(StartEvent(), absl::UTCTimeZone()),
            "2026-12-06T23:41:35.534465614Z container start 3a1f (image=busybox, name=web)");
}

TEST(EventFormatTest, DefaultLineIsInLocalTimeAsDockers) {
  EXPECT_EQ(EventLine(StartEvent(), absl::FixedTimeZone(3600)),
            "2026-12-07T00:41:35.534465614+01:00 container start 3a1f (image=busybox, name=web)");
}

TEST(EventFormatTest, JsonMessageHasDockersFields) {
  EXPECT_EQ(RenderEvent(StartEvent(), "{{json .}}"),
            R"({"status":"start","id":"3a1f","from":"busybox","Type":"container",)"
            R"("Action":"start","Actor":{"ID":"3a1f","Attributes":{"image":"busybox",)"
            R"("name":"web"}},"scope":"local","time":1796600495,)"
            R"("timeNano":1796600495534465614})");
}

TEST(EventFormatTest, TemplateFields) {
  EXPECT_EQ(
      RenderEvent(StartEvent(), "{{.Type}} {{.Action}} {{.Actor.ID}} {{.Actor.Attributes.name}}"),
      "container start 3a1f web");
  EXPECT_EQ(RenderEvent(StartEvent(), "{{.status}} {{.from}} {{.time}}"),
            "start busybox 1796600495");
}

TEST(EventFormatTest, FiltersGroupByKey) {
  auto filters = ParseEventFilters({"event=start", "container=web", "event=die"});
  ASSERT_TRUE(filters.ok());
  ASSERT_EQ(filters->size(), 2u);
  EXPECT_EQ((*filters)[0].key(), "event");
  EXPECT_THAT((*filters)[0].values(), ::testing::ElementsAre("start", "die"));
  EXPECT_EQ((*filters)[1].key(), "container");
  EXPECT_FALSE(ParseEventFilters({"nokey"}).ok());
}

}  // namespace
}  // namespace berth::ctl
