// What pull and push put in a request besides the reference: the platform and the
// credentials berthctl has stored for the registry.
#pragma once

#include <string>

#include "berth/images/v1/transfer.pb.h"

namespace berth::ctl {

// Parses `text` ("linux/arm64/v8") into `out`; prints the error and returns false when bad.
bool SetPlatform(const std::string& text, types::v1::Platform* out);

// The credentials ~/.berth/config.json (or ~/.docker/config.json) holds for `domain`, if any.
void SetStoredCredentials(const std::string& domain, images::v1::RegistryAuth* out);

}  // namespace berth::ctl
