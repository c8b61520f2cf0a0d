// Gives UNIMPLEMENTED answers of not-yet-built RPCs a message naming the RPC.
#pragma once

#include <grpcpp/support/server_interceptor.h>

#include <memory>

namespace berth::rpc {

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeUnimplementedMessageInterceptorFactory();

}  // namespace berth::rpc
