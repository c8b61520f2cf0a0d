// Where `save` and `export` write the archive a server stream of chunks carries: a file
// (-o), made whole through a temporary beside it and renamed, as Docker does, or stdout.
#pragma once

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <string>

#include "ctl/command.h"
#include "ctl/daemon_call.h"

namespace berth::ctl {

// The destination of one archive. Errors read "failed to <what>: …".
class ArchiveOutput {
 public:
  ArchiveOutput(std::string path, std::string what)
      : path_(std::move(path)), what_(std::move(what)) {}
  ~ArchiveOutput();

  // Opens the temporary file (stdout needs nothing); false after saying why.
  bool Open();
  // Appends a chunk; false (errno set) on a failed write.
  bool Write(const std::string& chunk);
  // Renames the temporary into place; false after saying why.
  bool Commit();
  // Says why the write failed (from `error`, an errno).
  int ReportWriteError(int error) const;

 private:
  std::string path_;
  std::string what_;
  std::string temp_;
  int fd_ = 1;
};

// Reads every chunk of the stream `start` opens into `out`; the exit code. On a failed
// write the call is cancelled; on any failure the partial file goes.
template <typename Response>
int ReceiveArchive(
    const GlobalOptions& global, ArchiveOutput& out,
    const std::function<std::unique_ptr<grpc::ClientReader<Response>>(grpc::ClientContext&)>&
        start) {
  if (!out.Open()) return 1;
  grpc::ClientContext context;
  PrepareCall(context, 3600);
  std::unique_ptr<grpc::ClientReader<Response>> stream = start(context);
  Response response;
  bool write_failed = false;
  while (!write_failed && stream->Read(&response)) write_failed = !out.Write(response.chunk());
  const int write_errno = errno;
  if (write_failed) context.TryCancel();
  grpc::Status status = stream->Finish();
  if (write_failed) return out.ReportWriteError(write_errno);
  if (!status.ok()) return ReportCallError(global, status);
  return out.Commit() ? 0 : 1;
}

}  // namespace berth::ctl
