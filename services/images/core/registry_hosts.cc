#include "services/images/core/registry_hosts.h"

#include <arpa/inet.h>
#include <unistd.h>

#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace berth::images {
namespace {

bool IsDockerHub(absl::string_view host) {
  return host == "docker.io" || host == "index.docker.io" || host == "registry-1.docker.io";
}

// Parses a literal IPv4 or IPv6 address into `out`; false for names.
bool ParseIp(const std::string& text, bool* v6, unsigned char out[16]) {
  std::memset(out, 0, 16);
  if (::inet_pton(AF_INET, text.c_str(), out) == 1) {
    *v6 = false;
    return true;
  }
  if (::inet_pton(AF_INET6, text.c_str(), out) == 1) {
    *v6 = true;
    return true;
  }
  return false;
}

bool PrefixEqual(const unsigned char* a, const unsigned char* b, int bits) {
  for (int i = 0; bits > 0; ++i, bits -= 8) {
    unsigned char mask = bits >= 8 ? 0xff : static_cast<unsigned char>(0xff << (8 - bits));
    if ((a[i] & mask) != (b[i] & mask)) return false;
  }
  return true;
}

bool Readable(const std::string& path) { return ::access(path.c_str(), R_OK) == 0; }

}  // namespace

std::string HostWithoutPort(absl::string_view host) {
  if (absl::StartsWith(host, "[")) {
    size_t close = host.find(']');
    return std::string(host.substr(1, close == absl::string_view::npos ? host.npos : close - 1));
  }
  size_t colon = host.rfind(':');
  // More than one ':' without brackets is a bare IPv6 address.
  if (colon != absl::string_view::npos && host.find(':') == colon)
    return std::string(host.substr(0, colon));
  return std::string(host);
}

absl::StatusOr<RegistryHosts> RegistryHosts::Create(std::vector<std::string> mirrors,
                                                    std::vector<std::string> insecure,
                                                    std::string certs_dir) {
  RegistryHosts hosts;
  for (std::string& mirror : mirrors) {
    absl::string_view m = absl::StripSuffix(mirror, "/");
    if (!absl::StartsWith(m, "http://") && !absl::StartsWith(m, "https://")) {
      return absl::InvalidArgumentError(
          absl::StrCat("registry-mirrors: \"", mirror, "\" must be an http:// or https:// URL"));
    }
    hosts.mirrors_.emplace_back(m);
  }
  for (const std::string& entry : insecure) {
    if (size_t slash = entry.find('/'); slash != std::string::npos) {
      Cidr cidr;
      if (!ParseIp(entry.substr(0, slash), &cidr.v6, cidr.address) ||
          !absl::SimpleAtoi(entry.substr(slash + 1), &cidr.prefix) || cidr.prefix < 0 ||
          cidr.prefix > (cidr.v6 ? 128 : 32)) {
        return absl::InvalidArgumentError(
            absl::StrCat("insecure-registries: \"", entry, "\" is not a valid CIDR"));
      }
      hosts.insecure_cidrs_.push_back(cidr);
    } else {
      std::string host(absl::StripPrefix(absl::StripPrefix(entry, "http://"), "https://"));
      hosts.insecure_hosts_.push_back(std::string(absl::StripSuffix(host, "/")));
    }
  }
  // Docker's defaults: loopback registries need no TLS.
  for (const char* loopback : {"127.0.0.0/8", "::1/128"}) {
    Cidr cidr;
    std::string text(loopback);
    ParseIp(text.substr(0, text.find('/')), &cidr.v6, cidr.address);
    cidr.prefix = cidr.v6 ? 128 : 8;
    hosts.insecure_cidrs_.push_back(cidr);
  }
  hosts.certs_dir_ = std::move(certs_dir);
  return hosts;
}

bool RegistryHosts::IsInsecure(absl::string_view host) const {
  std::string name = HostWithoutPort(host);
  if (name == "localhost") return true;
  for (const std::string& entry : insecure_hosts_) {
    if (entry == host || entry == name) return true;
  }
  // Only literal addresses are matched against CIDRs; names are not resolved here.
  Cidr address;
  if (!ParseIp(name, &address.v6, address.address)) return false;
  for (const Cidr& cidr : insecure_cidrs_) {
    if (cidr.v6 == address.v6 && PrefixEqual(cidr.address, address.address, cidr.prefix)) {
      return true;
    }
  }
  return false;
}

RegistryHostConfig RegistryHosts::ConfigFor(absl::string_view host) const {
  RegistryHostConfig config;
  if (IsDockerHub(host)) config.mirrors = mirrors_;
  config.insecure = IsInsecure(host);
  config.skip_verify = config.insecure;
  if (!certs_dir_.empty()) {
    std::string dir = absl::StrCat(certs_dir_, "/", host);
    if (Readable(dir + "/ca.crt")) config.ca_file = dir + "/ca.crt";
    if (Readable(dir + "/client.cert") && Readable(dir + "/client.key")) {
      config.client_cert = dir + "/client.cert";
      config.client_key = dir + "/client.key";
    }
  }
  return config;
}

}  // namespace berth::images
