// A gRPC server on unix sockets (0660, created unreachable until its mode is set)
// and TCP (mutual TLS unless explicitly insecure), with berth's limits and health.
#pragma once

#include <grpcpp/server.h>
#include <grpcpp/support/server_interceptor.h>
#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace berth::rpc {

struct ServerTlsFiles {
  std::string ca_cert;  // clients must present a certificate signed by this CA
  std::string cert;
  std::string key;
};

struct ServerOptions {
  std::vector<std::string> addresses;  // unix:///path, tcp://host:port (port 0 picks one)
  std::optional<ServerTlsFiles> tls;
  bool allow_insecure_tcp = false;  // tcp:// without TLS; the caller warns loudly
  gid_t socket_group = 0;
  std::vector<grpc::Service*> services;  // not owned
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
};

class RpcServer {
 public:
  static absl::StatusOr<std::unique_ptr<RpcServer>> Start(ServerOptions options);
  ~RpcServer();
  RpcServer(const RpcServer&) = delete;
  RpcServer& operator=(const RpcServer&) = delete;

  // Addresses as bound: tcp:// with the real port.
  const std::vector<std::string>& listen_addresses() const { return listen_addresses_; }
  grpc::Server& server() { return *server_; }

  // Stops accepting, lets in-flight calls finish for up to 5 s, removes the sockets.
  void Shutdown();

 private:
  RpcServer() = default;

  std::unique_ptr<grpc::Server> server_;
  std::vector<std::string> listen_addresses_;
  std::vector<std::string> socket_paths_;
  bool shut_down_ = false;
};

}  // namespace berth::rpc
