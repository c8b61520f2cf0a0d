#include "ctl/registry_request.h"

#include <cstdio>
#include <cstdlib>

#include "services/images/core/credential_store.h"
#include "services/images/core/platform.h"

namespace berth::ctl {

bool SetPlatform(const std::string& text, types::v1::Platform* out) {
  absl::StatusOr<images::Platform> platform = images::ParsePlatform(text);
  if (!platform.ok()) {
    std::fprintf(stderr, "%s\n", std::string(platform.status().message()).c_str());
    return false;
  }
  out->set_os(platform->os);
  out->set_architecture(platform->architecture);
  out->set_variant(platform->variant);
  return true;
}

void SetStoredCredentials(const std::string& domain, images::v1::RegistryAuth* out) {
  const char* home = std::getenv("HOME");
  images::CredentialStore credentials(home != nullptr ? home : "/root");
  if (auto found = credentials.Get(domain); found.ok() && found->has_value()) {
    out->set_server_address(domain);
    out->set_username((*found)->username);
    out->set_password((*found)->password);
  }
}

}  // namespace berth::ctl
