// What the runtime's clients of the other services (images, volumes, network) set on
// every call: the namespace, a deadline, and waiting for a service still starting.
#pragma once

#include <grpcpp/client_context.h>

#include <chrono>
#include <string>

#include "common/rpc/namespace.h"

namespace berth::runtime {

inline void PrepareProxyCall(grpc::ClientContext& context, const std::string& ns,
                             std::chrono::seconds timeout) {
  rpc::SetNamespace(context, ns);
  context.set_deadline(std::chrono::system_clock::now() + timeout);
  context.set_wait_for_ready(true);
}

}  // namespace berth::runtime
