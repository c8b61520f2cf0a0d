// How each registry host is reached: mirrors, plain HTTP, TLS files. Built from
// daemon.json's "registry-mirrors" and "insecure-registries" the way Docker reads them.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace berth::images {

struct RegistryHostConfig {
  std::vector<std::string> mirrors;  // base URLs tried first for pulls, "https://m.example"
  bool insecure = false;             // plain http allowed (and https without verification)
  std::string ca_file;
  std::string client_cert;
  std::string client_key;
  bool skip_verify = false;
};

class RegistryHosts {
 public:
  // `mirrors` apply to docker.io only, as in Docker. `insecure` entries are hosts
  // ("reg:5000") or CIDRs ("10.0.0.0/8"); loopback is always insecure. `certs_dir`, when
  // set, holds Docker-style <host>/{ca.crt,client.cert,client.key}.
  static absl::StatusOr<RegistryHosts> Create(std::vector<std::string> mirrors,
                                              std::vector<std::string> insecure,
                                              std::string certs_dir = "");

  RegistryHostConfig ConfigFor(absl::string_view host) const;
  bool IsInsecure(absl::string_view host) const;

 private:
  struct Cidr {
    bool v6 = false;
    unsigned char address[16] = {};
    int prefix = 0;
  };
  std::vector<std::string> mirrors_;
  std::vector<std::string> insecure_hosts_;
  std::vector<Cidr> insecure_cidrs_;
  std::string certs_dir_;
};

// The host part of "host:port", "[v6]:port" or "host".
std::string HostWithoutPort(absl::string_view host);

}  // namespace berth::images
