// Random identifiers: container IDs, anonymous volume names, lease IDs.
#pragma once

#include <cstddef>
#include <string>

namespace berth {

// `bytes` bytes from getrandom(2), as 2 * `bytes` lowercase hex digits.
std::string RandomHex(size_t bytes);

}  // namespace berth
