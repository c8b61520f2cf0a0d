#include "proto/service_methods.h"

#include <google/protobuf/descriptor.pb.h>

#include <cstddef>

#include "absl/strings/str_cat.h"

namespace berth::proto {

extern const unsigned char kServiceDescriptorSet[];
extern const std::size_t kServiceDescriptorSetSize;

std::map<std::string, std::vector<ServiceMethod>> ServiceMethods() {
  google::protobuf::FileDescriptorSet files;
  if (!files.ParseFromArray(kServiceDescriptorSet, static_cast<int>(kServiceDescriptorSetSize))) {
    return {};
  }
  std::map<std::string, std::vector<ServiceMethod>> services;
  for (const google::protobuf::FileDescriptorProto& file : files.file()) {
    for (const google::protobuf::ServiceDescriptorProto& service : file.service()) {
      const std::string name = file.package().empty()
                                   ? service.name()
                                   : absl::StrCat(file.package(), ".", service.name());
      std::vector<ServiceMethod>& methods = services[name];
      for (const google::protobuf::MethodDescriptorProto& method : service.method()) {
        methods.push_back({method.name(), method.client_streaming(), method.server_streaming()});
      }
    }
  }
  return services;
}

}  // namespace berth::proto
