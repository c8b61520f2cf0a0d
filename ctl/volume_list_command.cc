// berthctl volume ls and volume inspect, as `docker volume ls` / `docker volume inspect`.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "berth/volumes/v1/volumes.grpc.pb.h"
#include "ctl/daemon_call.h"
#include "ctl/output_format.h"
#include "ctl/volume_commands.h"

namespace berth::ctl {
namespace {

using volumes::v1::Volumes;

// Docker prints a volume's creation time to the second, in RFC 3339.
std::string CreatedAt(const google::protobuf::Timestamp& time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(time.seconds()),
                          absl::UTCTimeZone());
}

// A Go map as Docker's JSON shows it: null when empty.
nlohmann::ordered_json MapOrNull(const google::protobuf::Map<std::string, std::string>& map) {
  if (map.empty()) return nullptr;
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  std::vector<std::string> keys;
  for (const auto& [key, value] : map) keys.push_back(key);
  std::sort(keys.begin(), keys.end());
  for (const std::string& key : keys) out[key] = map.at(key);
  return out;
}

nlohmann::ordered_json InspectJson(const volumes::v1::Volume& volume) {
  nlohmann::ordered_json out;
  out["CreatedAt"] = CreatedAt(volume.created_at());
  out["Driver"] = volume.driver();
  out["Labels"] = MapOrNull(volume.labels());
  out["Mountpoint"] = volume.mountpoint();
  out["Name"] = volume.name();
  out["Options"] = MapOrNull(volume.options());
  out["Scope"] = volume.scope();
  return out;
}

// The fields `volume ls --format` knows (Docker's volume formatter).
nlohmann::ordered_json Row(const volumes::v1::Volume& volume) {
  std::vector<std::string> labels;
  for (const auto& [key, value] : volume.labels()) labels.push_back(key + "=" + value);
  std::sort(labels.begin(), labels.end());
  nlohmann::ordered_json row;
  row["Availability"] = "N/A";
  row["Driver"] = volume.driver();
  row["Group"] = "N/A";
  row["Labels"] = absl::StrJoin(labels, ",");
  row["Links"] = volume.usage_data().ref_count() >= 0
                     ? std::to_string(volume.usage_data().ref_count())
                     : "N/A";
  row["Mountpoint"] = volume.mountpoint();
  row["Name"] = volume.name();
  row["Scope"] = volume.scope();
  row["Size"] = volume.usage_data().size() >= 0 ? HumanSize(volume.usage_data().size()) : "N/A";
  row["Status"] = "N/A";
  return row;
}

const std::vector<std::pair<std::string, std::string>> kHeaders = {
    {"Driver", "DRIVER"}, {"Name", "VOLUME NAME"}, {"Scope", "SCOPE"}, {"Mountpoint", "MOUNTPOINT"},
    {"Labels", "LABELS"}, {"Links", "LINKS"},      {"Size", "SIZE"}};

struct ListFlags {
  bool quiet = false;
  std::string format;
  std::vector<std::string> filters;
};

int RunList(const GlobalOptions& global, const ListFlags& flags) {
  volumes::v1::ListVolumesRequest request;
  if (!AddFilterFlags(flags.filters, request.mutable_filters())) return kExitUsage;
  volumes::v1::ListVolumesResponse response;
  grpc::Status status = CallService<Volumes>(
      global, [&](auto& stub, auto& context) { return stub.List(&context, request, &response); });
  if (!status.ok()) return ReportCallError(global, status);
  if (flags.quiet) {
    for (const auto& volume : response.volumes()) std::printf("%s\n", volume.name().c_str());
    return 0;
  }
  std::vector<nlohmann::ordered_json> rows;
  for (const auto& volume : response.volumes()) rows.push_back(Row(volume));
  std::fputs(RenderRows(rows, flags.format, "{{.Driver}}\t{{.Name}}", kHeaders).c_str(), stdout);
  return 0;
}

struct InspectFlags {
  std::string format;
  std::vector<std::string> names;
};

int RunInspect(const GlobalOptions& global, const InspectFlags& flags) {
  nlohmann::ordered_json all = nlohmann::ordered_json::array();
  int exit_code = 0;
  for (const std::string& name : flags.names) {
    volumes::v1::GetVolumeRequest request;
    request.set_name(name);
    volumes::v1::GetVolumeResponse response;
    grpc::Status status = CallService<Volumes>(
        global, [&](auto& stub, auto& context) { return stub.Get(&context, request, &response); });
    if (!status.ok()) {
      exit_code = ReportCallError(global, status);
      continue;
    }
    all.push_back(InspectJson(response.volume()));
  }
  if (!flags.format.empty()) {
    for (const auto& volume : all)
      std::printf("%s\n", ExpandTemplate(flags.format, volume).c_str());
  } else {
    std::printf("%s\n", all.dump(4).c_str());
  }
  return exit_code;
}

}  // namespace

void AddVolumeListCommand(CLI::App& parent, CommandRunner& run) {
  auto flags = std::make_shared<ListFlags>();
  auto* cmd = parent.add_subcommand("ls", "List volumes");
  cmd->alias("list");
  cmd->add_flag("-q,--quiet", flags->quiet, "Only display volume names");
  cmd->add_option("--format", flags->format,
                  "Format output using a custom template: 'table', 'table TEMPLATE', 'json' or "
                  "TEMPLATE");
  cmd->add_option("-f,--filter", flags->filters, "Provide filter values (e.g. \"dangling=true\")")
      ->allow_extra_args(false);
  cmd->callback([&run, flags] {
    run = [flags](const GlobalOptions& global) { return RunList(global, *flags); };
  });
}

void AddVolumeInspectCommand(CLI::App& parent, CommandRunner& run) {
  auto flags = std::make_shared<InspectFlags>();
  auto* cmd =
      parent.add_subcommand("inspect", "Display detailed information on one or more volumes");
  cmd->add_option("-f,--format", flags->format, "Format output using a custom template");
  cmd->add_option("VOLUME", flags->names, "Volumes to inspect")->required();
  cmd->callback([&run, flags] {
    run = [flags](const GlobalOptions& global) { return RunInspect(global, *flags); };
  });
}

}  // namespace berth::ctl
