#include "common/rpc/unimplemented_interceptor.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace berth::rpc {
namespace {

class UnimplementedMessageInterceptor : public grpc::experimental::Interceptor {
 public:
  explicit UnimplementedMessageInterceptor(std::string method) : method_(std::move(method)) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    using grpc::experimental::InterceptionHookPoints;
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      grpc::Status status = methods->GetSendStatus();
      // Generated service bases answer UNIMPLEMENTED with no message for RPCs no one wrote.
      if (status.error_code() == grpc::StatusCode::UNIMPLEMENTED &&
          status.error_message().empty()) {
        methods->ModifySendStatus(grpc::Status(
            grpc::StatusCode::UNIMPLEMENTED,
            absl::StrCat(method_, " is not implemented yet in this version of berth")));
      }
    }
    methods->Proceed();
  }

 private:
  std::string method_;
};

class UnimplementedMessageInterceptorFactory
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new UnimplementedMessageInterceptor(info->method());
  }
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeUnimplementedMessageInterceptorFactory() {
  return std::make_unique<UnimplementedMessageInterceptorFactory>();
}

}  // namespace berth::rpc
