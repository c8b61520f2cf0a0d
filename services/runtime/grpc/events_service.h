// berth.runtime.v1.Events over the runtime's event bus.
#pragma once

#include "berth/runtime/v1/events.grpc.pb.h"
#include "services/runtime/core/event_bus.h"

namespace berth::runtime {

class EventsService final : public v1::Events::Service {
 public:
  explicit EventsService(EventBus* bus) : bus_(bus) {}

  grpc::Status Subscribe(grpc::ServerContext* context, const v1::SubscribeEventsRequest* request,
                         grpc::ServerWriter<v1::Event>* writer) override;
  grpc::Status Publish(grpc::ServerContext* context, const v1::PublishEventRequest* request,
                       google::protobuf::Empty* response) override;

 private:
  EventBus* bus_;
};

// `docker events --filter`: values of one key OR'd, keys AND'd.
bool EventMatches(const RuntimeEvent& event,
                  const google::protobuf::RepeatedPtrField<types::v1::Filter>& filters);

}  // namespace berth::runtime
