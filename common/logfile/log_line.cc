// Encoders for one json-file or CRI log line; see log_line.h.
#include "common/logfile/log_line.h"

#include <cstdint>

#include "absl/time/civil_time.h"

namespace berth::logfile {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void AppendDigits(int64_t value, int width, std::string* out) {
  char digits[20];
  for (int i = width - 1; i >= 0; --i) {
    digits[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  out->append(digits, static_cast<size_t>(width));
}

// Length of the valid UTF-8 sequence starting at s[i] (2..4), or 0 when it is not one.
size_t Utf8SequenceLength(absl::string_view s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char lead = byte(i);
  size_t len;
  uint32_t min;
  if (lead >= 0xC2 && lead <= 0xDF) {
    len = 2, min = 0x80;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    len = 3, min = 0x800;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    len = 4, min = 0x10000;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  uint32_t code = lead & (0x7F >> len);
  for (size_t k = 1; k < len; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    code = (code << 6) | (byte(i + k) & 0x3F);
  }
  // Overlong forms, UTF-16 surrogates and values past U+10FFFF are invalid, as in Go.
  if (code < min || (code >= 0xD800 && code <= 0xDFFF) || code > 0x10FFFF) return 0;
  return len;
}

void AppendTimestamp(absl::Time t, bool trim_fraction, std::string* out) {
  const int64_t seconds = absl::ToUnixSeconds(t);  // rounds toward -inf, so nanos >= 0
  const int64_t nanos = absl::ToInt64Nanoseconds(t - absl::FromUnixSeconds(seconds));
  const absl::CivilSecond civil = absl::CivilSecond(1970, 1, 1, 0, 0, 0) + seconds;
  AppendDigits(civil.year(), 4, out);
  out->push_back('-');
  AppendDigits(civil.month(), 2, out);
  out->push_back('-');
  AppendDigits(civil.day(), 2, out);
  out->push_back('T');
  AppendDigits(civil.hour(), 2, out);
  out->push_back(':');
  AppendDigits(civil.minute(), 2, out);
  out->push_back(':');
  AppendDigits(civil.second(), 2, out);
  if (nanos != 0 || !trim_fraction) {
    out->push_back('.');
    AppendDigits(nanos, 9, out);
    if (trim_fraction) {
      while (out->back() == '0') out->pop_back();
    }
  }
  out->push_back('Z');
}

}  // namespace

absl::string_view StreamName(Stream stream) {
  return stream == Stream::kStderr ? "stderr" : "stdout";
}

void AppendRfc3339Nano(absl::Time t, std::string* out) {
  AppendTimestamp(t, /*trim_fraction=*/true, out);
}

void AppendRfc3339NanoFixed(absl::Time t, std::string* out) {
  AppendTimestamp(t, /*trim_fraction=*/false, out);
}

void AppendDockerJsonString(absl::string_view s, std::string* out) {
  out->push_back('"');
  size_t start = 0;  // first byte not yet copied
  size_t i = 0;
  const auto flush = [&] { out->append(s.data() + start, i - start); };
  while (i < s.size()) {
    const unsigned char b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      if (b >= 0x20 && b != '\\' && b != '"' && b != '<' && b != '>' && b != '&') {
        ++i;
        continue;
      }
      flush();
      if (b == '\\' || b == '"') {
        out->push_back('\\');
        out->push_back(static_cast<char>(b));
      } else if (b == '\n') {
        out->append("\\n");
      } else if (b == '\r') {
        out->append("\\r");
      } else {  // other control bytes (tab included, as Docker does) and < > &
        out->append("\\u00");
        out->push_back(kHex[b >> 4]);
        out->push_back(kHex[b & 0xF]);
      }
      start = ++i;
      continue;
    }
    const size_t len = Utf8SequenceLength(s, i);
    if (len == 0) {
      flush();
      out->append("\\ufffd");
      start = ++i;
      continue;
    }
    // U+2028 / U+2029 (E2 80 A8 / E2 80 A9) break JavaScript parsers; Docker escapes them.
    if (len == 3 && b == 0xE2 && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
        (static_cast<unsigned char>(s[i + 2]) & 0xFE) == 0xA8) {
      flush();
      out->append("\\u202");
      out->push_back(kHex[static_cast<unsigned char>(s[i + 2]) & 0xF]);
      start = i += len;
      continue;
    }
    i += len;
  }
  flush();
  out->push_back('"');
}

void AppendJsonFileLine(Stream stream, absl::string_view content, bool complete, absl::Time t,
                        std::string* out) {
  out->append("{\"log\":");
  if (complete) {
    // Encode content and its newline as one string without copying the content.
    AppendDockerJsonString(content, out);
    out->pop_back();
    out->append("\\n\"");
  } else {
    AppendDockerJsonString(content, out);
  }
  out->append(",\"stream\":\"");
  out->append(StreamName(stream).data(), StreamName(stream).size());
  out->append("\",\"time\":\"");
  AppendRfc3339Nano(t, out);
  out->append("\"}\n");
}

void AppendCriLine(Stream stream, absl::string_view content, bool complete, absl::Time t,
                   std::string* out) {
  AppendRfc3339Nano(t, out);
  out->push_back(' ');
  out->append(StreamName(stream).data(), StreamName(stream).size());
  out->append(complete ? " F " : " P ");
  out->append(content.data(), content.size());
  out->push_back('\n');
}

}  // namespace berth::logfile
