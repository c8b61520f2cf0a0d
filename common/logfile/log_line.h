// The bytes of one log entry in Docker's json-file format and in the CRI log format.
// Shared by the shim's writer and by tests; allocation-light and free of iostreams.
#pragma once

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace berth::logfile {

enum class Stream { kStdout, kStderr };

// "stdout" or "stderr".
absl::string_view StreamName(Stream stream);

// Appends `t` in Go's time.RFC3339Nano layout in UTC: fraction digits with trailing zeros
// trimmed and no fraction at all on a whole second ("2026-12-06T23:05:50.12345Z").
void AppendRfc3339Nano(absl::Time t, std::string* out);

// Appends `t` in Docker's RFC3339NanoFixed layout in UTC: always nine fraction digits
// ("2026-12-06T23:05:50.123450000Z"), the prefix `docker logs -t` prints.
void AppendRfc3339NanoFixed(absl::Time t, std::string* out);

// Appends `bytes` as a JSON string the way Docker's json-file encoder does: \" \\ \n \r,
// every other control byte and < > & as \u00XX, U+2028/U+2029 escaped, and each byte of
// invalid UTF-8 as \ufffd.
void AppendDockerJsonString(absl::string_view bytes, std::string* out);

// Appends {"log":"<content>[\n]","stream":"...","time":"..."}\n. `complete` says the
// content ended a line (so "\n" belongs in "log"); a partial chunk carries none.
void AppendJsonFileLine(Stream stream, absl::string_view content, bool complete, absl::Time t,
                        std::string* out);

// Appends "<RFC3339Nano> <stream> <F|P> <content>\n" (the CRI log format).
void AppendCriLine(Stream stream, absl::string_view content, bool complete, absl::Time t,
                   std::string* out);

}  // namespace berth::logfile
