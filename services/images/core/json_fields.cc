#include "services/images/core/json_fields.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace berth::images::json_fields {
namespace {

absl::Status Missing(absl::string_view path) {
  return absl::InvalidArgumentError(absl::StrCat("missing field \"", path, "\""));
}

absl::Status WrongType(absl::string_view path, absl::string_view want, const Json& got) {
  return absl::InvalidArgumentError(
      absl::StrCat("field \"", path, "\" must be ", want, ", not ", got.type_name()));
}

// The member, nullptr when absent or null.
const Json* Find(const Json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

}  // namespace

absl::StatusOr<Json> ParseObject(absl::string_view bytes, absl::string_view what) {
  Json json = Json::parse(bytes.begin(), bytes.end(), nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    return absl::InvalidArgumentError(absl::StrCat("invalid ", what, ": malformed JSON"));
  }
  if (!json.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid ", what, ": want a JSON object, not ", json.type_name()));
  }
  return json;
}

std::string Child(absl::string_view path, absl::string_view key) {
  return path.empty() ? std::string(key) : absl::StrCat(path, ".", key);
}

std::string Element(absl::string_view path, size_t index) {
  return absl::StrCat(path, "[", index, "]");
}

absl::StatusOr<const Json*> Member(const Json& obj, absl::string_view path, const char* key,
                                   bool required, bool array) {
  const Json* member = Find(obj, key);
  std::string field = Child(path, key);
  if (member == nullptr) {
    if (required) return Missing(field);
    return nullptr;
  }
  if (array ? !member->is_array() : !member->is_object()) {
    return WrongType(field, array ? "an array" : "an object", *member);
  }
  return member;
}

absl::Status ReadString(const Json& obj, absl::string_view path, const char* key, bool required,
                        std::string* out) {
  const Json* member = Find(obj, key);
  if (member == nullptr) return required ? Missing(Child(path, key)) : absl::OkStatus();
  if (!member->is_string()) return WrongType(Child(path, key), "a string", *member);
  *out = member->get<std::string>();
  return absl::OkStatus();
}

absl::Status ReadInt64(const Json& obj, absl::string_view path, const char* key, bool required,
                       int64_t* out) {
  const Json* member = Find(obj, key);
  if (member == nullptr) return required ? Missing(Child(path, key)) : absl::OkStatus();
  if (!member->is_number_integer()) return WrongType(Child(path, key), "an integer", *member);
  *out = member->get<int64_t>();
  return absl::OkStatus();
}

absl::Status ReadBool(const Json& obj, absl::string_view path, const char* key, bool* out) {
  const Json* member = Find(obj, key);
  if (member == nullptr) return absl::OkStatus();
  if (!member->is_boolean()) return WrongType(Child(path, key), "true or false", *member);
  *out = member->get<bool>();
  return absl::OkStatus();
}

absl::Status ReadDigest(const Json& obj, absl::string_view path, const char* key, Digest* out) {
  std::string text;
  BERTH_RETURN_IF_ERROR(ReadString(obj, path, key, /*required=*/true, &text));
  auto digest = Digest::Parse(text);
  if (!digest.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("field \"", Child(path, key), "\": ", digest.status().message()));
  }
  *out = *std::move(digest);
  return absl::OkStatus();
}

absl::Status ReadStringList(const Json& obj, absl::string_view path, const char* key,
                            std::vector<std::string>* out) {
  BERTH_ASSIGN_OR_RETURN(const Json* member, Member(obj, path, key, false, /*array=*/true));
  if (member == nullptr) return absl::OkStatus();
  std::vector<std::string> values;
  for (size_t i = 0; i < member->size(); ++i) {
    const Json& item = (*member)[i];
    if (!item.is_string()) return WrongType(Element(Child(path, key), i), "a string", item);
    values.push_back(item.get<std::string>());
  }
  *out = std::move(values);
  return absl::OkStatus();
}

absl::Status ReadStringMap(const Json& obj, absl::string_view path, const char* key,
                           std::map<std::string, std::string>* out) {
  BERTH_ASSIGN_OR_RETURN(const Json* member, Member(obj, path, key, false));
  if (member == nullptr) return absl::OkStatus();
  std::map<std::string, std::string> values;
  for (const auto& [name, value] : member->items()) {
    if (!value.is_string()) return WrongType(Child(Child(path, key), name), "a string", value);
    values[name] = value.get<std::string>();
  }
  *out = std::move(values);
  return absl::OkStatus();
}

absl::Status ReadKeySet(const Json& obj, absl::string_view path, const char* key,
                        std::vector<std::string>* out) {
  BERTH_ASSIGN_OR_RETURN(const Json* member, Member(obj, path, key, false));
  if (member == nullptr) return absl::OkStatus();
  std::vector<std::string> keys;
  for (const auto& item : member->items()) keys.push_back(item.key());
  *out = std::move(keys);
  return absl::OkStatus();
}

}  // namespace berth::images::json_fields
