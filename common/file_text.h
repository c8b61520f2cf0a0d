// Whole (small) files as text: reading /proc files, configuration, PEM material; writing
// state files whole or not at all.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace berth {

// The file's contents; NotFound naming the path when it cannot be opened.
absl::StatusOr<std::string> ReadFileText(const std::string& path);

// Writes `text` to `path` (mode `mode`) through a temporary file beside it and a rename:
// readers see the old file or the new one, never part of one. With `sync` the data is
// fsync'ed before the rename (it must survive a crash).
absl::Status WriteFileAtomically(const std::string& path, absl::string_view text, int mode,
                                 bool sync = false);

}  // namespace berth
