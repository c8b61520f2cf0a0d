// berthctl stats: a live table of containers' resource usage (Tasks.Stats), redrawn every
// second as Docker does, or one sample with --no-stream.
#include <cstdio>
#include <map>
#include <memory>

#include "absl/strings/strip.h"
#include "common/rpc/namespace.h"
#include "ctl/container_client.h"
#include "ctl/container_commands.h"
#include "ctl/stats_format.h"

namespace berth::ctl {
namespace {

struct StatsFlags {
  std::vector<std::string> containers;
  bool all = false;
  bool no_stream = false;
  bool no_trunc = false;
  std::string format;
};

// What the table shows besides the sampled containers: the ones named on the command line
// (or, with -a, every container), stopped ones included with zeros.
struct Subjects {
  std::vector<StatsSubject> listed;
  std::vector<std::string> running_ids;  // what to ask samples for; empty with no names
};

absl::StatusOr<Subjects> FindSubjects(const GlobalOptions& global, const StatsFlags& flags) {
  Subjects subjects;
  for (const std::string& ref : flags.containers) {
    runtime::v1::InspectContainerResponse inspect;
    grpc::Status status =
        CallService<runtime::v1::Containers>(global, [&](auto& stub, auto& context) {
          runtime::v1::InspectContainerRequest request;
          request.set_id(ref);
          return stub.Inspect(&context, request, &inspect);
        });
    if (!status.ok()) return absl::NotFoundError(status.error_message());
    const auto& c = inspect.container();
    subjects.listed.push_back({ref, c.id(), std::string(absl::StripPrefix(c.name(), "/"))});
    if (c.state().status() == runtime::v1::CONTAINER_STATUS_RUNNING) {
      subjects.running_ids.push_back(c.id());
    }
  }
  if (flags.containers.empty() && flags.all) {
    runtime::v1::ListContainersResponse list;
    grpc::Status status =
        CallService<runtime::v1::Containers>(global, [&](auto& stub, auto& context) {
          runtime::v1::ListContainersRequest request;
          request.set_all(true);
          return stub.List(&context, request, &list);
        });
    if (!status.ok()) return absl::UnavailableError(status.error_message());
    for (const auto& c : list.containers()) {
      const std::string name =
          c.names().empty() ? "" : std::string(absl::StripPrefix(c.names(0), "/"));
      subjects.listed.push_back({c.id().substr(0, 12), c.id(), name});
    }
  }
  return subjects;
}

// One frame: the listed containers in order, then any other sampled one.
std::string Frame(const StatsFlags& flags, const Subjects& subjects,
                  const runtime::v1::StatsResponse& current,
                  const std::map<std::string, types::v1::ContainerMetrics>& previous) {
  std::map<std::string, const runtime::v1::ContainerStats*> by_id;
  for (const auto& stats : current.stats()) by_id[stats.id()] = &stats;
  std::vector<nlohmann::ordered_json> rows;
  auto add = [&](const StatsSubject& subject, const runtime::v1::ContainerStats* stats) {
    const types::v1::ContainerMetrics* before = nullptr;
    if (stats != nullptr) {
      auto it = previous.find(stats->id());
      if (it != previous.end()) before = &it->second;
    }
    rows.push_back(StatsFields(subject, stats != nullptr ? &stats->metrics() : nullptr, before,
                               flags.no_trunc));
  };
  for (const StatsSubject& subject : subjects.listed) {
    auto it = by_id.find(subject.id);
    add(subject, it == by_id.end() ? nullptr : it->second);
    if (it != by_id.end()) by_id.erase(it);
  }
  if (flags.containers.empty()) {
    for (const auto& stats : current.stats()) {
      if (by_id.count(stats.id()) == 0) continue;
      add({stats.id().substr(0, 12), stats.id(), stats.name()}, &stats);
    }
  }
  return RenderStats(rows, flags.format);
}

int Run(const GlobalOptions& global, const StatsFlags& flags) {
  absl::StatusOr<Subjects> subjects = FindSubjects(global, flags);
  if (!subjects.ok()) {
    std::fprintf(stderr, "Error response from daemon: %s\n",
                 std::string(subjects.status().message()).c_str());
    return 1;
  }
  const bool nothing_to_sample = !flags.containers.empty() && subjects->running_ids.empty();
  if (nothing_to_sample) {
    std::fputs(Frame(flags, *subjects, {}, {}).c_str(), stdout);
    return 0;
  }
  auto channel = Connect(global);
  if (!channel.ok()) return ReportConnectError(global, channel.status());
  grpc::ClientContext context;
  rpc::SetNamespace(context, kCtlNamespace);  // no deadline: streams until interrupted
  runtime::v1::StatsRequest request;
  for (const std::string& id : subjects->running_ids) request.add_ids(id);
  request.set_stream(true);  // CPU % needs two samples, also for --no-stream
  request.mutable_interval()->set_seconds(1);
  auto stream = runtime::v1::Tasks::NewStub(*channel)->Stats(&context, request);
  std::map<std::string, types::v1::ContainerMetrics> previous;
  runtime::v1::StatsResponse response;
  bool first = true;
  while (stream->Read(&response)) {
    if (!(flags.no_stream && first)) {
      const std::string frame = Frame(flags, *subjects, response, previous);
      // Docker clears the terminal and homes the cursor before each frame.
      if (!flags.no_stream) std::fputs("\033[2J\033[H", stdout);
      std::fputs(frame.c_str(), stdout);
      std::fflush(stdout);
      if (flags.no_stream) break;
    }
    first = false;
    previous.clear();
    for (const auto& stats : response.stats()) previous[stats.id()] = stats.metrics();
  }
  context.TryCancel();
  grpc::Status status = stream->Finish();
  if (!status.ok() && status.error_code() != grpc::StatusCode::CANCELLED) {
    return ReportCallError(global, status);
  }
  return 0;
}

}  // namespace

void AddStatsCommand(CLI::App& parent, CommandRunner& run) {
  auto flags = std::make_shared<StatsFlags>();
  auto* cmd = parent.add_subcommand("stats",
                                    "Display a live stream of container(s) resource "
                                    "usage statistics");
  cmd->add_flag("-a,--all", flags->all, "Show all containers (default shows just running)");
  cmd->add_flag("--no-stream", flags->no_stream,
                "Disable streaming stats and only pull the first result");
  cmd->add_flag("--no-trunc", flags->no_trunc, "Do not truncate output");
  cmd->add_option("--format", flags->format,
                  "Format output using a custom template: 'table', 'table TEMPLATE', 'json' or "
                  "'TEMPLATE'");
  cmd->add_option("CONTAINER", flags->containers, "Containers");
  cmd->callback([&run, flags] {
    run = [flags](const GlobalOptions& global) { return Run(global, *flags); };
  });
}

}  // namespace berth::ctl
