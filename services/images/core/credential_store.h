// Registry credentials as `docker login` keeps them: ~/.berth/config.json first, then
// ~/.docker/config.json, each with an "auths" map of host → {"auth": base64(user:pass)}.
#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/images/core/registry_auth.h"

namespace berth::images {

class CredentialStore {
 public:
  // `home_dir` is the user's home ($HOME in the CLI, a temporary directory in tests).
  explicit CredentialStore(std::string home_dir);

  // The credentials for a registry host ("localhost:5000", "docker.io"); nullopt when
  // there are none. A malformed file is InvalidArgument naming it.
  absl::StatusOr<std::optional<Credentials>> Get(absl::string_view host) const;

  // `login`: writes ~/.berth/config.json (mode 0600), keeping its other keys.
  absl::Status Store(absl::string_view host, const Credentials& credentials);
  // `logout`: removes the host from ~/.berth/config.json; NotFound when it was not there.
  absl::Status Erase(absl::string_view host);

  std::string berth_config_path() const;
  std::string docker_config_path() const;

 private:
  std::string home_dir_;
};

// The "auths" key a host is stored under: Docker Hub keeps its historical URL.
std::string CredentialKeyForHost(absl::string_view host);

}  // namespace berth::images
