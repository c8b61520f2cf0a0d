#include "tests/harness/registry_process.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "tests/harness/subprocess.h"

namespace berth::testing {
namespace {

// A port the kernel picked for a socket just closed; the registry binds it next.
int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

bool Accepts(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

absl::Status WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<RegistryProcess>> RegistryProcess::Start(RegistryOptions options) {
  if (::access(kDockerRegistryBinary, X_OK) != 0) {
    return absl::NotFoundError(absl::StrCat(kDockerRegistryBinary, " is not installed"));
  }
  std::unique_ptr<RegistryProcess> registry(new RegistryProcess());
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern =
      absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/berth-registry-", ::getpid(), "-XXXXXX");
  if (::mkdtemp(pattern.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp ", pattern));
  }
  registry->dir_ = pattern;
  registry->storage_dir_ = pattern + "/storage";
  registry->log_path_ = pattern + "/registry.log";

  std::string auth;
  if (options.token_auth) {
    absl::StatusOr<std::unique_ptr<TokenIssuer>> issuer =
        TokenIssuer::Start(pattern, options.username, options.password);
    if (!issuer.ok()) return issuer.status();
    registry->issuer_ = *std::move(issuer);
    auth = absl::StrCat("auth:\n  token:\n    realm: ", registry->issuer_->realm(),
                        "\n    service: ", kTokenServiceName, "\n    issuer: ", kTokenIssuerName,
                        "\n    rootcertbundle: ", registry->issuer_->cert_path(), "\n");
  } else if (!options.username.empty()) {
    RunResult htpasswd =
        RunCommand({"/usr/bin/htpasswd", "-Bbn", options.username, options.password});
    if (htpasswd.exit_code != 0) {
      return absl::InternalError(absl::StrCat("htpasswd: ", htpasswd.err));
    }
    std::string htpasswd_path = pattern + "/htpasswd";
    if (absl::Status s = WriteFile(htpasswd_path, htpasswd.out); !s.ok()) return s;
    auth =
        absl::StrCat("auth:\n  htpasswd:\n    realm: berth-test\n    path: ", htpasswd_path, "\n");
  }
  std::string tls;
  if (!options.tls_certificate.empty()) {
    tls = absl::StrCat("  tls:\n    certificate: ", options.tls_certificate,
                       "\n    key: ", options.tls_key, "\n");
    if (!options.client_ca.empty())
      absl::StrAppend(&tls, "    clientcas:\n      - ", options.client_ca, "\n");
  }
  // The port may be taken between FreePort and the registry's bind: a few tries.
  for (int attempt = 0; attempt < 5; ++attempt) {
    registry->port_ = FreePort();
    std::string config = absl::StrCat(
        "version: 0.1\n"
        "log:\n  level: debug\n  accesslog:\n    disabled: false\n"
        "storage:\n  filesystem:\n    rootdirectory: ",
        registry->storage_dir_,
        "\n  delete:\n    enabled: ", options.allow_delete ? "true" : "false",
        "\n  maintenance:\n    uploadpurging:\n      enabled: false\n",
        "http:\n  addr: 127.0.0.1:", registry->port_, "\n  secret: berth-test-", ::getpid(), "\n",
        tls, auth);
    std::string config_path = pattern + "/config.yml";
    if (absl::Status s = WriteFile(config_path, config); !s.ok()) return s;
    registry->config_path_ = config_path;
    registry->pid_ = Spawn({kDockerRegistryBinary, "serve", config_path}, registry->log_path_);
    if (registry->pid_ <= 0) return absl::InternalError("cannot start docker-registry");
    // Waits for the listener, or for the process to end (port taken, bad config).
    for (int i = 0; i < 500; ++i) {
      int code = 0;
      if (TryReap(registry->pid_, &code)) {
        registry->pid_ = -1;
        break;
      }
      if (Accepts(registry->port_)) return registry;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (registry->pid_ > 0) {
      StopProcess(registry->pid_, SIGTERM);
      registry->pid_ = -1;
    }
  }
  return absl::InternalError(
      absl::StrCat("docker-registry did not start; log:\n", registry->ReadLog()));
}

void RegistryProcess::Kill() {
  if (pid_ > 0) StopProcess(pid_, SIGKILL);
  pid_ = -1;
}

absl::Status RegistryProcess::Restart() {
  Kill();
  pid_ = Spawn({kDockerRegistryBinary, "serve", config_path_}, log_path_ + ".restarted");
  if (pid_ <= 0) return absl::InternalError("cannot start docker-registry again");
  for (int i = 0; i < 500; ++i) {
    if (Accepts(port_)) return absl::OkStatus();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return absl::InternalError("docker-registry did not come back");
}

RegistryProcess::~RegistryProcess() {
  if (pid_ > 0) StopProcess(pid_, SIGTERM);
  issuer_.reset();
  if (!dir_.empty() && std::getenv("BERTH_KEEP_TEST_REGISTRY") == nullptr) {
    RunCommand({"/bin/rm", "-rf", dir_});
  }
}

std::string RegistryProcess::host() const { return absl::StrCat("127.0.0.1:", port_); }

std::string RegistryProcess::BlobDataPath(const std::string& digest_hex) const {
  return absl::StrCat(storage_dir_, "/docker/registry/v2/blobs/sha256/", digest_hex.substr(0, 2),
                      "/", digest_hex, "/data");
}

std::string RegistryProcess::ReadLog() const {
  std::stringstream text;
  for (const std::string& path : {log_path_, log_path_ + ".restarted"}) {
    std::ifstream in(path);
    if (in) text << in.rdbuf();
  }
  return text.str();
}

bool RegistryProcess::LogEventuallyMatches(const std::string& pattern) const {
  std::regex re(pattern);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  do {
    if (std::regex_search(ReadLog(), re)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  } while (std::chrono::steady_clock::now() < deadline);
  return false;
}

}  // namespace berth::testing
