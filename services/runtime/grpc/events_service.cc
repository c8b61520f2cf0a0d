#include "services/runtime/grpc/events_service.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/rpc/namespace.h"
#include "common/rpc/status.h"
#include "common/status_macros.h"
#include "services/runtime/grpc/runtime_convert.h"

namespace berth::runtime {
namespace {

absl::Status CheckFilters(const google::protobuf::RepeatedPtrField<types::v1::Filter>& filters) {
  for (const types::v1::Filter& filter : filters) {
    const std::string& key = filter.key();
    if (key != "type" && key != "event" && key != "container" && key != "image" &&
        key != "network" && key != "volume" && key != "label" && key != "daemon") {
      return absl::InvalidArgumentError(absl::StrCat("invalid filter '", key, "'"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

bool EventMatches(const RuntimeEvent& event,
                  const google::protobuf::RepeatedPtrField<types::v1::Filter>& filters) {
  for (const types::v1::Filter& filter : filters) {
    bool any = false;
    const std::string& key = filter.key();
    const std::string action = event.action.substr(0, event.action.find(':'));
    for (const std::string& value : filter.values()) {
      if (key == "type") any = any || event.type == value;
      if (key == "event") any = any || action == value;
      if (key == "container" || key == "network" || key == "volume") {
        auto name = event.attributes.find("name");
        any = any ||
              (event.type == key && (absl::StartsWith(event.actor_id, value) ||
                                     (name != event.attributes.end() && name->second == value)));
      }
      if (key == "image") {
        auto image = event.attributes.find("image");
        any = any || (image != event.attributes.end() && image->second == value) ||
              (event.type == "image" && event.actor_id == value);
      }
      if (key == "label") {
        const size_t eq = value.find('=');
        auto it = event.attributes.find(value.substr(0, eq));
        any = any || (it != event.attributes.end() &&
                      (eq == std::string::npos || it->second == value.substr(eq + 1)));
      }
      if (key == "daemon") any = any || event.type == "daemon";
    }
    if (!any) return false;
  }
  return true;
}

grpc::Status EventsService::Subscribe(grpc::ServerContext* context,
                                      const v1::SubscribeEventsRequest* request,
                                      grpc::ServerWriter<v1::Event>* writer) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(std::string ns, rpc::NamespaceOf(*context));
    BERTH_RETURN_IF_ERROR(CheckFilters(request->filters()));
    const absl::Time since =
        request->has_since() ? FromProto(request->since()) : absl::InfiniteFuture();
    const absl::Time until =
        request->has_until() ? FromProto(request->until()) : absl::InfiniteFuture();
    std::shared_ptr<EventBus::Subscription> subscription = bus_->Subscribe(since);
    for (;;) {
      const absl::Time deadline = std::min(until, absl::Now() + absl::Milliseconds(500));
      std::optional<RuntimeEvent> event = subscription->Next(deadline);
      if (context->IsCancelled()) break;
      // What happened by `until` is sent even when `until` has passed meanwhile (or had
      // passed when the request came): only a wait that found nothing ends the stream.
      if (!event.has_value()) {
        if (absl::Now() >= until) break;
        continue;
      }
      if (event->time > until) break;
      if (!request->all_namespaces() && event->ns != ns) continue;
      if (!EventMatches(*event, request->filters())) continue;
      v1::Event out;
      ToProto(*event, &out);
      if (!writer->Write(out)) break;
    }
    bus_->Unsubscribe(subscription);
    return absl::OkStatus();
  }());
}

grpc::Status EventsService::Publish(grpc::ServerContext* context,
                                    const v1::PublishEventRequest* request,
                                    google::protobuf::Empty*) {
  return rpc::ToGrpcStatus([&]() -> absl::Status {
    BERTH_ASSIGN_OR_RETURN(std::string ns, rpc::NamespaceOf(*context));
    RuntimeEvent event = FromProto(request->event());
    event.ns = ns;
    bus_->Publish(std::move(event));
    return absl::OkStatus();
  }());
}

}  // namespace berth::runtime
