#include "services/images/core/storage_driver.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/file_text.h"

namespace berth::images {

std::string ChooseStorageDriver(const std::string& configured,
                                const std::string& proc_filesystems) {
  if (!configured.empty()) return configured;
  for (absl::string_view line : absl::StrSplit(proc_filesystems, '\n')) {
    if (absl::StripAsciiWhitespace(absl::StripPrefix(line, "nodev")) == "overlay") {
      return kOverlayDriver;
    }
  }
  return kNativeDriver;
}

std::string DetectStorageDriver(const std::string& configured) {
  return ChooseStorageDriver(configured, ReadFileText("/proc/filesystems").value_or(""));
}

}  // namespace berth::images
