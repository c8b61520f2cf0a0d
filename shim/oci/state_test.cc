#include "shim/oci/state.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/status_matchers.h"

namespace berth::oci {
namespace {

using ::berth::testing::IsOkAndHolds;
using ::berth::testing::StatusIs;
using ::testing::HasSubstr;

constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;

State Running() {
  State s;
  s.oci_version = "1.2.0";
  s.id = "web";
  s.status = ContainerStatus::kRunning;
  s.pid = 4242;
  s.bundle = "/run/berth/runtime/web";
  s.rootfs = "/run/berth/runtime/web/rootfs";
  s.created = absl::FromUnixNanos(1700000000123456700);
  return s;
}

// `runc state web` for the same container.
constexpr absl::string_view kRuncState = R"({
  "ociVersion": "1.2.0",
  "id": "web",
  "pid": 4242,
  "status": "running",
  "bundle": "/run/berth/runtime/web",
  "rootfs": "/run/berth/runtime/web/rootfs",
  "created": "2023-11-14T22:13:20.1234567Z",
  "owner": ""
})";

TEST(StateTest, MatchesRuncState) { EXPECT_EQ(Running().ToJson(), kRuncState); }

TEST(StateTest, AnnotationsComeBeforeOwner) {
  State s = Running();
  s.status = ContainerStatus::kStopped;
  s.pid = 0;
  s.created = absl::FromUnixSeconds(1700000000);
  s.owner = "alice";
  s.annotations = {{"org.example/b", "<2>"}, {"org.example/a", "x&y"}};
  EXPECT_EQ(s.ToJson(), R"({
  "ociVersion": "1.2.0",
  "id": "web",
  "pid": 0,
  "status": "stopped",
  "bundle": "/run/berth/runtime/web",
  "rootfs": "/run/berth/runtime/web/rootfs",
  "created": "2023-11-14T22:13:20Z",
  "annotations": {
    "org.example/a": "x\u0026y",
    "org.example/b": "\u003c2\u003e"
  },
  "owner": "alice"
})");
  EXPECT_THAT(State::FromJson(s.ToJson()), IsOkAndHolds(s));
}

TEST(StateTest, RoundTripsEveryStatus) {
  for (ContainerStatus status :
       {ContainerStatus::kCreating, ContainerStatus::kCreated, ContainerStatus::kRunning,
        ContainerStatus::kStopped, ContainerStatus::kPaused}) {
    State s = Running();
    s.status = status;
    EXPECT_THAT(State::FromJson(s.ToJson()), IsOkAndHolds(s)) << ContainerStatusName(status);
    EXPECT_THAT(ParseContainerStatus(ContainerStatusName(status)), IsOkAndHolds(status));
  }
  EXPECT_EQ(ContainerStatusName(ContainerStatus::kCreating), "creating");
  EXPECT_EQ(ContainerStatusName(ContainerStatus::kPaused), "paused");
}

TEST(StateTest, ReadsTheRuntimeSpecShape) {
  absl::StatusOr<State> s = State::FromJson(R"({
    "ociVersion": "1.0.2", "id": "c1", "status": "created", "pid": 7,
    "bundle": "/b", "annotations": {"k": "v"}
  })");
  BERTH_ASSERT_OK(s);
  EXPECT_EQ(s->id, "c1");
  EXPECT_EQ(s->status, ContainerStatus::kCreated);
  EXPECT_EQ(s->pid, 7);
  EXPECT_EQ(s->bundle, "/b");
  EXPECT_EQ(s->rootfs, "");
  EXPECT_EQ(s->created, absl::UnixEpoch());
  EXPECT_EQ(s->annotations.at("k"), "v");
}

TEST(StateTest, ReadsOtherOffsets) {
  absl::StatusOr<State> s = State::FromJson(R"({"ociVersion": "1.2.0", "id": "c",
      "status": "running", "bundle": "/b", "created": "2023-11-15T00:13:20.5+02:00"})");
  BERTH_ASSERT_OK(s);
  EXPECT_EQ(s->created, absl::FromUnixMillis(1700000000500));
}

TEST(StateTest, Errors) {
  EXPECT_THAT(State::FromJson("[]"), StatusIs(kInvalid, HasSubstr("must be an object")));
  EXPECT_THAT(State::FromJson("{"), StatusIs(kInvalid, HasSubstr("invalid JSON")));
  EXPECT_THAT(State::FromJson(R"({"ociVersion": "1.2.0", "status": "running", "bundle": "/b"})"),
              StatusIs(kInvalid, "id: is required"));
  EXPECT_THAT(State::FromJson(R"({"ociVersion": "1.2.0", "id": "c", "status": "sleeping",
                                  "bundle": "/b"})"),
              StatusIs(kInvalid, "status: unknown container status \"sleeping\""));
  EXPECT_THAT(State::FromJson(R"({"ociVersion": "1.2.0", "id": "c", "status": "running",
                                  "bundle": "/b", "pid": "12"})"),
              StatusIs(kInvalid, HasSubstr("pid: must be an integer")));
  EXPECT_THAT(State::FromJson(R"({"ociVersion": "1.2.0", "id": "c", "status": "running",
                                  "bundle": "/b", "created": "yesterday"})"),
              StatusIs(kInvalid, HasSubstr("created: not an RFC 3339 time")));
}

}  // namespace
}  // namespace berth::oci
