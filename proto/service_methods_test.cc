#include "proto/service_methods.h"

#include <google/protobuf/descriptor.h>

#include "berth/images/v1/images.pb.h"
#include "berth/network/v1/network.pb.h"
#include "berth/runtime/v1/containers.pb.h"
#include "berth/runtime/v1/events.pb.h"
#include "berth/runtime/v1/tasks.pb.h"
#include "berth/system/v1/system.pb.h"
#include "berth/volumes/v1/volumes.pb.h"
#include "grpc/health/v1/health.pb.h"
#include "gtest/gtest.h"

namespace berth::proto {
namespace {

// The generated pool, which berthd avoids, is the reference: every service of these
// files (a message of each links its descriptor in).
TEST(ServiceMethodsTest, MatchTheGeneratedDescriptors) {
  const std::map<std::string, std::vector<ServiceMethod>> all = ServiceMethods();
  int services = 0;
  for (const google::protobuf::FileDescriptor* file :
       {berth::images::v1::Image::descriptor()->file(),
        berth::network::v1::IpamConfig::descriptor()->file(),
        berth::runtime::v1::CommandLine::descriptor()->file(),
        berth::runtime::v1::EventActor::descriptor()->file(),
        berth::runtime::v1::TerminalSize::descriptor()->file(),
        berth::system::v1::VersionRequest::descriptor()->file(),
        berth::volumes::v1::VolumeUsageData::descriptor()->file(),
        grpc::health::v1::HealthCheckRequest::descriptor()->file()}) {
    for (int s = 0; s < file->service_count(); ++s, ++services) {
      const google::protobuf::ServiceDescriptor* service = file->service(s);
      SCOPED_TRACE(service->full_name());
      ASSERT_EQ(all.count(service->full_name()), 1u);
      const std::vector<ServiceMethod>& methods = all.at(service->full_name());
      ASSERT_EQ(methods.size(), static_cast<size_t>(service->method_count()));
      for (int i = 0; i < service->method_count(); ++i) {
        EXPECT_EQ(methods[i].name, service->method(i)->name());
        EXPECT_EQ(methods[i].client_streaming, service->method(i)->client_streaming());
        EXPECT_EQ(methods[i].server_streaming, service->method(i)->server_streaming());
      }
    }
  }
  EXPECT_GE(services, 9);
}

TEST(ServiceMethodsTest, KnowsStreamingShapes) {
  bool found_attach = false;
  for (const ServiceMethod& m : ServiceMethods().at("berth.runtime.v1.Tasks")) {
    if (m.name != "Attach") continue;
    found_attach = true;
    EXPECT_TRUE(m.client_streaming);
    EXPECT_TRUE(m.server_streaming);
  }
  EXPECT_TRUE(found_attach);
}

TEST(ServiceMethodsTest, UnknownServiceHasNone) {
  EXPECT_EQ(ServiceMethods().count("berth.nosuch.v1.Service"), 0u);
  EXPECT_EQ(ServiceMethods().count("Tasks"), 0u);  // full names only
}

}  // namespace
}  // namespace berth::proto
