#include "ctl/daemon_call.h"

#include <chrono>
#include <cstdio>

#include "common/rpc/namespace.h"

namespace berth::ctl {

void PrepareCall(grpc::ClientContext& context, int seconds) {
  rpc::SetNamespace(context, kCtlNamespace);
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
}

int ReportCallError(const GlobalOptions& options, const grpc::Status& status) {
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
    std::fprintf(stderr, "%s\n", CannotConnectMessage(options, status.error_message()).c_str());
  } else {
    std::fprintf(stderr, "Error response from daemon: %s\n", status.error_message().c_str());
  }
  return 1;
}

}  // namespace berth::ctl
