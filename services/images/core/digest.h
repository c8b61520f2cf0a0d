// Content digests ("sha256:<64 hex>") and an incremental SHA-256 over OpenSSL.
#pragma once

#include <openssl/sha.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace berth::images {

// A validated digest. Only sha256 is accepted: it is what every registry and image
// format in use writes, and refusing the rest keeps "equal digests" meaning "equal bytes".
class Digest {
 public:
  // Parses "sha256:<64 lowercase hex>"; anything else is InvalidArgument naming the input.
  static absl::StatusOr<Digest> Parse(absl::string_view text);
  // From 32 raw digest bytes.
  static Digest FromSha256Bytes(absl::Span<const uint8_t> bytes);
  static Digest Of(absl::string_view data);

  Digest() = default;
  const std::string& str() const { return text_; }  // "sha256:<hex>"
  absl::string_view hex() const;                    // the 64 hex digits
  absl::string_view algorithm() const { return "sha256"; }
  bool empty() const { return text_.empty(); }

  friend bool operator==(const Digest&, const Digest&) = default;
  friend auto operator<=>(const Digest&, const Digest&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const Digest& d) {
    return H::combine(std::move(h), d.text_);
  }

 private:
  explicit Digest(std::string text) : text_(std::move(text)) {}
  std::string text_;
};

// Feeds bytes, then yields their digest. Cheap to move, not copyable.
class Sha256Hasher {
 public:
  Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;
  Sha256Hasher(Sha256Hasher&&) = default;
  Sha256Hasher& operator=(Sha256Hasher&&) = default;
  void Update(const void* data, size_t size);
  void Update(absl::string_view data) { Update(data.data(), data.size()); }
  // Ends this hash; the hasher starts over afterwards.
  Digest Finish();
  // The digest of the bytes so far, without ending the hash.
  Digest Peek() const;
  uint64_t bytes() const { return bytes_; }

 private:
  // OpenSSL's SHA-256 itself (the same assembly EVP reaches): EVP's first digest loads
  // the default provider and its algorithm tables, 2 MiB of berthd's RSS for one hash.
  SHA256_CTX ctx_;
  uint64_t bytes_ = 0;
};

}  // namespace berth::images
