// Docker's detach keys: "ctrl-p,ctrl-q" by default; typed on an attached terminal they
// leave the container running and end the attach.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace berth::runtime {

// The bytes of a detach sequence: "" → Docker's default ctrl-p,ctrl-q; "none" → empty (no
// detaching). Each comma-separated key is a single character or "ctrl-<c>" for c in
// a-z, @, [, \, ], ^, _. InvalidArgument otherwise.
absl::StatusOr<std::string> ParseDetachKeys(absl::string_view spec);

// Watches stdin for the sequence, holding back bytes that could start it.
class DetachKeyScanner {
 public:
  explicit DetachKeyScanner(std::string keys) : keys_(std::move(keys)) {}
  // Appends to `forward` what may go to the process; true once the sequence was typed
  // (the bytes before it are in `forward`, the sequence itself is not).
  bool Feed(absl::string_view input, std::string& forward);

 private:
  std::string keys_;
  size_t matched_ = 0;
};

}  // namespace berth::runtime
