#include "common/daemon_config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <limits>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "common/unique_fd.h"
#include "nlohmann/json.hpp"

namespace berth {
namespace {

using Json = nlohmann::json;

// Where a value sits, for messages: source "daemon.json", key "default-ulimits.nofile".
struct Where {
  absl::string_view source;
  std::string key;
};

absl::Status Invalid(const Where& at, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(at.source, ": \"", at.key, "\" ", problem));
}

absl::Status WrongType(const Where& at, absl::string_view expected, const Json& value) {
  return Invalid(at, absl::StrCat("must be ", expected, ", got ", value.type_name()));
}

absl::Status Read(const Json& v, const Where& at, std::string* out) {
  if (!v.is_string()) return WrongType(at, "a string", v);
  *out = v.get<std::string>();
  return absl::OkStatus();
}

absl::Status Read(const Json& v, const Where& at, bool* out) {
  if (!v.is_boolean()) return WrongType(at, "a boolean", v);
  *out = v.get<bool>();
  return absl::OkStatus();
}

absl::Status Read(const Json& v, const Where& at, int64_t* out) {
  if (v.is_number_unsigned() && v.get<uint64_t>() > std::numeric_limits<int64_t>::max()) {
    return Invalid(at, "is too large");
  }
  if (!v.is_number_integer()) return WrongType(at, "an integer", v);
  *out = v.get<int64_t>();
  return absl::OkStatus();
}

absl::Status Read(const Json& v, const Where& at, int* out) {
  int64_t wide = 0;
  BERTH_RETURN_IF_ERROR(Read(v, at, &wide));
  if (wide < std::numeric_limits<int>::min() || wide > std::numeric_limits<int>::max()) {
    return Invalid(at, absl::StrCat("is out of range: ", wide));
  }
  *out = static_cast<int>(wide);
  return absl::OkStatus();
}

absl::Status Read(const Json& v, const Where& at, std::vector<std::string>* out) {
  if (!v.is_array()) return WrongType(at, "a list of strings", v);
  out->clear();
  for (size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_string()) {
      return WrongType({at.source, absl::StrCat(at.key, "[", i, "]")}, "a string", v[i]);
    }
    out->push_back(v[i].get<std::string>());
  }
  return absl::OkStatus();
}

absl::Status Read(const Json& v, const Where& at, std::map<std::string, std::string>* out) {
  if (!v.is_object()) return WrongType(at, "an object of strings", v);
  out->clear();
  for (const auto& [key, value] : v.items()) {
    BERTH_RETURN_IF_ERROR(Read(value, {at.source, absl::StrCat(at.key, ".", key)}, &(*out)[key]));
  }
  return absl::OkStatus();
}

absl::Status Read(const Json& v, const Where& at, std::map<std::string, Ulimit>* out) {
  if (!v.is_object()) return WrongType(at, "an object", v);
  out->clear();
  for (const auto& [name, entry] : v.items()) {
    Where here{at.source, absl::StrCat(at.key, ".", name)};
    if (!entry.is_object()) return WrongType(here, "an object {Name, Hard, Soft}", entry);
    Ulimit ulimit{name, 0, 0};
    for (const auto& [field, value] : entry.items()) {
      Where at_field{at.source, absl::StrCat(here.key, ".", field)};
      if (field == "Name") {
        BERTH_RETURN_IF_ERROR(Read(value, at_field, &ulimit.name));
      } else if (field == "Hard") {
        BERTH_RETURN_IF_ERROR(Read(value, at_field, &ulimit.hard));
      } else if (field == "Soft") {
        BERTH_RETURN_IF_ERROR(Read(value, at_field, &ulimit.soft));
      } else {
        return Invalid(at_field, "is not a ulimit field (want Name, Hard, Soft)");
      }
    }
    (*out)[name] = std::move(ulimit);
  }
  return absl::OkStatus();
}

using Reader = std::function<absl::Status(const Json&, const Where&, DaemonConfig&)>;

template <typename T>
std::pair<const std::string, Reader> Key(const char* name, T DaemonConfig::*member) {
  return {name, [member](const Json& v, const Where& at, DaemonConfig& config) {
            return Read(v, at, &(config.*member));
          }};
}

