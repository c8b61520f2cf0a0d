// Early-return helpers for absl::Status / absl::StatusOr (Debian's Abseil has none).
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define BERTH_CONCAT_INNER_(a, b) a##b
#define BERTH_CONCAT_(a, b) BERTH_CONCAT_INNER_(a, b)

// Returns the status from the enclosing function when `expr` is not OK.
#define BERTH_RETURN_IF_ERROR(expr)                                                     \
  do {                                                                                  \
    if (absl::Status berth_status_ = (expr); !berth_status_.ok()) return berth_status_; \
  } while (0)

// Declares or assigns `lhs` from the StatusOr `rexpr`, returning its status on error.
#define BERTH_ASSIGN_OR_RETURN(lhs, rexpr) \
  BERTH_ASSIGN_OR_RETURN_IMPL_(BERTH_CONCAT_(berth_statusor_, __LINE__), lhs, rexpr)

#define BERTH_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                 \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = std::move(statusor).value()
