// A real docker-registry (distribution 2.8) on 127.0.0.1 for tests: plain, with htpasswd
// basic auth or with token auth (a TokenIssuer of its own), its storage in a private
// temporary directory, stopped by PID.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "tests/harness/token_issuer.h"

namespace berth::testing {

inline constexpr char kDockerRegistryBinary[] = "/usr/bin/docker-registry";

struct RegistryOptions {
  // When both are set the registry wants Basic auth with this user (htpasswd, bcrypt).
  std::string username;
  std::string password;
  // With a username: Bearer tokens from a TokenIssuer for that user instead of htpasswd.
  bool token_auth = false;
  bool allow_delete = true;
  // When set the registry serves HTTPS with this certificate and key; with client_ca set
  // too it requires client certificates signed by that CA.
  std::string tls_certificate;
  std::string tls_key;
  std::string client_ca;
};

class RegistryProcess {
 public:
  // Writes a config, starts the registry on a free port and waits until /v2/ answers.
  // NotFound when docker-registry is not installed (tests skip then).
  static absl::StatusOr<std::unique_ptr<RegistryProcess>> Start(RegistryOptions options = {});
  ~RegistryProcess();
  RegistryProcess(const RegistryProcess&) = delete;
  RegistryProcess& operator=(const RegistryProcess&) = delete;

  std::string host() const;  // "127.0.0.1:<port>"
  int port() const { return port_; }
  const std::string& log_path() const { return log_path_; }
  // The filesystem storage root (docker/registry/v2/{blobs,repositories} below it).
  const std::string& storage_dir() const { return storage_dir_; }
  // Where the blob's bytes are on disk, for tests that corrupt them.
  std::string BlobDataPath(const std::string& digest_hex) const;
  std::string ReadLog() const;
  // Kills the registry with SIGKILL (a crash in the middle of whatever it serves).
  void Kill();
  // Starts it again with the same config, port and storage.
  absl::Status Restart();
  // Whether the log comes to match `pattern` (ECMAScript regex) within a few seconds: the
  // registry writes an access log line only after the response has gone out.
  bool LogEventuallyMatches(const std::string& pattern) const;
  // The token server of a `token_auth` registry; null otherwise.
  const TokenIssuer* token_issuer() const { return issuer_.get(); }

 private:
  RegistryProcess() = default;
  std::string dir_;
  std::string storage_dir_;
  std::string log_path_;
  std::string config_path_;
  int port_ = 0;
  pid_t pid_ = -1;
  std::unique_ptr<TokenIssuer> issuer_;
};

}  // namespace berth::testing