const std::map<std::string, Reader>& Keys() {
  static const auto* keys = new std::map<std::string, Reader>{
      Key("data-root", &DaemonConfig::data_root),
      Key("exec-root", &DaemonConfig::exec_root),
      Key("hosts", &DaemonConfig::hosts),
      Key("group", &DaemonConfig::group),
      Key("tls", &DaemonConfig::tls),
      Key("tlsverify", &DaemonConfig::tlsverify),
      Key("tlscacert", &DaemonConfig::tlscacert),
      Key("tlscert", &DaemonConfig::tlscert),
      Key("tlskey", &DaemonConfig::tlskey),
      Key("debug", &DaemonConfig::debug),
      Key("log-level", &DaemonConfig::log_level),
      Key("log-format", &DaemonConfig::log_format),
      Key("registry-mirrors", &DaemonConfig::registry_mirrors),
      Key("insecure-registries", &DaemonConfig::insecure_registries),
      Key("bridge", &DaemonConfig::bridge),
      Key("bip", &DaemonConfig::bip),
      Key("fixed-cidr", &DaemonConfig::fixed_cidr),
      Key("mtu", &DaemonConfig::mtu),
      Key("default-gateway", &DaemonConfig::default_gateway),
      Key("dns", &DaemonConfig::dns),
      Key("dns-search", &DaemonConfig::dns_search),
      Key("dns-opts", &DaemonConfig::dns_opts),
      Key("log-driver", &DaemonConfig::log_driver),
      Key("log-opts", &DaemonConfig::log_opts),
      Key("live-restore", &DaemonConfig::live_restore),
      Key("init", &DaemonConfig::init),
      Key("default-ulimits", &DaemonConfig::default_ulimits),
      Key("cgroup-parent", &DaemonConfig::cgroup_parent),
      Key("storage-driver", &DaemonConfig::storage_driver),
      Key("metrics-addr", &DaemonConfig::metrics_addr),
      Key("services", &DaemonConfig::services),
      Key("service-addresses", &DaemonConfig::service_addresses),
      Key("cni-plugin-dirs", &DaemonConfig::cni_plugin_dirs),
      Key("cni-config-dir", &DaemonConfig::cni_config_dir),
      Key("registry-certs-dir", &DaemonConfig::registry_certs_dir),
  };
  return *keys;
}

