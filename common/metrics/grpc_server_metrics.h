// go-grpc-prometheus' grpc_server_* families, fed by a server interceptor, so
// dashboards built for Go gRPC servers read berth unchanged.
#pragma once

#include <grpcpp/support/server_interceptor.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace berth::metrics {

// "unary", "client_stream", "server_stream" or "bidi_stream", as go-grpc-prometheus.
std::string GrpcTypeName(bool client_streaming, bool server_streaming);
// Go's codes.Code.String(): "OK", "NotFound", "Unimplemented", …
std::string GrpcCodeName(int code);

class GrpcServerMetrics {
 public:
  explicit GrpcServerMetrics(prometheus::Registry& registry);

  // Creates a method's series at zero (as go-grpc-prometheus' InitializeMetrics does for
  // every method of every registered service). `method` is "/pkg.Service/Method".
  void InitializeMethod(const std::string& method, bool client_streaming, bool server_streaming);

  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> MakeInterceptorFactory();

  struct MethodSeries {
    prometheus::Counter* started;
    prometheus::Counter* msg_received;
    prometheus::Counter* msg_sent;
    prometheus::Histogram* handling_seconds;
    std::map<int, prometheus::Counter*> handled;  // by code; guarded by mu_
  };
  // `method` is "/pkg.Service/Method".
  MethodSeries& SeriesFor(const std::string& method, const std::string& grpc_type);
  void ObserveHandled(MethodSeries& series, const std::string& method, const std::string& grpc_type,
                      int code, double seconds);

 private:
  prometheus::Family<prometheus::Counter>& started_;
  prometheus::Family<prometheus::Counter>& handled_;
  prometheus::Family<prometheus::Counter>& msg_received_;
  prometheus::Family<prometheus::Counter>& msg_sent_;
  prometheus::Family<prometheus::Histogram>& handling_seconds_;
  std::mutex mu_;
  std::map<std::string, MethodSeries> series_;
};

}  // namespace berth::metrics
