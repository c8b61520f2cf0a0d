// Reading a whole (small) file as text: /proc files, configuration, PEM material.
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace berth {

// The file's contents; NotFound naming the path when it cannot be opened.
absl::StatusOr<std::string> ReadFileText(const std::string& path);

}  // namespace berth
