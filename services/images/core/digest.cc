#include "services/images/core/digest.h"

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace berth::images {
namespace {

constexpr absl::string_view kPrefix = "sha256:";
constexpr size_t kHexLength = 64;

std::string LowerHex(absl::Span<const uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xf]);
  }
  return out;
}

}  // namespace

absl::StatusOr<Digest> Digest::Parse(absl::string_view text) {
  if (!absl::StartsWith(text, kPrefix)) {
    if (text.find(':') != absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("unsupported digest algorithm in \"", text, "\": only sha256 is accepted"));
    }
    return absl::InvalidArgumentError(
        absl::StrCat("invalid digest \"", text, "\": want sha256:<64 hex digits>"));
  }
  absl::string_view hex = text.substr(kPrefix.size());
  bool valid = hex.size() == kHexLength;
  for (char c : hex) valid = valid && (absl::ascii_isdigit(c) || (c >= 'a' && c <= 'f'));
  if (!valid) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid digest \"", text, "\": want sha256:<64 lowercase hex digits>"));
  }
  return Digest(std::string(text));
}

Digest Digest::FromSha256Bytes(absl::Span<const uint8_t> bytes) {
  return Digest(absl::StrCat(kPrefix, LowerHex(bytes)));
}

Digest Digest::Of(absl::string_view data) {
  Sha256Hasher hasher;
  hasher.Update(data);
  return hasher.Finish();
}

absl::string_view Digest::hex() const {
  return text_.empty() ? absl::string_view() : absl::string_view(text_).substr(kPrefix.size());
}

// OpenSSL 3 marks its digest-specific functions deprecated in favour of EVP; they are
// kept on purpose (see digest.h).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

Sha256Hasher::Sha256Hasher() { SHA256_Init(&ctx_); }

void Sha256Hasher::Update(const void* data, size_t size) {
  SHA256_Update(&ctx_, data, size);
  bytes_ += size;
}

Digest Sha256Hasher::Finish() {
  uint8_t out[SHA256_DIGEST_LENGTH];
  SHA256_Final(out, &ctx_);
  SHA256_Init(&ctx_);
  bytes_ = 0;
  return Digest::FromSha256Bytes(absl::MakeConstSpan(out, sizeof(out)));
}

Digest Sha256Hasher::Peek() const {
  SHA256_CTX copy = ctx_;
  uint8_t out[SHA256_DIGEST_LENGTH];
  SHA256_Final(out, &copy);
  return Digest::FromSha256Bytes(absl::MakeConstSpan(out, sizeof(out)));
}

#pragma GCC diagnostic pop

}  // namespace berth::images
