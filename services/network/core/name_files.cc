#include "services/network/core/name_files.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/file_text.h"
#include "common/unique_fd.h"

namespace berth::network {
namespace {

struct DefaultLine {
  const char* ip;
  const char* names;
};
constexpr DefaultLine kDefaultHosts[] = {
    {"127.0.0.1", "localhost"},  {"::1", "localhost ip6-localhost ip6-loopback"},
    {"fe00::0", "ip6-localnet"}, {"ff00::0", "ip6-mcastprefix"},
    {"ff02::1", "ip6-allnodes"}, {"ff02::2", "ip6-allrouters"},
};

void AppendEntry(std::string& out, const HostsEntry& entry) {
  absl::StrAppend(&out, entry.ip, "\t", entry.names, "\n");
}

bool IsLoopbackNameserver(absl::string_view value) {
  return absl::StartsWith(value, "127.") || value == "::1";
}

// Values of every `keyword` line ("nameserver 1.1.1.1" → "1.1.1.1").
std::vector<std::string> Values(absl::string_view text, absl::string_view keyword) {
  std::vector<std::string> values;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    std::vector<absl::string_view> fields =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (fields.size() < 2 || fields[0] != keyword) continue;
    for (size_t i = 1; i < fields.size(); ++i) values.emplace_back(fields[i]);
  }
  return values;
}

}  // namespace

absl::StatusOr<HostsEntry> ParseExtraHost(absl::string_view spec, absl::string_view host_gateway) {
  // Docker splits on the first ':' or '='; IPv6 addresses keep their colons.
  size_t split = spec.find_first_of(":=");
  if (split == absl::string_view::npos || split == 0 || split + 1 >= spec.size()) {
    return absl::InvalidArgumentError(absl::StrCat("bad format for add-host: \"", spec, "\""));
  }
  std::string name(spec.substr(0, split));
  std::string ip(spec.substr(split + 1));
  if (ip == "host-gateway") {
    if (host_gateway.empty()) {
      return absl::FailedPreconditionError("unable to derive the IP value for host-gateway");
    }
    ip = std::string(host_gateway);
  }
  return HostsEntry{ip, name};
}

HostsEntry OwnHostsEntry(absl::string_view ip, absl::string_view hostname,
                         absl::string_view domainname) {
  std::string fqdn(hostname);
  if (!domainname.empty()) absl::StrAppend(&fqdn, ".", domainname);
  std::string names = fqdn;
  if (size_t dot = fqdn.find('.'); dot != std::string::npos) {
    absl::StrAppend(&names, " ", fqdn.substr(0, dot));
  }
  return HostsEntry{std::string(ip), names};
}

std::string RenderHostsFile(const std::vector<HostsEntry>& extra,
                            const std::vector<HostsEntry>& own,
                            const std::vector<HostsEntry>& peers) {
  std::string out;
  for (const DefaultLine& line : kDefaultHosts)
    absl::StrAppend(&out, line.ip, "\t", line.names, "\n");
  for (const HostsEntry& entry : extra) AppendEntry(out, entry);
  for (const HostsEntry& entry : own) AppendEntry(out, entry);
  for (const HostsEntry& entry : peers) AppendEntry(out, entry);
  return out;
}

std::string RenderResolvConf(absl::string_view host_resolv_conf, const DnsSettings& settings) {
  if (!settings.servers.empty() || !settings.search.empty() || !settings.options.empty()) {
    std::vector<std::string> servers =
        settings.servers.empty() ? Values(host_resolv_conf, "nameserver") : settings.servers;
    std::vector<std::string> search =
        settings.search.empty() ? Values(host_resolv_conf, "search") : settings.search;
    std::vector<std::string> options =
        settings.options.empty() ? Values(host_resolv_conf, "options") : settings.options;
    std::string out;
    // "--dns-search ." means no search domains.
    if (!search.empty() && absl::StrJoin(search, " ") != ".") {
      absl::StrAppend(&out, "search ", absl::StrJoin(search, " "), "\n");
    }
    for (const std::string& server : servers) absl::StrAppend(&out, "nameserver ", server, "\n");
    if (!options.empty()) absl::StrAppend(&out, "options ", absl::StrJoin(options, " "), "\n");
    return out;
  }
  // The host's lines, loopback nameservers blanked (Docker leaves the line empty).
  std::string out;
  bool any_server = false;
  std::vector<absl::string_view> lines = absl::StrSplit(host_resolv_conf, '\n');
  for (size_t i = 0; i < lines.size(); ++i) {
    absl::string_view line = lines[i];
    std::vector<absl::string_view> fields =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    bool server = fields.size() == 2 && fields[0] == "nameserver";
    if (server && IsLoopbackNameserver(fields[1])) line = "";
    any_server = any_server || (server && !line.empty());
    absl::StrAppend(&out, line, i + 1 < lines.size() ? "\n" : "");
  }
  if (!any_server) {
    absl::StrAppend(&out,
                    "\nnameserver 8.8.8.8\nnameserver 8.8.4.4\nnameserver "
                    "2001:4860:4860::8888\nnameserver 2001:4860:4860::8844");
  }
  return out;
}

std::string ReadHostResolvConf() {
  auto text = ReadFileText("/etc/resolv.conf");
  if (text.ok()) {
    for (const std::string& server : Values(*text, "nameserver")) {
      if (server != "127.0.0.53") continue;
      auto upstream = ReadFileText("/run/systemd/resolve/resolv.conf");
      if (upstream.ok()) return *upstream;
    }
    return *text;
  }
  return "";
}

absl::Status RewriteFileInPlace(const std::string& path, absl::string_view text) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
  if (!fd) return absl::InternalError(absl::StrCat("open ", path, ": ", std::strerror(errno)));
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n =
        ::pwrite(fd.get(), text.data() + done, text.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      return absl::InternalError(absl::StrCat("write ", path, ": ", std::strerror(errno)));
    done += static_cast<size_t>(n);
  }
  // Truncate after writing, so a reader never sees an empty file.
  if (::ftruncate(fd.get(), static_cast<off_t>(text.size())) != 0) {
    return absl::InternalError(absl::StrCat("truncate ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace berth::network
