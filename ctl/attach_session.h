// A local terminal wired to a container process over Tasks.Attach: output copied to
// stdout/stderr as it arrives, stdin and terminal resizes sent up, raw mode with -t.
#pragma once

#include <grpcpp/channel.h>

#include <functional>
#include <memory>
#include <string>

#include "berth/runtime/v1/tasks.pb.h"

namespace berth::ctl {

struct AttachTarget {
  std::string id;
  std::string exec_id;  // empty: the container's init
  bool stdin = false;   // pump local stdin (-i)
  bool stdout = true;
  bool stderr = true;
  bool tty = false;  // raw local terminal and resizes
  std::string detach_keys;
  bool logs = false;
  // Docker's --sig-proxy: signals berthctl receives go to the process (Tasks.Kill) while
  // attached; not with a terminal, whose keys reach it through the tty.
  bool sig_proxy = false;
};

struct AttachOutcome {
  bool has_result = false;  // the stream ended with an AttachResult
  bool detached = false;
  int exit_code = 0;
};

// Opens the Attach stream and, once berthd has taken the options (its initial metadata,
// or after a short grace period), calls `start` (null: nothing to start). A failed
// `start` cancels the stream and is returned as is; otherwise copies stdio until the
// stream ends and returns its status.
grpc::Status RunAttached(const std::shared_ptr<grpc::Channel>& channel, const AttachTarget& target,
                         const std::function<grpc::Status()>& start, AttachOutcome* outcome);

// The local terminal's size (stdout's); false when stdout is not a sized terminal.
bool LocalTerminalSize(runtime::v1::TerminalSize* size);

}  // namespace berth::ctl
