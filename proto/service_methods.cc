#include "proto/service_methods.h"

#include <google/protobuf/descriptor.pb.h>

#include <cstddef>

#include "absl/strings/str_cat.h"

namespace berth::proto {

extern const unsigned char kServiceDescriptorSet[];
extern const std::size_t kServiceDescriptorSetSize;

std::vector<ServiceMethod> ServiceMethods(absl::string_view full_service_name) {
  google::protobuf::FileDescriptorSet files;
  if (!files.ParseFromArray(kServiceDescriptorSet, static_cast<int>(kServiceDescriptorSetSize))) {
    return {};
  }
  for (const google::protobuf::FileDescriptorProto& file : files.file()) {
    for (const google::protobuf::ServiceDescriptorProto& service : file.service()) {
      const std::string name = file.package().empty()
                                   ? service.name()
                                   : absl::StrCat(file.package(), ".", service.name());
      if (name != full_service_name) continue;
      std::vector<ServiceMethod> methods;
      for (const google::protobuf::MethodDescriptorProto& method : service.method()) {
        methods.push_back({method.name(), method.client_streaming(), method.server_streaming()});
      }
      return methods;
    }
  }
  return {};
}

}  // namespace berth::proto
