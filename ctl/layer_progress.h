// Docker's per-layer progress of a pull or push: one line per layer, rewritten in place
// (with a progress bar while bytes move) on a terminal, one line per change of state
// otherwise.
#pragma once

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "berth/images/v1/transfer.pb.h"

namespace berth::ctl {

class LayerDisplay {
 public:
  explicit LayerDisplay(bool terminal, FILE* out = stdout) : terminal_(terminal), out_(out) {}

  // Shows `layer` as "<id>: <text>"; `moving` adds the progress bar on a terminal.
  void Update(const images::v1::LayerProgress& layer, const std::string& text, bool moving);

 private:
  bool terminal_;
  FILE* out_;
  std::map<std::string, size_t> lines_;
  std::map<std::string, std::string> last_;
  std::vector<std::string> order_;
};

}  // namespace berth::ctl
