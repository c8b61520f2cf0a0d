// GoogleTest matchers for absl::Status and absl::StatusOr.
#pragma once

#include <gmock/gmock.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace berth::testing {

inline const absl::Status& GetStatus(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& s) {
  return s.status();
}

// EXPECT_THAT(Foo(), StatusIs(absl::StatusCode::kNotFound, HasSubstr("layer")));
MATCHER_P2(StatusIs, code, message_matcher, "has status code " + ::testing::PrintToString(code)) {
  const absl::Status& status = GetStatus(arg);
  if (status.code() != code) {
    *result_listener << "status is " << status;
    return false;
  }
  return ::testing::ExplainMatchResult(message_matcher, std::string(status.message()),
                                       result_listener);
}

// EXPECT_THAT(Foo(), StatusIs(absl::StatusCode::kNotFound)) — any message.
inline auto StatusIs(absl::StatusCode code) { return StatusIs(code, ::testing::_); }

MATCHER(IsOk, "is OK") {
  const absl::Status& status = GetStatus(arg);
  if (!status.ok()) *result_listener << "status is " << status;
  return status.ok();
}

// EXPECT_THAT(stmt.Step(), IsOkAndHolds(true));
MATCHER_P(IsOkAndHolds, value_matcher, "is OK and holds a matching value") {
  if (!arg.ok()) {
    *result_listener << "status is " << arg.status();
    return false;
  }
  return ::testing::ExplainMatchResult(value_matcher, *arg, result_listener);
}

}  // namespace berth::testing

#define BERTH_ASSERT_OK(expr) ASSERT_THAT((expr), ::berth::testing::IsOk())
#define BERTH_EXPECT_OK(expr) EXPECT_THAT((expr), ::berth::testing::IsOk())
