#include "services/runtime/grpc/volumes_proxy.h"

#include <chrono>

#include "common/rpc/channel.h"
#include "common/rpc/status.h"
#include "common/status_macros.h"
#include "services/runtime/grpc/proxy_call.h"

namespace berth::runtime {
namespace {

// Copy-up of a large image directory is part of a Resolve.
constexpr auto kCallTimeout = std::chrono::minutes(5);

}  // namespace

absl::StatusOr<std::unique_ptr<VolumesProxy>> VolumesProxy::Dial(const std::string& address) {
  BERTH_ASSIGN_OR_RETURN(std::shared_ptr<grpc::Channel> channel, rpc::Dial(address));
  return std::unique_ptr<VolumesProxy>(new VolumesProxy(volumes::v1::Volumes::NewStub(channel)));
}

absl::StatusOr<volumes::v1::ResolveMountsResponse> VolumesProxy::Resolve(
    const std::string& ns, const volumes::v1::ResolveMountsRequest& request) {
  grpc::ClientContext context;
  PrepareProxyCall(context, ns, kCallTimeout);
  volumes::v1::ResolveMountsResponse response;
  BERTH_RETURN_IF_ERROR(rpc::FromGrpcStatus(stub_->Resolve(&context, request, &response)));
  return response;
}

absl::Status VolumesProxy::Release(const std::string& ns, const std::string& container_id,
                                   bool remove_anonymous) {
  grpc::ClientContext context;
  PrepareProxyCall(context, ns, kCallTimeout);
  volumes::v1::ReleaseMountsRequest request;
  request.set_container_id(container_id);
  request.set_remove_anonymous(remove_anonymous);
  volumes::v1::ReleaseMountsResponse response;
  return rpc::FromGrpcStatus(stub_->Release(&context, request, &response));
}

}  // namespace berth::runtime
