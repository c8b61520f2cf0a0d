// berthctl search: `docker search` against a registry's catalog. berthd reads the
// catalog; a registry knows names only, so DESCRIPTION, STARS and OFFICIAL stay empty.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "absl/strings/str_split.h"
#include "berth/images/v1/transfer.grpc.pb.h"
#include "ctl/command.h"
#include "ctl/daemon_call.h"
#include "ctl/output_format.h"
#include "services/images/core/credential_store.h"
#include "services/images/core/search_term.h"

namespace berth::ctl {
namespace {

struct SearchFlags {
  std::string term;
  int limit = 25;
  std::string format;
  bool no_trunc = false;
};

const std::vector<std::pair<std::string, std::string>> kHeaders = {{"Name", "NAME"},
                                                                   {"Description", "DESCRIPTION"},
                                                                   {"StarCount", "STARS"},
                                                                   {"IsOfficial", "OFFICIAL"}};

int Run(const GlobalOptions& global, const SearchFlags& flags) {
  if (flags.limit < 1 || flags.limit > 100) {
    std::fprintf(stderr, "Limit %d is outside the range of [1, 100]\n", flags.limit);
    return 1;
  }
  images::v1::SearchImagesRequest request;
  request.set_term(flags.term);
  request.set_limit(flags.limit);
  const std::string host = images::ParseSearchTerm(flags.term).host;
  const char* home = std::getenv("HOME");
  images::CredentialStore credentials(home != nullptr ? home : "/root");
  if (auto found = credentials.Get(host); found.ok() && found->has_value()) {
    request.mutable_auth()->set_server_address(host);
    request.mutable_auth()->set_username((*found)->username);
    request.mutable_auth()->set_password((*found)->password);
  }
  auto channel = Connect(global);
  if (!channel.ok()) {
    return ReportConnectError(global, channel.status());
  }
  grpc::ClientContext context;
  PrepareCall(context, 60);
  images::v1::SearchImagesResponse response;
  grpc::Status status =
      images::v1::Transfer::NewStub(*channel)->Search(&context, request, &response);
  if (!status.ok()) return ReportCallError(global, status);

  std::vector<nlohmann::ordered_json> rows;
  for (const auto& result : response.results()) {
    nlohmann::ordered_json row;
    row["Description"] = flags.no_trunc ? result.description() : Ellipsis(result.description(), 45);
    row["IsAutomated"] = result.is_automated() ? "[OK]" : "";
    row["IsOfficial"] = result.is_official() ? "[OK]" : "";
    row["Name"] = result.name();
    row["StarCount"] = std::to_string(result.star_count());
    rows.push_back(std::move(row));
  }
  std::fputs(RenderRows(rows, flags.format,
                        "{{.Name}}\t{{.Description}}\t{{.StarCount}}\t{{.IsOfficial}}", kHeaders)
                 .c_str(),
             stdout);
  return 0;
}

}  // namespace

void AddSearchCommand(CLI::App& app, CommandRunner& run) {
  auto flags = std::make_shared<SearchFlags>();
  CLI::App* search = app.add_subcommand("search", "Search a registry for images");
  search->add_option("TERM", flags->term, "[HOST[:PORT]/]TERM")->required();
  search->add_option("--limit", flags->limit, "Max number of search results");
  search->add_option("--format", flags->format,
                     "Pretty-print search using a Go template: 'table', 'table TEMPLATE', "
                     "'json' or TEMPLATE");
  search->add_flag("--no-trunc", flags->no_trunc, "Don't truncate output");
  search->callback([&run, flags] {
    run = [flags](const GlobalOptions& global) { return Run(global, *flags); };
  });
}

}  // namespace berth::ctl
