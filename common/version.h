// berth's version and the commit it was built from (stamped at configure time).
#pragma once

namespace berth {

const char* Version();
const char* GitCommit();
// The API generation every service speaks (the `v1` of its proto packages).
inline constexpr char kApiVersion[] = "1";

}  // namespace berth
