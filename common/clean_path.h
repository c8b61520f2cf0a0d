// Lexical path cleaning, for paths inside a container (which are never resolved against
// the host's file system).
#pragma once

#include <string>

#include "absl/strings/string_view.h"

namespace berth {

// An absolute path with "//", "." and ".." resolved lexically (Go's filepath.Clean of
// "/" + path): "/a/../../b/" is "/b".
std::string CleanAbsolutePath(absl::string_view path);

}  // namespace berth
