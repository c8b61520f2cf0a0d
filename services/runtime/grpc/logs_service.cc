#include "services/runtime/grpc/logs_service.h"

#include "absl/strings/str_cat.h"
#include "common/logfile/log_reader.h"
#include "common/rpc/namespace.h"
#include "common/rpc/status.h"
#include "common/status_macros.h"
#include "services/runtime/grpc/runtime_convert.h"

namespace berth::runtime {
namespace {

constexpr size_t kBatchBytes = 1 << 20;
constexpr auto kBatchDelay = absl::Milliseconds(50);

}  // namespace

grpc::Status LogsService::Read(grpc::ServerContext* context, const v1::ReadLogsRequest* request,
                               grpc::ServerWriter<v1::ReadLogsResponse>* writer) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(std::string ns, rpc::NamespaceOf(*context));
    BERTH_ASSIGN_OR_RETURN(ContainerRecord record, store_->Resolve(ns, request->id()));
    const v1::ContainerSpec spec = ContainerSupervisor::SpecOf(record);
    const std::string& driver = spec.log_config().driver();
    if (driver == "none") {
      return absl::FailedPreconditionError("configured logging driver does not support reading");
    }
    logfile::LogReadOptions options;
    if (request->has_tail()) options.tail = request->tail();
    // An unset or zero time leaves that end open.
    if (request->has_since()) options.since = FromProto(request->since());
    if (request->has_until() && FromProto(request->until()) != absl::InfinitePast()) {
      options.until = FromProto(request->until());
    }
    if (request->stdout() || request->stderr()) {
      options.stdout_ = request->stdout();
      options.stderr_ = request->stderr();
    }
    options.follow = request->follow();
    v1::ReadLogsResponse batch;
    size_t batch_bytes = 0;
    absl::Time first_in_batch = absl::InfinitePast();
    bool client_gone = false;
    auto flush = [&] {
      if (batch.entries_size() == 0) return;
      if (!writer->Write(batch)) client_gone = true;
      batch.Clear();
      batch_bytes = 0;
    };
    auto emit = [&](const logfile::LogEntry& entry) {
      v1::LogEntry* out = batch.add_entries();
      out->set_stream(entry.stream == logfile::Stream::kStderr ? v1::STDIO_STREAM_STDERR
                                                               : v1::STDIO_STREAM_STDOUT);
      if (request->timestamps()) ToProto(entry.time, out->mutable_time());
      out->set_data(entry.partial ? entry.line : absl::StrCat(entry.line, "\n"));
      out->set_partial(entry.partial);
      batch_bytes += entry.line.size();
      if (batch.entries_size() == 1) first_in_batch = absl::Now();
      // While following, entries go out as they come (a little batching, no waiting).
      if (batch_bytes >= kBatchBytes ||
          (options.follow && absl::Now() - first_in_batch > kBatchDelay)) {
        flush();
      }
      return !client_gone;
    };
    const std::string id = record.id;
    auto keep_following = [&] {
      flush();
      if (client_gone || context->IsCancelled()) return false;
      // Following ends with the container.
      return supervisor_->ShimOf(ns, id).ok();
    };
    BERTH_RETURN_IF_ERROR(logfile::ReadLogs(
        supervisor_->LogPath(id),
        driver == "cri" ? logfile::LogWriterOptions::kCri : logfile::LogWriterOptions::kJsonFile,
        options, emit, keep_following));
    flush();
    return absl::OkStatus();
  }());
}

}  // namespace berth::runtime
