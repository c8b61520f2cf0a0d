#include "shim/protocol/frame.h"

#include "absl/strings/str_cat.h"

namespace berth::shim {

void AppendFrame(absl::string_view payload, std::string& out) {
  const uint32_t size = static_cast<uint32_t>(payload.size());
  const char header[4] = {static_cast<char>(size >> 24), static_cast<char>(size >> 16),
                          static_cast<char>(size >> 8), static_cast<char>(size)};
  out.append(header, sizeof(header));
  out.append(payload.data(), payload.size());
}

absl::StatusOr<std::optional<std::string>> FrameReader::Next() {
  const size_t available = buffer_.size() - consumed_;
  if (available < 4) return std::nullopt;
  const auto* p = reinterpret_cast<const unsigned char*>(buffer_.data() + consumed_);
  const uint32_t size =
      (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
  if (size > kMaxFrameBytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("frame of ", size, " bytes is over the limit of ", kMaxFrameBytes));
  }
  if (available - 4 < size) return std::nullopt;
  std::string payload = buffer_.substr(consumed_ + 4, size);
  consumed_ += 4 + size;
  // Drop what was consumed once it is most of the buffer, so it does not grow forever.
  if (consumed_ == buffer_.size() || consumed_ > (64u << 10)) {
    buffer_.erase(0, consumed_);
    consumed_ = 0;
  }
  return payload;
}

}  // namespace berth::shim