size_t EditDistance(absl::string_view a, absl::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string Suggestion(absl::string_view unknown) {
  std::string best;
  size_t best_distance = std::min<size_t>(3, unknown.size() / 2 + 1);
  for (const auto& [key, reader] : Keys()) {
    size_t d = EditDistance(absl::AsciiStrToLower(unknown), key);
    if (d < best_distance) {
      best_distance = d;
      best = key;
    }
  }
  return best.empty() ? "" : absl::StrCat("; did you mean \"", best, "\"?");
}

bool IsIpv4(const std::string& text) {
  in_addr addr;
  return inet_pton(AF_INET, text.c_str(), &addr) == 1;
}

bool IsIp(const std::string& text) {
  in6_addr addr;
  return IsIpv4(text) || inet_pton(AF_INET6, text.c_str(), &addr) == 1;
}

bool IsIpv4Cidr(absl::string_view text) {
  size_t slash = text.find('/');
  if (slash == absl::string_view::npos) return false;
  int prefix = -1;
  absl::string_view bits = text.substr(slash + 1);
  return IsIpv4(std::string(text.substr(0, slash))) && !bits.empty() &&
         std::all_of(bits.begin(), bits.end(), absl::ascii_isdigit) &&
         absl::SimpleAtoi(bits, &prefix) && prefix <= 32;
}

bool IsService(absl::string_view name) {
  return std::find(std::begin(kServiceNames), std::end(kServiceNames), name) !=
         std::end(kServiceNames);
}

bool HasAddressScheme(absl::string_view address, bool allow_fd) {
  for (absl::string_view scheme : {"unix://", "tcp://", "fd://"}) {
    if (scheme == "fd://" && !allow_fd) continue;
    if (absl::StartsWith(address, scheme))
      return scheme == "fd://" || address.size() > scheme.size();
  }
  return false;
}

absl::Status Validate(const DaemonConfig& c, absl::string_view source) {
  auto at = [&](absl::string_view key) { return Where{source, std::string(key)}; };
  if (!absl::StartsWith(c.data_root, "/")) return Invalid(at("data-root"), "must be absolute");
  if (!absl::StartsWith(c.exec_root, "/")) return Invalid(at("exec-root"), "must be absolute");
  for (const std::string& host : c.hosts) {
    if (!HasAddressScheme(host, true)) {
      return Invalid(at("hosts"), absl::StrCat("has \"", host,
                                               "\"; want unix://PATH, tcp://HOST:PORT or fd://"));
    }
  }
  if (c.tlsverify && c.tlscacert.empty()) return Invalid(at("tlscacert"), "is needed by tlsverify");
  if ((c.tls || c.tlsverify) && (c.tlscert.empty() || c.tlskey.empty())) {
    return Invalid(at(c.tlscert.empty() ? "tlscert" : "tlskey"), "is needed by tls");
  }
  static const std::set<std::string> kLevels = {"debug", "info", "warn", "error", "fatal"};
  if (!kLevels.count(c.log_level)) {
    return Invalid(at("log-level"), absl::StrCat("is \"", c.log_level,
                                                 "\"; want debug, info, warn, error or fatal"));
  }
  if (c.log_format != "text" && c.log_format != "json") {
    return Invalid(at("log-format"), absl::StrCat("is \"", c.log_format, "\"; want text or json"));
  }
  if (!c.bip.empty() && !IsIpv4Cidr(c.bip)) {
    return Invalid(at("bip"),
                   absl::StrCat("is \"", c.bip, "\"; want IPv4 CIDR like 172.17.0.1/16"));
  }
  if (!c.fixed_cidr.empty() && !IsIpv4Cidr(c.fixed_cidr)) {
    return Invalid(at("fixed-cidr"),
                   absl::StrCat("is \"", c.fixed_cidr, "\"; want IPv4 CIDR like 172.17.0.0/16"));
  }
  if (!c.default_gateway.empty() && !IsIpv4(c.default_gateway)) {
    return Invalid(at("default-gateway"),
                   absl::StrCat("is \"", c.default_gateway, "\"; want an IPv4 address"));
  }
  if (c.mtu < 68 || c.mtu > 65535) {
    return Invalid(at("mtu"), absl::StrCat("is ", c.mtu, "; want 68..65535"));
  }
  for (const std::string& server : c.dns) {
    if (!IsIp(server)) return Invalid(at("dns"), absl::StrCat("has \"", server, "\", not an IP"));
  }
  if (c.log_driver.empty()) return Invalid(at("log-driver"), "must not be empty");
  static const std::set<std::string> kUlimits = {
      "as",   "core",   "cpu",   "data", "fsize",  "locks",  "memlock",    "msgqueue",
      "nice", "nofile", "nproc", "rss",  "rtprio", "rttime", "sigpending", "stack"};
  for (const auto& [name, u] : c.default_ulimits) {
    Where here = at(absl::StrCat("default-ulimits.", name));
    if (!kUlimits.count(name)) return Invalid(here, "is not a known ulimit");
    if (u.name != name) return Invalid(here, absl::StrCat("has Name \"", u.name, "\""));
    if (u.hard < -1 || u.soft < -1) return Invalid(here, "has a limit below -1 (unlimited)");
    if (u.hard != -1 && (u.soft == -1 || u.soft > u.hard)) {
      return Invalid(here, absl::StrCat("has Soft ", u.soft, " above Hard ", u.hard));
    }
  }
  std::string names = absl::StrJoin(kServiceNames, ", ");
  if (c.services.empty()) return Invalid(at("services"), "must name at least one service");
  std::set<std::string> seen;
  for (const std::string& s : c.services) {
    if (!IsService(s)) {
      return Invalid(at("services"), absl::StrCat("has \"", s, "\"; want some of ", names));
    }
    if (!seen.insert(s).second) return Invalid(at("services"), absl::StrCat("repeats \"", s, "\""));
  }
  for (const auto& [service, address] : c.service_addresses) {
    Where here = at(absl::StrCat("service-addresses.", service));
    if (!IsService(service)) return Invalid(here, absl::StrCat("is not a service; want ", names));
    if (!HasAddressScheme(address, false)) {
      return Invalid(here,
                     absl::StrCat("is \"", address, "\"; want unix://PATH or tcp://HOST:PORT"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<DaemonConfig> ParseDaemonConfig(absl::string_view json_text,
                                               absl::string_view source_name) {
  DaemonConfig config;
  if (absl::StripAsciiWhitespace(json_text).empty()) return config;  // an empty file
  Json doc;
  try {
    doc = Json::parse(json_text.begin(), json_text.end());
  } catch (const Json::exception& e) {
    absl::string_view what = e.what();  // "[json.exception.parse_error.101] parse error at …"
    if (size_t end = what.find("] "); absl::StartsWith(what, "[") && end != what.npos) {
      what.remove_prefix(end + 2);
    }
    return absl::InvalidArgumentError(absl::StrCat(source_name, ": malformed JSON: ", what));
  }
  if (!doc.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(source_name, ": must hold a JSON object, got ", doc.type_name()));
  }
  for (const auto& [key, value] : doc.items()) {
    auto reader = Keys().find(key);
    if (reader == Keys().end()) {
      return absl::InvalidArgumentError(
          absl::StrCat(source_name, ": unknown key \"", key, "\"", Suggestion(key)));
    }
    BERTH_RETURN_IF_ERROR(reader->second(value, Where{source_name, key}, config));
  }
  BERTH_RETURN_IF_ERROR(Validate(config, source_name));
  return config;
}

absl::StatusOr<DaemonConfig> LoadDaemonConfig(const std::string& path, bool must_exist) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT && !must_exist) return DaemonConfig{};
    return absl::ErrnoToStatus(errno, absl::StrCat("reading daemon config ", path));
  }
  std::string text;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof(buf));
    if (n == 0) break;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return absl::ErrnoToStatus(errno, absl::StrCat("reading daemon config ", path));
    text.append(buf, static_cast<size_t>(n));
  }
  return ParseDaemonConfig(text, path);
}

}  // namespace berth
