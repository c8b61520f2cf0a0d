// berthctl's container commands and what their files share beyond container_client.h.
#pragma once

#include <string>

#include "berth/runtime/v1/containers.pb.h"
#include "ctl/attach_session.h"
#include "ctl/command.h"

namespace berth::ctl {

// Each adds its command(s) under `parent` (the top level or the `container` group).
void AddCreateCommand(CLI::App& parent, CommandRunner& run);
void AddRunCommand(CLI::App& parent, CommandRunner& run);
void AddLifecycleCommands(CLI::App& parent,
                          CommandRunner& run);  // stop kill restart pause unpause wait
void AddStartCommand(CLI::App& parent, CommandRunner& run);
void AddRemoveCommands(CLI::App& parent, CommandRunner& run);  // rm rename
void AddContainerPruneCommand(CLI::App& parent, CommandRunner& run);
void AddPsCommand(CLI::App& parent, const std::string& name, CommandRunner& run);
void AddLogsCommand(CLI::App& parent, CommandRunner& run);
// `inspect` under `container`, or the top-level one that falls back to images.
void AddContainerInspectCommand(CLI::App& parent, bool any_object, CommandRunner& run);
void AddExecCommand(CLI::App& parent, CommandRunner& run);
void AddTopCommand(CLI::App& parent, CommandRunner& run);
void AddAttachCommand(CLI::App& parent, CommandRunner& run);
void AddStatsCommand(CLI::App& parent, CommandRunner& run);
void AddUpdateCommand(CLI::App& parent, CommandRunner& run);
void AddPortCommand(CLI::App& parent, CommandRunner& run);

// Containers.Create, pulling the image first as Docker does when berthd has none;
// prints the daemon's warnings. Returns the exit code to use on failure (0: created).
int CreateContainer(const GlobalOptions& global, const std::string& command,
                    const runtime::v1::CreateContainerRequest& request, std::string* id);

// Attaches to `target` (a container's init or an exec), calls `start` once attached and
// returns Docker's exit code: the process's, 0 when detached, 125/126/127 when `start`
// failed.
int AttachAndStart(const GlobalOptions& global, const std::string& command,
                   const AttachTarget& target, const std::function<grpc::Status()>& start);

}  // namespace berth::ctl
