// The CNI configurations an operator (or Kubernetes tooling) puts in a directory,
// /etc/cni/net.d by default, read as libcni does: files ending .conflist, .conf or
// .json in name order; a .conf/.json file holds one plugin and becomes a one-plugin
// list. berth runs them for callers that name no berth network (the CRI adapter), and
// for `--network cni:<name>`.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace berth::network {

// A network reference naming a conflist of the directory: "cni:<name>", or "cni:" for
// the directory's default (the first valid file, containerd's choice).
inline constexpr char kCniNetworkPrefix[] = "cni:";

struct CniConfigFile {
  std::string path;
  std::string name;         // the conflist's "name"
  nlohmann::json conflist;  // always the list form, with "plugins"
};

// A conflist as the CNI spec requires it: cniVersion, a name, a non-empty plugins array
// of objects each with a type; a single-plugin config wrapped into a list.
absl::StatusOr<nlohmann::json> ParseCniConfig(absl::string_view text, bool single_plugin);

class CniConfigDir {
 public:
  explicit CniConfigDir(std::string dir) : dir_(std::move(dir)) {}

  // Every valid file in order; invalid ones are listed in `skipped` with the reason.
  std::vector<CniConfigFile> Load(std::vector<std::string>* skipped = nullptr) const;
  // The conflist named `name`, or the first one for "". NotFound names the directory
  // and, when a file was skipped, why.
  absl::StatusOr<CniConfigFile> Find(absl::string_view name) const;

  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

}  // namespace berth::network
