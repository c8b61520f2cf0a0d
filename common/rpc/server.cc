#include "common/rpc/server.h"

#include <fcntl.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "common/rpc/address.h"
#include "common/rpc/channel.h"
#include "common/status_macros.h"
#include "common/unique_fd.h"

namespace berth::rpc {
namespace {

absl::Status ErrnoError(absl::string_view what, absl::string_view path) {
  return absl::InternalError(absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

// True when something accepts connections on the unix socket at `path`.
bool SocketIsLive(const std::string& path) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (!fd || path.size() >= sizeof(addr.sun_path)) return false;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
}

// A unix socket is bound inside a fresh 0700 directory, given its group and mode 0660
// there, and only then renamed to its public path: it is never reachable with another mode.
struct StagedSocket {
  std::string final_path;
  std::string staging_dir;
  std::string staging_path() const { return staging_dir + "/sock"; }
};

absl::StatusOr<StagedSocket> StageUnixSocket(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path parent = fs::path(path).parent_path();
  fs::create_directories(parent, ec);
  if (ec) return absl::InternalError(absl::StrCat("create ", parent.string(), ": ", ec.message()));

  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return absl::AlreadyExistsError(absl::StrCat(path, " exists and is not a socket"));
    }
    if (SocketIsLive(path)) {
      return absl::AlreadyExistsError(
          absl::StrCat("another process is serving on ", path, "; is berthd already running?"));
    }
    ::unlink(path.c_str());  // stale socket of a process that died
  }
  std::string tmpl =
      absl::StrCat(parent.string(), "/.", fs::path(path).filename().string(), ".XXXXXX");
  if (::mkdtemp(tmpl.data()) == nullptr) return ErrnoError("mkdtemp", tmpl);
  return StagedSocket{path, tmpl};
}

absl::Status PublishUnixSocket(const StagedSocket& staged, gid_t group) {
  std::string staged_path = staged.staging_path();
  if (::chown(staged_path.c_str(), ::geteuid(), group) != 0) {
    return ErrnoError("chown", staged_path);
  }
  if (::chmod(staged_path.c_str(), 0660) != 0) return ErrnoError("chmod", staged_path);
  if (::rename(staged_path.c_str(), staged.final_path.c_str()) != 0) {
    return ErrnoError("rename to", staged.final_path);
  }
  ::rmdir(staged.staging_dir.c_str());
  return absl::OkStatus();
}

void DiscardStaged(const std::vector<StagedSocket>& staged) {
  for (const auto& s : staged) {
    ::unlink(s.staging_path().c_str());
    ::rmdir(s.staging_dir.c_str());
  }
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> TcpCredentials(
    const ServerOptions& options, const std::string& address) {
  if (!options.tls.has_value()) {
    if (options.allow_insecure_tcp) return grpc::InsecureServerCredentials();
    return absl::FailedPreconditionError(
        absl::StrCat("refusing to listen on ", address,
                     " without mutual TLS: pass --tlsverify --tlscacert --tlscert --tlskey"));
  }
  grpc::SslServerCredentialsOptions ssl(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  BERTH_ASSIGN_OR_RETURN(ssl.pem_root_certs, ReadPemFile(options.tls->ca_cert));
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  BERTH_ASSIGN_OR_RETURN(pair.private_key, ReadPemFile(options.tls->key));
  BERTH_ASSIGN_OR_RETURN(pair.cert_chain, ReadPemFile(options.tls->cert));
  ssl.pem_key_cert_pairs.push_back(std::move(pair));
  return grpc::SslServerCredentials(ssl);
}

}  // namespace

absl::StatusOr<std::unique_ptr<RpcServer>> RpcServer::Start(ServerOptions options) {
  if (options.addresses.empty()) return absl::InvalidArgumentError("no listen address given");
  grpc::EnableDefaultHealthCheckService(true);

  grpc::ServerBuilder builder;
  builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
  builder.SetMaxSendMessageSize(kMaxMessageBytes);
  for (grpc::Service* service : options.services) builder.RegisterService(service);

  std::vector<StagedSocket> staged;
  struct TcpListener {
    std::string host;
    std::unique_ptr<int> port = std::make_unique<int>(0);
  };
  std::vector<TcpListener> tcp;
  for (const std::string& text : options.addresses) {
    auto parsed = ParseAddress(text);
    if (!parsed.ok()) {
      DiscardStaged(staged);
      return parsed.status();
    }
    if (parsed->kind == Address::Kind::kUnix) {
      auto s = StageUnixSocket(parsed->path);
      if (!s.ok()) {
        DiscardStaged(staged);
        return s.status();
      }
      builder.AddListeningPort(absl::StrCat("unix:", s->staging_path()),
                               grpc::InsecureServerCredentials());
      staged.push_back(*std::move(s));
    } else {
      auto credentials = TcpCredentials(options, text);
      if (!credentials.ok()) {
        DiscardStaged(staged);
        return credentials.status();
      }
      TcpListener listener;
      listener.host = parsed->hostport.substr(0, parsed->hostport.rfind(':'));
      builder.AddListeningPort(parsed->hostport, *credentials, listener.port.get());
      tcp.push_back(std::move(listener));
    }
  }
  if (!options.interceptors.empty()) {
    builder.experimental().SetInterceptorCreators(std::move(options.interceptors));
  }

  std::unique_ptr<RpcServer> result(new RpcServer());
  result->server_ = builder.BuildAndStart();
  if (result->server_ == nullptr) {
    DiscardStaged(staged);
    return absl::UnavailableError("gRPC server failed to start (address in use?)");
  }
  for (const TcpListener& listener : tcp) {
    if (*listener.port == 0) {
      result->Shutdown();
      DiscardStaged(staged);
      return absl::UnavailableError(absl::StrCat("could not bind tcp://", listener.host));
    }
    result->listen_addresses_.push_back(absl::StrCat("tcp://", listener.host, ":", *listener.port));
  }
  for (const StagedSocket& s : staged) {
    if (absl::Status st = PublishUnixSocket(s, options.socket_group); !st.ok()) {
      result->Shutdown();
      DiscardStaged(staged);
      return st;
    }
    result->socket_paths_.push_back(s.final_path);
    result->listen_addresses_.insert(result->listen_addresses_.begin(),
                                     absl::StrCat("unix://", s.final_path));
  }
  return result;
}

void RpcServer::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  for (const std::string& path : socket_paths_) ::unlink(path.c_str());
}

RpcServer::~RpcServer() { Shutdown(); }

}  // namespace berth::rpc
