#include "common/rpc/namespace.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace berth::rpc {

absl::Status ValidateNamespace(absl::string_view name) {
  bool ok = !name.empty() && name.size() <= 76 && absl::ascii_isalnum(name[0]);
  for (char c : name) {
    ok = ok && (absl::ascii_isalnum(c) || c == '.' || c == '_' || c == '-');
  }
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "namespace \"", name,
      "\" is invalid: use letters, digits, '.', '_' or '-', starting with a letter or digit"));
}

absl::StatusOr<std::string> NamespaceOf(const grpc::ServerContext& context) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find(kNamespaceMetadataKey);
  if (it == metadata.end()) return std::string(kDefaultNamespace);
  std::string name(it->second.data(), it->second.size());
  if (absl::Status s = ValidateNamespace(name); !s.ok()) return s;
  return name;
}

void SetNamespace(grpc::ClientContext& context, absl::string_view name) {
  context.AddMetadata(kNamespaceMetadataKey, std::string(name));
}

std::string LeaseOf(const grpc::ServerContext& context) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find(kLeaseMetadataKey);
  if (it == metadata.end()) return "";
  return std::string(it->second.data(), it->second.size());
}

void SetLease(grpc::ClientContext& context, absl::string_view lease_id) {
  context.AddMetadata(kLeaseMetadataKey, std::string(lease_id));
}

}  // namespace berth::rpc
