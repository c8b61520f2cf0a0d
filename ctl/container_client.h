// What berthctl's container commands share: one-call helpers for the runtime
// service's Containers and Tasks stubs, and Docker's way of reporting run errors.
#pragma once

#include <cstdio>
#include <string>
#include <utility>

#include "berth/runtime/v1/containers.grpc.pb.h"
#include "berth/runtime/v1/tasks.grpc.pb.h"
#include "ctl/command.h"
#include "ctl/daemon_call.h"

namespace berth::ctl {

// Docker's `docker run` error: "berthctl: Error response from daemon: <msg>." plus the
// help hint, on stderr; returns `exit_code`.
int ReportRunError(const GlobalOptions& global, const std::string& command,
                   const grpc::Status& status, int exit_code = kExitUsage);

// Docker's usage error for `command`: the message and "See 'berthctl <command> --help'.".
int ReportUsageError(const std::string& command, const std::string& message);

// For commands acting on several containers (stop, kill, rm…): `act` per name; on
// success the name is printed as given, on failure the daemon's error; exit 1 if any failed.
int ForEachContainer(const GlobalOptions& global, const std::vector<std::string>& names,
                     const std::function<grpc::Status(const std::string& name)>& act,
                     bool print_names = true);

}  // namespace berth::ctl
