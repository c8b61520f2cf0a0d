// berthctl history / image history: an image's layers, newest first, as `docker history`.
#include <cstdio>
#include <memory>

#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "ctl/daemon_call.h"
#include "ctl/image_commands.h"
#include "ctl/output_format.h"

namespace berth::ctl {
namespace {

struct HistoryOptions {
  bool quiet = false;
  bool no_trunc = false;
  bool human = true;
  std::string format;
  std::string image;
};

const std::vector<std::pair<std::string, std::string>> kHeaders = {{"ID", "IMAGE"},
                                                                   {"CreatedSince", "CREATED"},
                                                                   {"CreatedAt", "CREATED AT"},
                                                                   {"CreatedBy", "CREATED BY"},
                                                                   {"Size", "SIZE"},
                                                                   {"Comment", "COMMENT"}};

nlohmann::ordered_json Row(const images::v1::ImageHistoryEntry& entry,
                           const HistoryOptions& options) {
  absl::Time created =
      entry.has_created() ? absl::FromUnixSeconds(entry.created().seconds()) : absl::InfinitePast();
  std::string id = entry.id();
  if (!options.no_trunc && id != "<missing>") id = ImageIdShort(id);
  std::string created_by = absl::StrReplaceAll(entry.created_by(), {{"\t", " "}, {"\n", " "}});
  if (!options.no_trunc) created_by = Ellipsis(created_by, 45);
  nlohmann::ordered_json row;
  row["Comment"] = entry.comment();
  row["CreatedAt"] = Rfc3339(created);
  row["CreatedBy"] = created_by;
  row["CreatedSince"] = options.human ? TimeAgo(created) : Rfc3339(created);
  row["ID"] = id;
  row["Size"] = options.human ? HumanSize(entry.size()) : std::to_string(entry.size());
  return row;
}

int Run(const GlobalOptions& global, const HistoryOptions& options) {
  images::v1::ImageHistoryRequest request;
  request.set_name(options.image);
  images::v1::ImageHistoryResponse response;
  grpc::Status status = CallImages(global, [&](auto& stub, auto& context) {
    return stub.History(&context, request, &response);
  });
  if (!status.ok()) return ReportCallError(global, status);
  std::vector<nlohmann::ordered_json> rows;
  for (const auto& entry : response.history()) rows.push_back(Row(entry, options));
  if (options.quiet) {
    for (const auto& row : rows) std::printf("%s\n", row["ID"].get<std::string>().c_str());
    return 0;
  }
  std::fputs(
      RenderRows(rows, options.format,
                 "{{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}", kHeaders)
          .c_str(),
      stdout);
  return 0;
}

}  // namespace

void AddImageHistoryCommand(CLI::App& parent, CommandRunner& run) {
  auto* cmd = parent.add_subcommand("history", "Show the history of an image");
  auto options = std::make_shared<HistoryOptions>();
  cmd->add_flag("-q,--quiet", options->quiet, "Only show image IDs");
  cmd->add_flag("--no-trunc", options->no_trunc, "Don't truncate output");
  cmd->add_flag("-H,--human,!--no-human", options->human,
                "Print sizes and dates in human readable format (default true)");
  cmd->add_option("--format", options->format,
                  "Format output using a custom template: 'table', 'table TEMPLATE', 'json' or "
                  "TEMPLATE");
  cmd->add_option("IMAGE", options->image, "Image")->required();
  cmd->callback([&run, options] {
    run = [options](const GlobalOptions& global) { return Run(global, *options); };
  });
}

}  // namespace berth::ctl
