// Reading typed fields out of parsed JSON with errors that name the field's path
// ("layers[2].digest"), for manifests, indexes and image configs.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/images/core/digest.h"

namespace berth::images::json_fields {

using Json = nlohmann::json;

// Parses `bytes` as one JSON object; `what` ("image manifest") starts the error.
absl::StatusOr<Json> ParseObject(absl::string_view bytes, absl::string_view what);

// "layers" + 2 → "layers[2]"; "config" + "User" → "config.User"; "" + "os" → "os".
std::string Child(absl::string_view path, absl::string_view key);
std::string Element(absl::string_view path, size_t index);

// Each reads `obj[key]`. Absent or null leaves `*out` untouched unless `required`, when it
// is InvalidArgument "missing field "<path>""; a wrong type is "field "<path>" must be …".
absl::Status ReadString(const Json& obj, absl::string_view path, const char* key, bool required,
                        std::string* out);
absl::Status ReadInt64(const Json& obj, absl::string_view path, const char* key, bool required,
                       int64_t* out);
absl::Status ReadBool(const Json& obj, absl::string_view path, const char* key, bool* out);
absl::Status ReadDigest(const Json& obj, absl::string_view path, const char* key, Digest* out);
absl::Status ReadStringList(const Json& obj, absl::string_view path, const char* key,
                            std::vector<std::string>* out);
absl::Status ReadStringMap(const Json& obj, absl::string_view path, const char* key,
                           std::map<std::string, std::string>* out);
// Docker's sets: {"80/tcp": {}, …} → the sorted keys.
absl::Status ReadKeySet(const Json& obj, absl::string_view path, const char* key,
                        std::vector<std::string>* out);
// The member when it is present, not null and an object (or array when `array`).
absl::StatusOr<const Json*> Member(const Json& obj, absl::string_view path, const char* key,
                                   bool required, bool array = false);

}  // namespace berth::images::json_fields
