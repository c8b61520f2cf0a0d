#include "ctl/layer_progress.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>

#include "absl/strings/str_format.h"

namespace berth::ctl {
namespace {

// The units of Docker's progress bars: 1.2kB, 3.4MB (powers of 1000).
std::string ProgressSize(int64_t bytes) {
  static const char* kUnits[] = {"B", "kB", "MB", "GB", "TB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1000 && unit < 4) {
    value /= 1000;
    ++unit;
  }
  return absl::StrFormat("%.4g%s", value, kUnits[unit]);
}

std::string ProgressBar(int64_t current, int64_t total) {
  if (total <= 0) return ProgressSize(current);
  const int width = 50;
  int filled = static_cast<int>(width * std::min<int64_t>(current, total) / total);
  std::string bar(width, ' ');
  for (int i = 0; i < filled; ++i) bar[i] = '=';
  if (filled < width) bar[filled] = '>';
  return absl::StrFormat("[%s]  %s/%s", bar, ProgressSize(current), ProgressSize(total));
}

}  // namespace

void LayerDisplay::Update(const images::v1::LayerProgress& layer, const std::string& status,
                          bool moving) {
  std::string text = status;
  auto [it, added] = lines_.try_emplace(layer.id(), order_.size());
  if (added) order_.push_back(layer.id());
  if (!terminal_) {
    // Plain output: one line per change of state, no progress bars.
    if (!added && last_[layer.id()] == text) return;
    last_[layer.id()] = text;
    std::fprintf(out_, "%s: %s\n", layer.id().c_str(), text.c_str());
    return;
  }
  if (moving) text += " " + ProgressBar(layer.current(), layer.total());
  if (added) {
    std::fprintf(out_, "%s: %s\n", layer.id().c_str(), text.c_str());
  } else {
    size_t up = order_.size() - it->second;
    std::fprintf(out_, "\x1b[%zuA\r\x1b[2K%s: %s\r\x1b[%zuB", up, layer.id().c_str(), text.c_str(),
                 up);
  }
  std::fflush(out_);
}

}  // namespace berth::ctl
