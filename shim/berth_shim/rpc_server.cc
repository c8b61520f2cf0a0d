#include "shim/berth_shim/rpc_server.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace berth::shim {
namespace {

// A slow reader loses its connection rather than growing the shim without bound.
constexpr size_t kMaxQueuedBytes = 16u << 20;

}  // namespace

void Reply::Finish(v1::Response& response) {
  auto connection = connection_.lock();
  const uint32_t id = id_;
  id_ = 0;
  if (connection == nullptr || id == 0) return;
  if (streaming_ && !connection->StreamOpen(id)) return;  // cancelled: answered already
  connection->EndStream(id);
  response.set_id(id);
  connection->Send(response);
}

void Reply::Ok(const google::protobuf::MessageLite& message) {
  v1::Response response;
  message.SerializeToString(response.mutable_payload());
  Finish(response);
}

void Reply::Error(const absl::Status& status) {
  v1::Response response;
  response.set_code(static_cast<int32_t>(status.code()));
  response.set_message(std::string(status.message()));
  Finish(response);
}

bool Reply::Stream(const google::protobuf::MessageLite& message) {
  auto connection = connection_.lock();
  if (connection == nullptr || id_ == 0 || !connection->StreamOpen(id_)) return false;
  v1::Response response;
  response.set_id(id_);
  response.set_more(true);
  message.SerializeToString(response.mutable_payload());
  connection->Send(response);
  return true;
}

bool Reply::alive() const {
  auto connection = connection_.lock();
  return connection != nullptr && id_ != 0;
}

void Connection::Send(const v1::Response& response) {
  if (!fd_) return;
  AppendFrame(response.SerializeAsString(), out_);
  Flush();
}

void Connection::Flush() {
  while (!out_.empty() && fd_) {
    ssize_t n = ::send(fd_.get(), out_.data(), out_.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      out_.erase(0, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    Close();
    return;
  }
  if (out_.size() > kMaxQueuedBytes) {
    Close();
    return;
  }
  const bool want_write = !out_.empty();
  if (want_write != want_write_ && fd_) {
    want_write_ = want_write;
    loop_.Modify(fd_.get(), want_write ? (EPOLLIN | EPOLLOUT) : EPOLLIN).IgnoreError();
  }
}

void Connection::OnEvents(uint32_t events,
                          const std::function<void(const v1::Request&)>& dispatch) {
  if (events & EPOLLOUT) Flush();
  if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) == 0) return;
  char buffer[64 * 1024];
  ssize_t n = ::recv(fd_.get(), buffer, sizeof(buffer), MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) {
    Close();
    return;
  }
  reader_.Append(buffer, static_cast<size_t>(n));
  auto self = shared_from_this();  // a dispatched call may close us
  while (fd_) {
    auto frame = reader_.Next();
    if (!frame.ok()) {
      Close();
      return;
    }
    if (!frame->has_value()) return;
    v1::Request request;
    if (!request.ParseFromString(**frame) || request.id() == 0) {
      Close();
      return;
    }
    dispatch(request);
  }
}

void Connection::Close() {
  if (!fd_) return;
  const int fd = fd_.get();
  loop_.Remove(fd);
  fd_.Reset();
  streams_.clear();
  out_.clear();
  if (on_close_) on_close_(fd);
}

void RpcServer::Register(const std::string& name, Method method, bool streaming) {
  methods_[absl::StrCat(kMethodPrefix, name)] = Registered{std::move(method), streaming};
}

absl::Status RpcServer::Start() {
  return loop_.Add(listener_.get(), EPOLLIN, [this](uint32_t) { Accept(); });
}

void RpcServer::Accept() {
  for (;;) {
    UniqueFd fd(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
    if (!fd) return;
    const int raw = fd.get();
    auto connection = std::make_shared<Connection>(
        loop_, std::move(fd), [this](int closed) { connections_.erase(closed); });
    std::weak_ptr<Connection> weak = connection;
    absl::Status added = loop_.Add(raw, EPOLLIN, [this, weak](uint32_t events) {
      if (auto c = weak.lock()) {
        c->OnEvents(events, [this, &c](const v1::Request& request) { Dispatch(c, request); });
      }
    });
    if (added.ok()) connections_[raw] = std::move(connection);
  }
}

void RpcServer::Dispatch(const std::shared_ptr<Connection>& connection,
                         const v1::Request& request) {
  if (request.method().empty()) {  // cancels stream `id`
    if (connection->StreamOpen(request.id())) {
      Reply(connection, request.id(), /*streaming=*/true)
          .Error(absl::CancelledError("cancelled by the client"));
    }
    return;
  }
  auto it = methods_.find(request.method());
  if (it == methods_.end()) {
    Reply(connection, request.id())
        .Error(absl::UnimplementedError(absl::StrCat("unknown method ", request.method())));
    return;
  }
  const bool streaming = it->second.streaming;
  if (streaming) connection->OpenStream(request.id());
  it->second.method(request.payload(), Reply(connection, request.id(), streaming));
}

}  // namespace berth::shim
