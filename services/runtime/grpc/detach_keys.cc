#include "services/runtime/grpc/detach_keys.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace berth::runtime {

absl::StatusOr<std::string> ParseDetachKeys(absl::string_view spec) {
  if (spec.empty()) spec = "ctrl-p,ctrl-q";
  if (spec == "none") return std::string();
  std::string keys;
  for (absl::string_view key : absl::StrSplit(spec, ',')) {
    std::string lower = absl::AsciiStrToLower(key);
    if (lower.size() == 1) {
      keys.push_back(key[0]);
      continue;
    }
    const char c = lower.size() == 6 && lower.rfind("ctrl-", 0) == 0 ? lower[5] : 0;
    if ((c >= 'a' && c <= 'z') || c == '@' || c == '[' || c == '\\' || c == ']' || c == '^' ||
        c == '_') {
      keys.push_back(static_cast<char>(c == '@' ? 0 : (c & 0x1f)));
      continue;
    }
    return absl::InvalidArgumentError(absl::StrCat("Invalid detach keys (", spec, ") provided"));
  }
  return keys;
}

bool DetachKeyScanner::Feed(absl::string_view input, std::string& forward) {
  for (char c : input) {
    if (keys_.empty()) {
      forward.push_back(c);
      continue;
    }
    if (c == keys_[matched_]) {
      if (++matched_ == keys_.size()) return true;
      continue;
    }
    forward.append(keys_, 0, matched_);  // held back, but not the sequence after all
    matched_ = 0;
    if (c == keys_[0]) {
      matched_ = 1;
      if (keys_.size() == 1) return true;
    } else {
      forward.push_back(c);
    }
  }
  return false;
}

}  // namespace berth::runtime
