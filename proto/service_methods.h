// The methods of berth's gRPC services, known without the generated descriptor pool.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace berth::proto {

struct ServiceMethod {
  std::string name;  // "Create"
  bool client_streaming = false;
  bool server_streaming = false;
};

// Every service of proto/ by its full name ("berth.runtime.v1.Containers") with its
// methods in declaration order, read in one parse of the services' FileDescriptorSet
// compiled into the binary: asking the generated descriptor pool instead would build,
// and keep for good, the descriptors of every file the services import (about 0.7 MB in
// berthd).
std::map<std::string, std::vector<ServiceMethod>> ServiceMethods();

}  // namespace berth::proto
