// Tasks.Attach: the client's bidirectional stream on one side, the shim's Attach stream
// and WriteStdin calls on the other, with Docker's detach keys on a terminal.
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "services/runtime/grpc/detach_keys.h"
#include "services/runtime/grpc/tasks_service.h"
#include "shim/protocol/frame.h"

namespace berth::runtime {
namespace {

v1::StdioStream ToProto(shim::v1::IOStream stream) {
  return stream == shim::v1::IO_STREAM_STDERR ? v1::STDIO_STREAM_STDERR : v1::STDIO_STREAM_STDOUT;
}

absl::Status WriteStdin(const AttachTarget& target, absl::string_view data) {
  for (size_t at = 0; at < data.size(); at += shim::kMaxChunkBytes) {
    shim::v1::WriteStdinRequest request;
    request.set_id(target.container_id);
    request.set_exec_id(target.exec_id);
    request.set_data(std::string(data.substr(at, shim::kMaxChunkBytes)));
    BERTH_RETURN_IF_ERROR(target.shim->Call("WriteStdin", request, nullptr));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status BridgeAttach(ContainerSupervisor& supervisor, const std::string& ns,
                          grpc::ServerContext& context,
                          grpc::ServerReaderWriter<v1::AttachResponse, v1::AttachRequest>& stream) {
  v1::AttachRequest first;
  if (!stream.Read(&first) || !first.has_options()) {
    return absl::InvalidArgumentError("the first attach message must carry the options");
  }
  const v1::AttachOptions options = first.options();
  BERTH_ASSIGN_OR_RETURN(std::string keys, ParseDetachKeys(options.detach_keys()));
  BERTH_ASSIGN_OR_RETURN(std::string id, supervisor.ResolveId(ns, options.id()));
  const ContainerSupervisor::ExitWatch exit_watch = supervisor.WatchExit(id);

  AttachTarget target;
  std::unique_ptr<shim::ShimStream> output;
  // Initial metadata tells the client the attach is in place: it may start the process.
  auto registered = [&] { stream.SendInitialMetadata(); };
  auto connect = [&](const AttachTarget& t) -> absl::Status {
    target = t;
    shim::v1::AttachIORequest request;
    request.set_id(t.container_id);
    request.set_exec_id(t.exec_id);
    request.set_stdout(options.stdout() || (!options.stdout() && !options.stderr()));
    request.set_stderr(options.stderr() || (!options.stdout() && !options.stderr()));
    BERTH_ASSIGN_OR_RETURN(output, t.shim->Stream("Attach", request));
    // The shim's first, empty chunk says the attach is in place.
    absl::StatusOr<std::optional<std::string>> ack = output->Next(absl::Seconds(30));
    return ack.status();
  };
  auto cancelled = [&] { return context.IsCancelled(); };
  BERTH_RETURN_IF_ERROR(
      supervisor.Attach(ns, id, options.exec_id(), registered, cancelled, connect));

  const bool forward_stdin = options.stdin() && target.open_stdin;
  std::atomic<bool> detached{false};
  std::mutex mu;
  std::condition_variable input_ended;
  bool input_done = false;
  std::thread input([&] {
    DetachKeyScanner scanner(target.tty && forward_stdin ? keys : "");
    v1::AttachRequest message;
    while (stream.Read(&message)) {
      if (message.has_resize()) {
        shim::v1::ResizePtyRequest resize;
        resize.set_id(target.container_id);
        resize.set_exec_id(target.exec_id);
        resize.set_width(message.resize().width());
        resize.set_height(message.resize().height());
        target.shim->Call("ResizePty", resize, nullptr).IgnoreError();
      } else if (message.has_stdin() && forward_stdin) {
        std::string data;
        if (scanner.Feed(message.stdin(), data)) {
          if (!data.empty()) WriteStdin(target, data).IgnoreError();
          detached = true;
          output->Cancel();
          break;
        }
        if (!data.empty() && !WriteStdin(target, data).ok()) break;
      }
    }
    if (!detached && forward_stdin && target.stdin_once && !context.IsCancelled()) {
      shim::v1::CloseIORequest close;  // the client's stdin ended
      close.set_id(target.container_id);
      close.set_exec_id(target.exec_id);
      close.set_stdin(true);
      target.shim->Call("CloseIO", close, nullptr).IgnoreError();
    }
    std::lock_guard lock(mu);
    input_done = true;
    input_ended.notify_all();
  });

  bool client_gone = false;
  for (;;) {
    absl::StatusOr<std::optional<std::string>> next = output->Next(absl::Seconds(1));
    if (absl::IsDeadlineExceeded(next.status())) {
      if (context.IsCancelled()) {
        client_gone = true;
        break;
      }
      continue;
    }
    if (!next.ok() || !next->has_value()) break;
    shim::v1::IOChunk chunk;
    if (!chunk.ParseFromString(**next) || chunk.data().empty()) continue;
    v1::AttachResponse response;
    response.mutable_output()->set_stream(ToProto(chunk.stream()));
    response.mutable_output()->set_data(chunk.data());
    if (!stream.Write(response)) {
      client_gone = true;
      break;
    }
  }
  output->Cancel();
  if (!client_gone) {
    v1::AttachResponse result;
    if (detached) {
      result.mutable_result()->set_detached(true);
    } else {
      absl::StatusOr<ExitInfo> exit = options.exec_id().empty()
                                          ? supervisor.AwaitExitAfter(exit_watch, cancelled)
                                          : supervisor.WaitExec(ns, options.exec_id(), cancelled);
      result.mutable_result()->set_exit_code(exit.ok() ? exit->exit_code : 255);
    }
    stream.Write(result);
  }
  {
    // A client that read the result half-closes; one that does not is cut off.
    std::unique_lock lock(mu);
    if (!input_ended.wait_for(lock, std::chrono::seconds(2), [&] { return input_done; })) {
      context.TryCancel();
    }
  }
  input.join();
  return absl::OkStatus();
}

}  // namespace berth::runtime
