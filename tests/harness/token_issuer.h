// A token server for docker-registry's `auth: token` (tests/harness/token_issuer.py): an
// RSA key and self-signed certificate of its own, RS256 JWTs for one user and password,
// served on 127.0.0.1. Stopped by PID when destroyed.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace berth::testing {

inline constexpr char kTokenIssuerName[] = "berth-test-issuer";
inline constexpr char kTokenServiceName[] = "berth-test-registry";

class TokenIssuer {
 public:
  // Starts the issuer with its key and certificate in `dir` (which must exist) and waits
  // until it listens. NotFound when python3 or openssl is missing (tests skip then).
  static absl::StatusOr<std::unique_ptr<TokenIssuer>> Start(const std::string& dir,
                                                            const std::string& username,
                                                            const std::string& password);
  ~TokenIssuer();
  TokenIssuer(const TokenIssuer&) = delete;
  TokenIssuer& operator=(const TokenIssuer&) = delete;

  int port() const { return port_; }
  std::string realm() const;  // "http://127.0.0.1:<port>/token"
  // The certificate the registry checks tokens against (its rootcertbundle).
  const std::string& cert_path() const { return cert_path_; }
  const std::string& log_path() const { return log_path_; }

 private:
  TokenIssuer() = default;
  std::string cert_path_;
  std::string log_path_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace berth::testing
