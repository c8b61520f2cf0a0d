// The shim's side of the framed-protobuf protocol (proto/berth/shim/v1/shim.proto): one
// listening unix socket, any number of client connections, all on the event loop.
// Methods answer through a Reply, at once or later (Wait, WriteStdin), or stream
// messages through it (Subscribe, Attach).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "berth/shim/v1/shim.pb.h"
#include "common/unique_fd.h"
#include "shim/berth_shim/event_loop.h"
#include "shim/protocol/frame.h"

namespace berth::shim {

class Connection;

// Where a call's answers go: any number of Stream()s, then one final Ok or Error (later
// ones are dropped). Harmless to use after the client went away.
class Reply {
 public:
  Reply() = default;
  Reply(std::weak_ptr<Connection> connection, uint32_t id, bool streaming = false)
      : connection_(std::move(connection)), id_(id), streaming_(streaming) {}

  void Ok(const google::protobuf::MessageLite& message);
  void Error(const absl::Status& status);
  // Answers `result`'s message or error.
  template <typename Message>
  void Answer(const absl::StatusOr<Message>& result) {
    if (result.ok()) {
      Ok(*result);
    } else {
      Error(result.status());
    }
  }
  // One message of a stream; false once the client has gone or cancelled the stream.
  bool Stream(const google::protobuf::MessageLite& message);
  bool alive() const;

 private:
  // The final answer, unless a stream was cancelled meanwhile.
  void Finish(v1::Response& response);

  std::weak_ptr<Connection> connection_;
  uint32_t id_ = 0;
  bool streaming_ = false;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(EventLoop& loop, UniqueFd fd, std::function<void(int)> on_close)
      : loop_(loop), fd_(std::move(fd)), on_close_(std::move(on_close)) {}
  int fd() const { return fd_.get(); }
  // Queues a frame and writes what the socket takes now.
  void Send(const v1::Response& response);
  void OnEvents(uint32_t events, const std::function<void(const v1::Request&)>& dispatch);
  void OpenStream(uint32_t id) { streams_.insert(id); }
  bool StreamOpen(uint32_t id) const { return streams_.contains(id); }
  void EndStream(uint32_t id) { streams_.erase(id); }
  void Close();

 private:
  void Flush();

  EventLoop& loop_;
  UniqueFd fd_;
  std::function<void(int)> on_close_;
  FrameReader reader_;
  std::string out_;
  std::set<uint32_t> streams_;
  bool want_write_ = false;
};

class RpcServer {
 public:
  using Method = std::function<void(const std::string& payload, Reply reply)>;

  RpcServer(EventLoop& loop, UniqueFd listener) : loop_(loop), listener_(std::move(listener)) {}
  // `name` is the bare RPC name ("Create"); `streaming` methods may answer many times.
  void Register(const std::string& name, Method method, bool streaming = false);
  absl::Status Start();
  size_t connections() const { return connections_.size(); }

 private:
  void Accept();
  void Dispatch(const std::shared_ptr<Connection>& connection, const v1::Request& request);

  struct Registered {
    Method method;
    bool streaming;
  };
  EventLoop& loop_;
  UniqueFd listener_;
  std::map<std::string, Registered> methods_;
  std::map<int, std::shared_ptr<Connection>> connections_;
};

// A unary method from a function of the request message.
template <typename Request, typename Response>
RpcServer::Method UnaryMethod(std::function<absl::StatusOr<Response>(const Request&)> handle) {
  return [handle = std::move(handle)](const std::string& payload, Reply reply) {
    Request request;
    if (!request.ParseFromString(payload)) {
      reply.Error(absl::InvalidArgumentError("the request message does not parse"));
      return;
    }
    reply.Answer(handle(request));
  };
}

// A method that answers later, or streams: the handler gets the Reply.
template <typename Request>
RpcServer::Method DeferredMethod(std::function<void(const Request&, Reply)> handle) {
  return [handle = std::move(handle)](const std::string& payload, Reply reply) {
    Request request;
    if (!request.ParseFromString(payload)) {
      reply.Error(absl::InvalidArgumentError("the request message does not parse"));
      return;
    }
    handle(request, std::move(reply));
  };
}

}  // namespace berth::shim
