// The filters of List calls (berth.types.v1.Filter): keys checked against what a call
// knows, values of one filter OR'd, filters AND'd.
#pragma once

#include <algorithm>
#include <initializer_list>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "berth/types/v1/types.pb.h"
#include "google/protobuf/repeated_field.h"

namespace berth::images {

using ProtoFilters = google::protobuf::RepeatedPtrField<types::v1::Filter>;

// InvalidArgument naming the first key not among `keys`.
inline absl::Status CheckFilterKeys(const ProtoFilters& filters,
                                    std::initializer_list<absl::string_view> keys) {
  for (const types::v1::Filter& filter : filters) {
    if (std::find(keys.begin(), keys.end(), filter.key()) == keys.end()) {
      return absl::InvalidArgumentError(absl::StrCat("invalid filter '", filter.key(), "'"));
    }
  }
  return absl::OkStatus();
}

// True when every filter has a value for which `matches(key, value)` holds.
template <typename Predicate>
bool MatchesFilters(const ProtoFilters& filters, Predicate matches) {
  return std::all_of(filters.begin(), filters.end(), [&](const types::v1::Filter& filter) {
    return std::any_of(filter.values().begin(), filter.values().end(),
                       [&](const std::string& value) { return matches(filter.key(), value); });
  });
}

}  // namespace berth::images
