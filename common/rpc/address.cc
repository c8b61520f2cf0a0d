#include "common/rpc/address.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace berth::rpc {

std::string Address::ToString() const {
  return kind == Kind::kUnix ? absl::StrCat("unix://", path) : absl::StrCat("tcp://", hostport);
}

std::string Address::GrpcTarget() const {
  return kind == Kind::kUnix ? absl::StrCat("unix:", path) : hostport;
}

absl::StatusOr<Address> ParseAddress(absl::string_view text) {
  absl::string_view rest = text;
  if (absl::ConsumePrefix(&rest, "unix://") || absl::StartsWith(rest, "/")) {
    if (!absl::StartsWith(rest, "/")) {
      return absl::InvalidArgumentError(
          absl::StrCat("address \"", text, "\": a unix socket path must be absolute"));
    }
    return Address{Address::Kind::kUnix, std::string(rest), ""};
  }
  if (absl::ConsumePrefix(&rest, "tcp://")) {
    size_t colon = rest.rfind(':');
    uint32_t port = 0;
    if (colon == absl::string_view::npos || colon == 0 ||
        !absl::SimpleAtoi(rest.substr(colon + 1), &port) || port > 65535) {
      return absl::InvalidArgumentError(
          absl::StrCat("address \"", text, "\": want tcp://host:port"));
    }
    return Address{Address::Kind::kTcp, "", std::string(rest)};
  }
  return absl::InvalidArgumentError(
      absl::StrCat("address \"", text, "\": want unix:///path or tcp://host:port"));
}

}  // namespace berth::rpc
