#include "services/network/core/cni_plugins.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "absl/strings/str_join.h"

namespace berth::network {

absl::StatusOr<CniPluginDir> FindCniPluginDir(const std::vector<std::string>& candidates) {
  namespace fs = std::filesystem;
  for (const std::string& dir : candidates) {
    std::string bridge = dir + "/bridge";
    if (::access(bridge.c_str(), X_OK) != 0) continue;
    CniPluginDir found{dir, {}};
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      if (entry.is_regular_file(ec) && ::access(entry.path().c_str(), X_OK) == 0) {
        found.plugins.push_back(entry.path().filename().string());
      }
    }
    std::sort(found.plugins.begin(), found.plugins.end());
    return found;
  }
  return absl::NotFoundError("no CNI bridge plugin in " + absl::StrJoin(candidates, ", ") +
                             " (install containernetworking-plugins)");
}

}  // namespace berth::network
