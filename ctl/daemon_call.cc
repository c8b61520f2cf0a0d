#include "ctl/daemon_call.h"

#include <chrono>
#include <cstdio>

#include "common/rpc/namespace.h"
#include "ctl/shared_channels.h"

namespace berth::ctl {

void PrepareCall(grpc::ClientContext& context, int seconds) {
  rpc::SetNamespace(context, kCtlNamespace);
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
}

namespace {

// UNAVAILABLE comes both from an unreachable berthd and from berthd relaying an unreachable
// registry; only a fresh connection tells them apart.
bool DaemonAnswers(const GlobalOptions& options) {
  auto channel = ConnectFresh(options);
  return channel.ok() &&
         (*channel)->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(1));
}

}  // namespace

int ReportCallError(const GlobalOptions& options, const grpc::Status& status) {
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE && !DaemonAnswers(options)) {
    std::fprintf(stderr, "%s\n", CannotConnectMessage(options, status.error_message()).c_str());
  } else {
    std::fprintf(stderr, "Error response from daemon: %s\n", status.error_message().c_str());
  }
  return 1;
}

int ReportConnectError(const GlobalOptions& options, const absl::Status& status) {
  std::fprintf(stderr, "%s\n",
               CannotConnectMessage(options, std::string(status.message())).c_str());
  return 1;
}

bool AddFilterFlags(const std::vector<std::string>& flags,
                    google::protobuf::RepeatedPtrField<types::v1::Filter>* out) {
  for (const std::string& flag : flags) {
    const size_t eq = flag.find('=');
    if (eq == std::string::npos) {
      std::fprintf(stderr, "bad format of filter (expected name=value)\n");
      return false;
    }
    types::v1::Filter* filter = out->Add();
    filter->set_key(flag.substr(0, eq));
    filter->add_values(flag.substr(eq + 1));
  }
  return true;
}

}  // namespace berth::ctl
