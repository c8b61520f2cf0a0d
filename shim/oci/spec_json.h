// Reading JSON into typed structs and writing them back, for config.json and state.json.
//
// A struct is described once by a `Fields(visitor, struct&)` function found by
// argument-dependent lookup; JsonReader and JsonWriter visit the same list, so the
// two directions cannot drift apart:
//
//   template <typename V> void Fields(V& v, Root& r) {
//     v("path", r.path, Presence::kRequired);
//     v("readonly", r.readonly);
//   }
//
// Errors name the JSON path of the bad value: `linux.namespaces[2].type: must be a
// string, got number`. Unknown keys are ignored; null counts as absent; strings holding
// NUL are rejected. Nothing here throws: nlohmann's exceptions are caught where they arise.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/numeric/int128.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace berth::oci {

using Json = nlohmann::json;
// Output keeps the order fields are listed in, as Go's encoding/json does.
using OrderedJson = nlohmann::ordered_json;

enum class Presence {
  kOptional,  // may be absent; written only when not empty (Go's omitempty)
  kRequired,  // must be present; always written
  kAlways,    // may be absent; always written (Go fields without omitempty)
};

// Paths for messages: "process" + "cwd" → "process.cwd"; "mounts" + 2 → "mounts[2]";
// "annotations" + key → annotations["key"].
std::string JsonField(absl::string_view path, absl::string_view key);
std::string JsonIndex(absl::string_view path, size_t index);
std::string JsonMapKey(absl::string_view path, absl::string_view key);

// InvalidArgument "<path>: <problem>" (just the problem when path is empty).
absl::Status JsonError(absl::string_view path, absl::string_view problem);

// "must be an integer in <min>..<max>, got <value>".
absl::Status IntegerRangeError(absl::string_view path, absl::int128 min, absl::int128 max,
                               absl::string_view got);

// Parses JSON text; a syntax error becomes InvalidArgument (nothing throws).
absl::StatusOr<Json> ParseJson(absl::string_view text);

// Two-space indented text; invalid UTF-8 in strings is replaced, never thrown about.
std::string DumpJson(const OrderedJson& value);

// Reads a file of at most `max_bytes`; errors start with `path`.
absl::StatusOr<std::string> ReadSmallFile(const std::string& path, size_t max_bytes);

absl::Status Decode(const Json& v, const std::string& path, std::string& out);
absl::Status Decode(const Json& v, const std::string& path, bool& out);
absl::Status DecodeInteger(const Json& v, const std::string& path, absl::int128 min,
                           absl::int128 max, absl::int128& out);

template <typename T>
requires std::is_integral_v<T> &&(!std::is_same_v<T, bool>)absl::Status
    Decode(const Json& v, const std::string& path, T& out);
template <typename T>
absl::Status Decode(const Json& v, const std::string& path, std::optional<T>& out);
template <typename T>
absl::Status Decode(const Json& v, const std::string& path, std::vector<T>& out);
template <typename T>
absl::Status Decode(const Json& v, const std::string& path, std::map<std::string, T>& out);
template <typename T>
requires std::is_class_v<T> absl::Status Decode(const Json& v, const std::string& path, T& out);

OrderedJson Encode(const std::string& v);
OrderedJson Encode(bool v);
template <typename T>
requires std::is_integral_v<T> &&(!std::is_same_v<T, bool>)OrderedJson Encode(T v);
template <typename T>
OrderedJson Encode(const std::optional<T>& v);
template <typename T>
OrderedJson Encode(const std::vector<T>& v);
template <typename T>
OrderedJson Encode(const std::map<std::string, T>& v);
template <typename T>
requires std::is_class_v<T> OrderedJson Encode(const T& v);

// Reads the fields of one JSON object; keeps the first error.
class JsonReader {
 public:
  JsonReader(const Json& object, std::string path) : object_(object), path_(std::move(path)) {}

