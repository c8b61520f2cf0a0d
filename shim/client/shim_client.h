// The runtime's side of a berth-shim: starting one, and calling it over its socket with
// the framed-protobuf protocol (proto/berth/shim/v1/shim.proto). Each call opens its own
// connection, so calls from many threads need no locking and a blocking Wait or a
// stream never holds up anything else.
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/unique_fd.h"
#include "google/protobuf/message_lite.h"
#include "shim/protocol/frame.h"

namespace berth::shim {

// Runs `shim_binary --id <id> --state-dir <state_dir>` and waits until its socket
// accepts connections (the started process exits once the shim has detached). The
// error carries the shim's stderr.
absl::Status LaunchShim(const std::string& shim_binary, const std::string& id,
                        const std::string& state_dir);

// The socket of the shim whose state dir is `state_dir`.
std::string ShimSocketPath(const std::string& state_dir);

// One server-streaming call: messages until the stream ends.
class ShimStream {
 public:
  explicit ShimStream(UniqueFd fd) : fd_(std::move(fd)) {}
  // The next message's payload; nullopt once the stream ended well; an error when it
  // ended with one or the connection broke; DeadlineExceeded when no whole message came
  // within `timeout` (ZeroDuration: only what has arrived; InfiniteDuration blocks).
  absl::StatusOr<std::optional<std::string>> Next(
      absl::Duration timeout = absl::InfiniteDuration());
  // Ends the stream from any thread; a blocked Next returns an error.
  void Cancel();
  int fd() const { return fd_.get(); }

 private:
  UniqueFd fd_;
  FrameReader reader_;
};

class ShimClient {
 public:
  explicit ShimClient(std::string socket_path) : socket_path_(std::move(socket_path)) {}
  const std::string& socket_path() const { return socket_path_; }

  // Calls `method` ("Create") and parses the answer into `response`.
  absl::Status Call(absl::string_view method, const google::protobuf::MessageLite& request,
                    google::protobuf::MessageLite* response,
                    absl::Duration timeout = absl::Seconds(60));

  template <typename Response, typename Request>
  absl::StatusOr<Response> Call(absl::string_view method, const Request& request,
                                absl::Duration timeout = absl::Seconds(60)) {
    Response response;
    absl::Status status = Call(method, request, &response, timeout);
    if (!status.ok()) return status;
    return response;
  }

  // Starts a streaming call (Subscribe, Attach).
  absl::StatusOr<std::unique_ptr<ShimStream>> Stream(absl::string_view method,
                                                     const google::protobuf::MessageLite& request);

 private:
  absl::StatusOr<UniqueFd> Send(absl::string_view method,
                                const google::protobuf::MessageLite& request);
  std::string socket_path_;
};

}  // namespace berth::shim
