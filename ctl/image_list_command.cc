// berthctl images / image ls: one row per repository tag, as `docker images`.
#include <cstdio>
#include <memory>

#include "absl/strings/str_split.h"
#include "berth/images/v1/images.grpc.pb.h"
#include "ctl/command.h"
#include "ctl/daemon_call.h"
#include "ctl/image_commands.h"
#include "ctl/output_format.h"

namespace berth::ctl {
namespace {

struct ListOptions {
  bool all = false;
  bool quiet = false;
  bool digests = false;
  bool no_trunc = false;
  std::string format;
  std::vector<std::string> filters;  // "key=value"
  std::string repository;            // [REPOSITORY[:TAG]]: a reference filter
};

const std::vector<std::pair<std::string, std::string>> kHeaders = {{"Repository", "REPOSITORY"},
                                                                   {"Tag", "TAG"},
                                                                   {"Digest", "DIGEST"},
                                                                   {"ID", "IMAGE ID"},
                                                                   {"CreatedSince", "CREATED"},
                                                                   {"CreatedAt", "CREATED AT"},
                                                                   {"Size", "SIZE"}};

// The rows of one image: one per tag, or one per digest (tag "<none>") when untagged.
std::vector<nlohmann::ordered_json> Rows(const images::v1::ImageSummary& image,
                                         const ListOptions& options) {
  const absl::Time created =
      image.has_created() ? absl::FromUnixSeconds(image.created().seconds()) : absl::InfinitePast();
  std::string id = image.id();
  if (!options.no_trunc) id = ImageIdShort(id);
  std::vector<std::pair<std::string, std::string>> names;  // repository, tag
  for (const std::string& tag : image.repo_tags()) {
    size_t colon = tag.rfind(':');
    names.emplace_back(tag.substr(0, colon), tag.substr(colon + 1));
  }
  if (names.empty()) {
    for (const std::string& digest : image.repo_digests()) {
      names.emplace_back(digest.substr(0, digest.find('@')), "<none>");
    }
  }
  if (names.empty()) names.emplace_back("<none>", "<none>");
  std::vector<nlohmann::ordered_json> rows;
  for (const auto& [repository, tag] : names) {
    std::string digest = "<none>";
    for (const std::string& d : image.repo_digests()) {
      if (d.substr(0, d.find('@')) == repository) digest = d.substr(d.find('@') + 1);
    }
    nlohmann::ordered_json row;
    row["Containers"] = "N/A";
    row["CreatedAt"] = Rfc3339(created);
    row["CreatedSince"] = TimeAgo(created);
    row["Digest"] = digest;
    row["ID"] = id;
    row["Repository"] = repository;
    row["SharedSize"] = "N/A";
    row["Size"] = HumanSize(image.size());
    row["Tag"] = tag;
    row["UniqueSize"] = "N/A";
    row["VirtualSize"] = HumanSize(image.size());
    rows.push_back(std::move(row));
  }
  return rows;
}

int Run(const GlobalOptions& global, const ListOptions& options) {
  images::v1::ListImagesRequest request;
  request.set_all(options.all);
  if (!options.repository.empty()) {
    auto* f = request.add_filters();
    f->set_key("reference");
    f->add_values(options.repository);
  }
  if (!AddFilterFlags(options.filters, request.mutable_filters())) return kExitUsage;
  images::v1::ListImagesResponse response;
  grpc::Status status =
      CallImages(global, [&](images::v1::Images::Stub& stub, grpc::ClientContext& context) {
        return stub.List(&context, request, &response);
      });
  if (!status.ok()) return ReportCallError(global, status);

  std::vector<nlohmann::ordered_json> rows;
  for (const auto& image : response.images()) {
    for (auto& row : Rows(image, options)) rows.push_back(std::move(row));
  }
  if (options.quiet) {
    for (const auto& row : rows) std::printf("%s\n", row["ID"].get<std::string>().c_str());
    return 0;
  }
  const std::string columns =
      options.digests
          ? "{{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
          : "{{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}";
  std::fputs(RenderRows(rows, options.format, columns, kHeaders).c_str(), stdout);
  return 0;
}

}  // namespace

void AddImageListCommand(CLI::App& parent, const std::string& name, CommandRunner& run) {
  auto* cmd = parent.add_subcommand(name, "List images");
  auto options = std::make_shared<ListOptions>();
  cmd->add_flag("-a,--all", options->all, "Show all images (default hides intermediate images)");
  cmd->add_flag("-q,--quiet", options->quiet, "Only show image IDs");
  cmd->add_flag("--digests", options->digests, "Show digests");
  cmd->add_flag("--no-trunc", options->no_trunc, "Don't truncate output");
  cmd->add_option("--format", options->format,
                  "Format output using a custom template: 'table', 'table TEMPLATE', 'json' or "
                  "TEMPLATE");
  cmd->add_option("-f,--filter", options->filters, "Filter output based on conditions provided")
      ->allow_extra_args(false);
  cmd->add_option("REPOSITORY", options->repository, "[REPOSITORY[:TAG]]");
  cmd->callback([&run, options] {
    run = [options](const GlobalOptions& global) { return Run(global, *options); };
  });
}

}  // namespace berth::ctl
