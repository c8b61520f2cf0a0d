#include "common/metrics/grpc_server_metrics.h"

#include <array>
#include <chrono>

namespace berth::metrics {
namespace {

using prometheus::Labels;

Labels MethodLabels(const std::string& method, const std::string& grpc_type) {
  // "/berth.system.v1.System/Version" → service "berth.system.v1.System", method "Version".
  size_t slash = method.rfind('/');
  std::string service = method.substr(1, slash == std::string::npos ? 0 : slash - 1);
  std::string name = slash == std::string::npos ? method : method.substr(slash + 1);
  return {{"grpc_type", grpc_type}, {"grpc_service", service}, {"grpc_method", name}};
}

std::string TypeOf(grpc::experimental::ServerRpcInfo::Type type) {
  using Type = grpc::experimental::ServerRpcInfo::Type;
  switch (type) {
    case Type::UNARY:
      return GrpcTypeName(false, false);
    case Type::CLIENT_STREAMING:
      return GrpcTypeName(true, false);
    case Type::SERVER_STREAMING:
      return GrpcTypeName(false, true);
    case Type::BIDI_STREAMING:
      return GrpcTypeName(true, true);
  }
  return "unary";
}

class MetricsInterceptor : public grpc::experimental::Interceptor {
 public:
  MetricsInterceptor(GrpcServerMetrics& metrics, std::string method, std::string grpc_type)
      : metrics_(metrics),
        method_(std::move(method)),
        grpc_type_(std::move(grpc_type)),
        series_(metrics.SeriesFor(method_, grpc_type_)),
        start_(std::chrono::steady_clock::now()) {
    series_.started->Increment();
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    using grpc::experimental::InterceptionHookPoints;
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE)) {
      series_.msg_received->Increment();
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_MESSAGE)) {
      series_.msg_sent->Increment();
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start_;
      metrics_.ObserveHandled(series_, method_, grpc_type_, methods->GetSendStatus().error_code(),
                              elapsed.count());
    }
    methods->Proceed();
  }

 private:
  GrpcServerMetrics& metrics_;
  std::string method_;
  std::string grpc_type_;
  GrpcServerMetrics::MethodSeries& series_;
  std::chrono::steady_clock::time_point start_;
};

class MetricsInterceptorFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit MetricsInterceptorFactory(GrpcServerMetrics& metrics) : metrics_(metrics) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new MetricsInterceptor(metrics_, info->method(), TypeOf(info->type()));
  }

 private:
  GrpcServerMetrics& metrics_;
};

// go-grpc-prometheus uses prometheus.DefBuckets for grpc_server_handling_seconds.
const prometheus::Histogram::BucketBoundaries& DefaultBuckets() {
  static const prometheus::Histogram::BucketBoundaries buckets = {
      0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  return buckets;
}

}  // namespace

std::string GrpcTypeName(bool client_streaming, bool server_streaming) {
  if (client_streaming && server_streaming) return "bidi_stream";
  if (client_streaming) return "client_stream";
  if (server_streaming) return "server_stream";
  return "unary";
}

std::string GrpcCodeName(int code) {
  static constexpr std::array<const char*, 17> kNames = {
      "OK",       "Canceled",       "Unknown",          "InvalidArgument",   "DeadlineExceeded",
      "NotFound", "AlreadyExists",  "PermissionDenied", "ResourceExhausted", "FailedPrecondition",
      "Aborted",  "OutOfRange",     "Unimplemented",    "Internal",          "Unavailable",
      "DataLoss", "Unauthenticated"};
  if (code >= 0 && code < static_cast<int>(kNames.size())) return kNames[code];
  return "Code(" + std::to_string(code) + ")";
}

GrpcServerMetrics::GrpcServerMetrics(prometheus::Registry& registry)
    : started_(prometheus::BuildCounter()
                   .Name("grpc_server_started_total")
                   .Help("Total number of RPCs started on the server.")
                   .Register(registry)),
      handled_(prometheus::BuildCounter()
                   .Name("grpc_server_handled_total")
                   .Help("Total number of RPCs completed on the server, regardless of success or "
                         "failure.")
                   .Register(registry)),
      msg_received_(prometheus::BuildCounter()
                        .Name("grpc_server_msg_received_total")
                        .Help("Total number of RPC stream messages received on the server.")
                        .Register(registry)),
      msg_sent_(prometheus::BuildCounter()
                    .Name("grpc_server_msg_sent_total")
                    .Help("Total number of gRPC stream messages sent by the server.")
                    .Register(registry)),
      handling_seconds_(prometheus::BuildHistogram()
                            .Name("grpc_server_handling_seconds")
                            .Help("Histogram of response latency (seconds) of gRPC that had been "
                                  "application-level handled by the server.")
                            .Register(registry)) {}

GrpcServerMetrics::MethodSeries& GrpcServerMetrics::SeriesFor(const std::string& method,
                                                              const std::string& grpc_type) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = series_.find(method);
  if (it != series_.end()) return it->second;
  Labels labels = MethodLabels(method, grpc_type);
  MethodSeries series{&started_.Add(labels),
                      &msg_received_.Add(labels),
                      &msg_sent_.Add(labels),
                      &handling_seconds_.Add(labels, DefaultBuckets()),
                      {}};
  return series_.emplace(method, std::move(series)).first->second;
}

void GrpcServerMetrics::ObserveHandled(MethodSeries& series, const std::string& method,
                                       const std::string& grpc_type, int code, double seconds) {
  prometheus::Counter* handled = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = series.handled.find(code);
    if (it == series.handled.end()) {
      Labels labels = MethodLabels(method, grpc_type);
      labels["grpc_code"] = GrpcCodeName(code);
      it = series.handled.emplace(code, &handled_.Add(labels)).first;
    }
    handled = it->second;
  }
  handled->Increment();
  series.handling_seconds->Observe(seconds);
}

void GrpcServerMetrics::InitializeMethod(const std::string& method, bool client_streaming,
                                         bool server_streaming) {
  std::string type = GrpcTypeName(client_streaming, server_streaming);
  MethodSeries& series = SeriesFor(method, type);
  std::lock_guard<std::mutex> lock(mu_);
  if (series.handled.find(0) == series.handled.end()) {
    Labels labels = MethodLabels(method, type);
    labels["grpc_code"] = "OK";
    series.handled.emplace(0, &handled_.Add(labels));
  }
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
GrpcServerMetrics::MakeInterceptorFactory() {
  return std::make_unique<MetricsInterceptorFactory>(*this);
}

}  // namespace berth::metrics
