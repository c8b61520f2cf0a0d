#include "ctl/container_client.h"

#include "absl/strings/match.h"

namespace berth::ctl {

int ReportRunError(const GlobalOptions& global, const std::string& command,
                   const grpc::Status& status, int exit_code) {
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
    ReportCallError(global, status);
  } else {
    std::string message = status.error_message();
    if (!absl::EndsWith(message, ".")) message += ".";
    std::fprintf(stderr, "berthctl: Error response from daemon: %s\n", message.c_str());
  }
  std::fprintf(stderr, "See 'berthctl %s --help'.\n", command.c_str());
  return exit_code;
}

int ReportUsageError(const std::string& command, const std::string& message) {
  std::fprintf(stderr, "berthctl: %s\nSee 'berthctl %s --help'.\n", message.c_str(),
               command.c_str());
  return kExitUsage;
}

int ForEachContainer(const GlobalOptions& global, const std::vector<std::string>& names,
                     const std::function<grpc::Status(const std::string& name)>& act,
                     bool print_names) {
  int exit_code = 0;
  for (const std::string& name : names) {
    grpc::Status status = act(name);
    if (!status.ok()) {
      exit_code = ReportCallError(global, status);
      continue;
    }
    if (print_names) std::printf("%s\n", name.c_str());
  }
  std::fflush(stdout);
  return exit_code;
}

}  // namespace berth::ctl
