// berth-shim's wire format (proto/berth/shim/v1/shim.proto): each frame is a 4-byte
// big-endian length and that many bytes of payload, a serialized Request or Response.
// Shared by the shim (server) and the runtime's ShimClient.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace berth::shim {

inline constexpr uint32_t kMaxFrameBytes = 4u << 20;
inline constexpr size_t kMaxChunkBytes = 1u << 20;  // stdio travels in chunks of this
inline constexpr char kMethodPrefix[] = "/berth.shim.v1.Shim/";

// Appends one frame holding `payload` to `out`.
void AppendFrame(absl::string_view payload, std::string& out);

// Collects bytes as they arrive from a stream socket and cuts them into frames.
class FrameReader {
 public:
  void Append(const char* data, size_t size) { buffer_.append(data, size); }
  // The next whole frame's payload; nullopt until more bytes arrive. A length above
  // kMaxFrameBytes is an error: the connection must be closed.
  absl::StatusOr<std::optional<std::string>> Next();

 private:
  std::string buffer_;
  size_t consumed_ = 0;
};

}  // namespace berth::shim
