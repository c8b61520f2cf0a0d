// One process the shim owns — the container's init or an exec'd process: its stdio
// (pipes, or a pty master), the clients attached to its output, the callers waiting for
// its exit, and its status and exit status.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "berth/shim/v1/shim.pb.h"
#include "common/unique_fd.h"
#include "shim/berth_shim/event_loop.h"
#include "shim/berth_shim/rpc_server.h"
#include "shim/oci/spec.h"

namespace berth::shim {

// The shim's ends of a process' stdio.
struct ProcessStdio {
  UniqueFd stdin_write;  // unset: no stdin (it reads /dev/null)
  UniqueFd stdout_read;  // with a terminal: unset, output comes from the pty
  UniqueFd stderr_read;
  UniqueFd pty_master;  // with a terminal: stdin and all output
};

// The child's ends, for LaunchContainer/LaunchExec; closed once it has started.
struct ChildStdio {
  UniqueFd in, out, err;
  std::array<int, 3> fds() const { return {in.get(), out.get(), err.get()}; }
};

// Pipes for a process without a terminal: stdin only when `with_stdin` (else
// /dev/null). The shim's ends are non-blocking.
absl::Status MakePipes(bool with_stdin, ProcessStdio& mine, ChildStdio& child);

class TaskProcess {
 public:
  // Output goes to every attached client and to `on_output` (the init's log).
  using OutputSink = std::function<void(v1::IOStream stream, absl::string_view bytes)>;

  TaskProcess(EventLoop& loop, std::string exec_id, bool terminal, bool with_stdin)
      : loop_(loop), exec_id_(std::move(exec_id)), terminal_(terminal), with_stdin_(with_stdin) {}
  ~TaskProcess();
  TaskProcess(const TaskProcess&) = delete;
  TaskProcess& operator=(const TaskProcess&) = delete;

  const std::string& exec_id() const { return exec_id_; }
  pid_t pid() const { return pid_; }
  v1::TaskStatus status() const { return status_; }
  bool terminal() const { return terminal_; }
  bool with_stdin() const { return with_stdin_; }
  bool exited() const { return status_ == v1::TASK_STATUS_STOPPED && pid_ != 0; }
  uint32_t exit_status() const { return exit_status_; }
  absl::Time exited_at() const { return exited_at_; }
  bool oom_killed() const { return oom_killed_; }

  void set_status(v1::TaskStatus status) { status_ = status; }
  void set_output_sink(OutputSink sink) { sink_ = std::move(sink); }
  // The exec's `process` object, kept from Exec until Start.
  std::optional<oci::Process>& exec_spec() { return exec_spec_; }

  // Takes the shim's stdio ends and watches them on the loop.
  absl::Status AdoptStdio(ProcessStdio stdio);
  // Created: cloned and set up, waiting to exec (the init until Start).
  void Created(pid_t pid) { pid_ = pid; }
  void Started(pid_t pid);
  // The process was reaped: read what is left of its output, record the status, answer
  // waiters and end attached streams.
  void Exited(int wait_status, bool oom_killed);
  // For a shim restarted over a process it no longer owns.
  void SetExit(uint32_t exit_status, absl::Time exited_at, bool oom_killed);

  void FillState(v1::StateResponse& state) const;

  void AddWaiter(Reply reply);
  void Attach(Reply reply, bool stdout_wanted, bool stderr_wanted);
  // Queues bytes for stdin; `reply` is answered once they are written.
  void WriteStdin(std::string data, Reply reply);
  // Closes stdin once what is queued has been written.
  absl::Status CloseStdin();
  absl::Status Resize(uint32_t width, uint32_t height);

 private:
  struct Attached {
    Reply reply;
    bool stdout_wanted, stderr_wanted;
  };
  void OnOutput(int fd, v1::IOStream stream);
  // Reads `fd` until it would block or ends; false once it has ended (and is closed).
  bool Drain(UniqueFd& fd, v1::IOStream stream);
  void Deliver(v1::IOStream stream, absl::string_view bytes);
  void FlushStdin();
  void CloseStdinNow();
  void WatchStdin(bool want_write);

  EventLoop& loop_;
  std::string exec_id_;
  bool terminal_;
  bool with_stdin_;
  pid_t pid_ = 0;
  v1::TaskStatus status_ = v1::TASK_STATUS_CREATED;
  uint32_t exit_status_ = 0;
  absl::Time exited_at_ = absl::InfinitePast();
  bool oom_killed_ = false;
  std::optional<oci::Process> exec_spec_;

  ProcessStdio stdio_;
  OutputSink sink_;
  std::vector<Attached> attached_;
  std::vector<Reply> waiters_;
  std::string stdin_queue_;
  std::vector<Reply> stdin_writers_;  // answered when the queue empties
  bool close_stdin_when_flushed_ = false;
  bool stdin_watched_ = false;
};

}  // namespace berth::shim
