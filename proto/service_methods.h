// The methods of berth's gRPC services, known without the generated descriptor pool.
#pragma once

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace berth::proto {

struct ServiceMethod {
  std::string name;  // "Create"
  bool client_streaming = false;
  bool server_streaming = false;
};

// The methods of a service of proto/ by its full name ("berth.runtime.v1.Containers"),
// in declaration order; empty for a service that is not there. Read from the services'
// FileDescriptorSet compiled into the binary: asking the generated descriptor pool
// instead would build, and keep for good, the descriptors of every file the service's
// file imports (about 0.7 MB in berthd).
std::vector<ServiceMethod> ServiceMethods(absl::string_view full_service_name);

}  // namespace berth::proto
