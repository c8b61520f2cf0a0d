#include "tests/harness/token_issuer.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tests/harness/subprocess.h"

namespace berth::testing {

absl::StatusOr<std::unique_ptr<TokenIssuer>> TokenIssuer::Start(const std::string& dir,
                                                                const std::string& username,
                                                                const std::string& password) {
  for (const char* tool : {"/usr/bin/python3", "/usr/bin/openssl"}) {
    if (::access(tool, X_OK) != 0) return absl::NotFoundError(absl::StrCat(tool, " is missing"));
  }
  std::unique_ptr<TokenIssuer> issuer(new TokenIssuer());
  issuer->cert_path_ = dir + "/cert.pem";
  issuer->log_path_ = dir + "/token_issuer.log";
  issuer->pid_ = Spawn({"/usr/bin/python3", BERTH_TOKEN_ISSUER_SCRIPT, dir, username, password},
                       issuer->log_path_);
  if (issuer->pid_ <= 0) return absl::InternalError("cannot start the token issuer");
  // The script writes its port once it has a key, a certificate and a listening socket.
  for (int i = 0; i < 1500; ++i) {
    std::ifstream in(dir + "/port");
    std::string text;
    if (in >> text && absl::SimpleAtoi(text, &issuer->port_)) return issuer;
    int code = 0;
    if (TryReap(issuer->pid_, &code)) {
      issuer->pid_ = -1;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::ifstream log(issuer->log_path_);
  std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  return absl::InternalError(absl::StrCat("the token issuer did not start:\n", text));
}

TokenIssuer::~TokenIssuer() {
  if (pid_ > 0) StopProcess(pid_, SIGTERM);
}

std::string TokenIssuer::realm() const {
  return absl::StrCat("http://127.0.0.1:", port_, "/token");
}

}  // namespace berth::testing
