// Certificates made by the openssl CLI for one test: a CA with a server and a client
// certificate, and a second, unrelated CA with its own client certificate.
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace berth::testing {

struct CertFiles {
  std::string ca;
  std::string cert;
  std::string key;
};

struct TestCertificates {
  CertFiles server;        // SAN 127.0.0.1, localhost; ca = the trusted CA
  CertFiles client;        // signed by the trusted CA
  CertFiles other_client;  // signed by another CA; ca = the trusted CA (to dial the server)
};

absl::StatusOr<TestCertificates> MakeTestCertificates(const std::string& dir);

}  // namespace berth::testing
