// Where the CNI plugins are: the first configured directory holding a `bridge` plugin.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace berth::network {

struct CniPluginDir {
  std::string path;
  std::vector<std::string> plugins;  // executables found there, sorted
};

absl::StatusOr<CniPluginDir> FindCniPluginDir(const std::vector<std::string>& candidates);

}  // namespace berth::network
