#include "shim/oci/spec_json.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/unique_fd.h"

namespace berth::oci {
namespace {

std::string ToString(absl::int128 v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

// How a value is shown after "got": scalars as written, containers by their type.
std::string Shown(const Json& v) {
  if (v.is_structured()) return v.type_name();
  return v.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace

std::string JsonField(absl::string_view path, absl::string_view key) {
  return path.empty() ? std::string(key) : absl::StrCat(path, ".", key);
}

std::string JsonIndex(absl::string_view path, size_t index) {
  return absl::StrCat(path, "[", index, "]");
}

std::string JsonMapKey(absl::string_view path, absl::string_view key) {
  return absl::StrCat(
      path, "[", Json(std::string(key)).dump(-1, ' ', false, Json::error_handler_t::replace), "]");
}

absl::Status JsonError(absl::string_view path, absl::string_view problem) {
  if (path.empty()) return absl::InvalidArgumentError(problem);
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", problem));
}

absl::Status IntegerRangeError(absl::string_view path, absl::int128 min, absl::int128 max,
                               absl::string_view got) {
  return JsonError(path, absl::StrCat("must be an integer in ", ToString(min), "..", ToString(max),
                                      ", got ", got));
}

absl::StatusOr<Json> ParseJson(absl::string_view text) {
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const Json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("invalid JSON: ", e.what()));
  }
}

std::string DumpJson(const OrderedJson& value) {
  return value.dump(2, ' ', false, OrderedJson::error_handler_t::replace);
}

absl::StatusOr<std::string> ReadSmallFile(const std::string& path, size_t max_bytes) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!fd.valid()) return absl::ErrnoToStatus(errno, absl::StrCat(path, ": open"));
  std::string text;
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof(buf));
    if (n == 0) break;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return absl::ErrnoToStatus(errno, absl::StrCat(path, ": read"));
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > max_bytes) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": larger than ", max_bytes, " bytes"));
    }
  }
  return text;
}

absl::Status Decode(const Json& v, const std::string& path, std::string& out) {
  if (!v.is_string()) return JsonError(path, absl::StrCat("must be a string, got ", v.type_name()));
  const std::string& text = v.get_ref<const std::string&>();
  // The kernel reads C strings: "a\u0000b" would quietly become "a".
  if (text.find('\0') != std::string::npos)
    return JsonError(path, "must not contain NUL characters");
  out = text;
  return absl::OkStatus();
}

absl::Status Decode(const Json& v, const std::string& path, bool& out) {
  if (!v.is_boolean()) {
    return JsonError(path, absl::StrCat("must be a boolean, got ", v.type_name()));
  }
  out = v.get<bool>();
  return absl::OkStatus();
}

absl::Status DecodeInteger(const Json& v, const std::string& path, absl::int128 min,
                           absl::int128 max, absl::int128& out) {
  absl::int128 value = 0;
  if (v.is_number_unsigned()) {
    value = absl::int128(v.get<uint64_t>());
  } else if (v.is_number_integer()) {
    value = absl::int128(v.get<int64_t>());
  } else {
    return IntegerRangeError(path, min, max, Shown(v));
  }
  if (value < min || value > max) return IntegerRangeError(path, min, max, Shown(v));
  out = value;
  return absl::OkStatus();
}

OrderedJson Encode(const std::string& v) { return OrderedJson(v); }

OrderedJson Encode(bool v) { return OrderedJson(v); }

}  // namespace berth::oci
