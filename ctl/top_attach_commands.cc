// berthctl top (the container's processes, as ps shows them) and attach (the local
// terminal to a running container's stdio).
#include <algorithm>
#include <cstdio>
#include <memory>

#include "absl/strings/str_join.h"
#include "ctl/container_client.h"
#include "ctl/container_commands.h"

namespace berth::ctl {
namespace {

struct TopFlags {
  std::string container;
  std::vector<std::string> ps_args;
};

struct AttachFlags {
  std::string container;
  bool no_stdin = false;
  bool sig_proxy = true;  // signals to the process, unless it has a terminal
  std::string detach_keys;
};

// Columns aligned as Docker's top aligns them (tabwriter: minwidth 20, padding 3).
std::string RenderTop(const runtime::v1::TopResponse& top) {
  std::vector<std::vector<std::string>> rows;
  rows.emplace_back(top.titles().begin(), top.titles().end());
  for (const auto& process : top.processes()) {
    rows.emplace_back(process.fields().begin(), process.fields().end());
  }
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    for (size_t i = 0; i + 1 < row.size(); ++i) {
      if (widths.size() <= i) widths.resize(i + 1, 20);
      widths[i] = std::max(widths[i], row[i].size() + 3);
    }
  }
  std::string out;
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      out += row[i];
      if (i + 1 < row.size()) out.append(widths[i] - row[i].size(), ' ');
    }
    out += "\n";
  }
  return out;
}

int RunTop(const GlobalOptions& global, const TopFlags& flags) {
  runtime::v1::TopRequest request;
  request.set_id(flags.container);
  request.set_ps_args(absl::StrJoin(flags.ps_args, " "));
  runtime::v1::TopResponse response;
  grpc::Status status = CallService<runtime::v1::Tasks>(
      global, [&](auto& stub, auto& context) { return stub.Top(&context, request, &response); });
  if (!status.ok()) return ReportCallError(global, status);
  std::fputs(RenderTop(response).c_str(), stdout);
  return 0;
}

int RunAttach(const GlobalOptions& global, const AttachFlags& flags) {
  runtime::v1::InspectContainerResponse inspect;
  grpc::Status status =
      CallService<runtime::v1::Containers>(global, [&](auto& stub, auto& context) {
        runtime::v1::InspectContainerRequest request;
        request.set_id(flags.container);
        return stub.Inspect(&context, request, &inspect);
      });
  if (!status.ok()) return ReportCallError(global, status);
  const auto& container = inspect.container();
  const auto state = container.state().status();
  if (state == runtime::v1::CONTAINER_STATUS_PAUSED) {
    std::fprintf(stderr, "You cannot attach to a paused container, unpause it first\n");
    return 1;
  }
  if (state != runtime::v1::CONTAINER_STATUS_RUNNING &&
      state != runtime::v1::CONTAINER_STATUS_RESTARTING) {
    std::fprintf(stderr, "You cannot attach to a stopped container, start it first\n");
    return 1;
  }
  AttachTarget target;
  target.id = container.id();
  target.stdin = !flags.no_stdin && container.spec().open_stdin();
  target.tty = container.spec().tty();
  target.detach_keys = flags.detach_keys;
  target.sig_proxy = flags.sig_proxy;
  return AttachAndStart(global, "attach", target, nullptr);
}

}  // namespace

void AddTopCommand(CLI::App& parent, CommandRunner& run) {
  auto flags = std::make_shared<TopFlags>();
  auto* cmd = parent.add_subcommand("top", "Display the running processes of a container");
  cmd->prefix_command();  // ps options after CONTAINER are ps's
  cmd->callback([&run, flags, cmd] {
    std::vector<std::string> rest = cmd->remaining();
    if (!rest.empty()) {
      flags->container = rest[0];
      flags->ps_args.assign(rest.begin() + 1, rest.end());
    }
    run = [flags](const GlobalOptions& global) {
      if (flags->container.empty()) {
        return ReportUsageError("top", "\"top\" requires at least 1 argument.");
      }
      return RunTop(global, *flags);
    };
  });
}

void AddAttachCommand(CLI::App& parent, CommandRunner& run) {
  auto flags = std::make_shared<AttachFlags>();
  auto* cmd = parent.add_subcommand("attach",
                                    "Attach local standard input, output, and error streams to a "
                                    "running container");
  cmd->add_flag("--no-stdin", flags->no_stdin, "Do not attach STDIN");
  cmd->add_flag("--sig-proxy", flags->sig_proxy, "Proxy all received signals to the process");
  cmd->add_option("--detach-keys", flags->detach_keys,
                  "Override the key sequence for detaching a container");
  cmd->add_option("CONTAINER", flags->container, "Container")->required();
  cmd->callback([&run, flags] {
    run = [flags](const GlobalOptions& global) { return RunAttach(global, *flags); };
  });
}

}  // namespace berth::ctl
