#include "services/runtime/supervisor/container_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/file_text.h"
#include "common/status_macros.h"
#include "common/unique_fd.h"

namespace berth::runtime {

std::string HostsFileText(absl::string_view hostname, const std::vector<std::string>& extra_hosts) {
  std::string text =
      "127.0.0.1\tlocalhost\n"
      "::1\tlocalhost ip6-localhost ip6-loopback\n"
      "fe00::0\tip6-localnet\n"
      "ff00::0\tip6-mcastprefix\n"
      "ff02::1\tip6-allnodes\n"
      "ff02::2\tip6-allrouters\n";
  for (const std::string& entry : extra_hosts) {
    std::pair<std::string, std::string> host_ip = absl::StrSplit(entry, absl::MaxSplits(':', 1));
    absl::StrAppend(&text, host_ip.second, "\t", host_ip.first, "\n");
  }
  if (!hostname.empty()) absl::StrAppend(&text, "127.0.1.1\t", hostname, "\n");
  return text;
}

std::string ResolvConfText(absl::string_view host_resolv_conf, const std::vector<std::string>& dns,
                           const std::vector<std::string>& dns_search,
                           const std::vector<std::string>& dns_options) {
  std::vector<std::string> servers, search, options;
  for (absl::string_view line : absl::StrSplit(host_resolv_conf, '\n')) {
    std::vector<absl::string_view> words =
        absl::StrSplit(absl::StripAsciiWhitespace(line), absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (words.size() < 2) continue;
    if (words[0] == "nameserver") {
      const absl::string_view server = words[1];
      if (absl::StartsWith(server, "127.") || server == "::1") continue;
      servers.emplace_back(server);
    } else if (words[0] == "search" || words[0] == "domain") {
      search.clear();
      for (size_t i = 1; i < words.size(); ++i) search.emplace_back(words[i]);
    } else if (words[0] == "options") {
      options.clear();
      for (size_t i = 1; i < words.size(); ++i) options.emplace_back(words[i]);
    }
  }
  if (!dns.empty()) servers = dns;
  if (servers.empty()) servers = {"8.8.8.8", "8.8.4.4"};  // Docker's fallback
  if (!dns_search.empty()) search = dns_search;
  if (!dns_options.empty()) options = dns_options;
  std::string text;
  for (const std::string& server : servers) absl::StrAppend(&text, "nameserver ", server, "\n");
  if (!search.empty()) absl::StrAppend(&text, "search ", absl::StrJoin(search, " "), "\n");
  if (!options.empty()) absl::StrAppend(&text, "options ", absl::StrJoin(options, " "), "\n");
  return text;
}

absl::StatusOr<NameFiles> WriteNameFiles(const std::string& dir, absl::string_view hostname,
                                         const std::vector<std::string>& extra_hosts,
                                         const std::vector<std::string>& dns,
                                         const std::vector<std::string>& dns_search,
                                         const std::vector<std::string>& dns_options) {
  NameFiles files{dir + "/hostname", dir + "/hosts", dir + "/resolv.conf"};
  BERTH_RETURN_IF_ERROR(
      WriteFileAtomically(files.hostname_path, absl::StrCat(hostname, "\n"), 0644));
  BERTH_RETURN_IF_ERROR(
      WriteFileAtomically(files.hosts_path, HostsFileText(hostname, extra_hosts), 0644));
  absl::StatusOr<std::string> host = ReadFileText("/etc/resolv.conf");
  BERTH_RETURN_IF_ERROR(WriteFileAtomically(
      files.resolv_conf_path, ResolvConfText(host.ok() ? *host : "", dns, dns_search, dns_options),
      0644));
  return files;
}

}  // namespace berth::runtime