  template <typename T>
  void operator()(absl::string_view key, T& out, Presence presence = Presence::kOptional) {
    if (!status_.ok()) return;
    auto it = object_.find(std::string(key));
    if (it == object_.end() || it->is_null()) {
      if (presence == Presence::kRequired)
        status_ = JsonError(JsonField(path_, key), "is required");
      return;
    }
    status_ = Decode(*it, JsonField(path_, key), out);
  }

  const absl::Status& status() const { return status_; }

 private:
  const Json& object_;
  std::string path_;
  absl::Status status_;
};

// Writes fields into one JSON object, in the order they are visited.
class JsonWriter {
 public:
  explicit JsonWriter(OrderedJson& object) : object_(object) {}

  template <typename T>
  void operator()(absl::string_view key, const T& value, Presence presence = Presence::kOptional) {
    if (presence == Presence::kOptional && IsEmpty(value)) return;
    object_[std::string(key)] = Encode(value);
  }

 private:
  template <typename T>
  static bool IsEmpty(const T& value) {
    if constexpr (std::is_same_v<T, bool>) {
      return !value;
    } else if constexpr (std::is_integral_v<T>) {
      return value == 0;
    } else if constexpr (requires { value.has_value(); }) {
      return !value.has_value();
    } else if constexpr (requires { value.empty(); }) {
      return value.empty();
    } else {
      return value == T{};
    }
  }

  OrderedJson& object_;
};

template <typename T>
requires std::is_integral_v<T> &&(!std::is_same_v<T, bool>)absl::Status
    Decode(const Json& v, const std::string& path, T& out) {
  absl::int128 wide = 0;
  absl::Status s = DecodeInteger(v, path, absl::int128(std::numeric_limits<T>::min()),
                                 absl::int128(std::numeric_limits<T>::max()), wide);
  if (s.ok()) out = static_cast<T>(wide);
  return s;
}

template <typename T>
absl::Status Decode(const Json& v, const std::string& path, std::optional<T>& out) {
  T value{};
  absl::Status s = Decode(v, path, value);
  if (s.ok()) out = std::move(value);
  return s;
}

template <typename T>
absl::Status Decode(const Json& v, const std::string& path, std::vector<T>& out) {
  if (!v.is_array()) return JsonError(path, std::string("must be a list, got ") + v.type_name());
  out.clear();
  out.resize(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    absl::Status s = Decode(v[i], JsonIndex(path, i), out[i]);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

template <typename T>
absl::Status Decode(const Json& v, const std::string& path, std::map<std::string, T>& out) {
  if (!v.is_object())
    return JsonError(path, std::string("must be an object, got ") + v.type_name());
  out.clear();
  for (const auto& [key, value] : v.items()) {
    absl::Status s = Decode(value, JsonMapKey(path, key), out[key]);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

template <typename T>
requires std::is_class_v<T> absl::Status Decode(const Json& v, const std::string& path, T& out) {
  if (!v.is_object())
    return JsonError(path, std::string("must be an object, got ") + v.type_name());
  JsonReader reader(v, path);
  Fields(reader, out);
  return reader.status();
}

template <typename T>
requires std::is_integral_v<T> &&(!std::is_same_v<T, bool>)OrderedJson Encode(T v) {
  return OrderedJson(v);
}

template <typename T>
OrderedJson Encode(const std::optional<T>& v) {
  return v.has_value() ? Encode(*v) : OrderedJson();
}

template <typename T>
OrderedJson Encode(const std::vector<T>& v) {
  OrderedJson out = OrderedJson::array();
  for (const T& item : v) out.push_back(Encode(item));
  return out;
}

template <typename T>
OrderedJson Encode(const std::map<std::string, T>& v) {
  OrderedJson out = OrderedJson::object();
  for (const auto& [key, value] : v) out[key] = Encode(value);
  return out;
}

template <typename T>
requires std::is_class_v<T> OrderedJson Encode(const T& v) {
  OrderedJson out = OrderedJson::object();
  JsonWriter writer(out);
  // Fields() takes a mutable reference so one list serves reading too; the writer only reads.
  Fields(writer, const_cast<T&>(v));
  return out;
}

}  // namespace berth::oci
