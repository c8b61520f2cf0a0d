// berthctl login / logout, as Docker's: berthd checks the credentials against the
// registry, and berthctl keeps them in ~/.berth/config.json (mode 0600).
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "berth/images/v1/transfer.grpc.pb.h"
#include "ctl/command.h"
#include "ctl/daemon_call.h"
#include "services/images/core/credential_store.h"

namespace berth::ctl {
namespace {

struct LoginFlags {
  std::string server;
  std::string username;
  std::string password;
  bool password_stdin = false;
};

std::string HomeDir() {
  const char* home = std::getenv("HOME");
  return home != nullptr ? home : "/root";
}

// "https://127.0.0.1:5000/" → "127.0.0.1:5000"; empty → "docker.io".
std::string ServerHost(std::string server) {
  absl::string_view view = server;
  absl::ConsumePrefix(&view, "https://") || absl::ConsumePrefix(&view, "http://");
  view = view.substr(0, view.find('/'));
  if (view.empty() || view == "index.docker.io" || view == "registry-1.docker.io") {
    return "docker.io";
  }
  return std::string(view);
}

// One line from stdin after `prompt`; without echo when `secret`.
std::string Prompt(const char* prompt, bool secret) {
  std::fprintf(stderr, "%s", prompt);
  std::fflush(stderr);
  termios saved{};
  const bool hide = secret && ::tcgetattr(STDIN_FILENO, &saved) == 0;
  if (hide) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string line;
  std::getline(std::cin, line);
  if (hide) {
    ::tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    std::fprintf(stderr, "\n");
  }
  return std::string(absl::StripSuffix(line, "\r"));
}

int RunLogin(const GlobalOptions& global, LoginFlags flags) {
  if (!flags.password.empty() && flags.password_stdin) {
    std::fprintf(stderr, "--password and --password-stdin are mutually exclusive\n");
    return 1;
  }
  if (flags.password_stdin) {
    if (flags.username.empty()) {
      std::fprintf(stderr, "Must provide --username with --password-stdin\n");
      return 1;
    }
    std::string all((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    flags.password = std::string(absl::StripSuffix(absl::StripSuffix(all, "\n"), "\r"));
  } else if (!flags.password.empty()) {
    std::fprintf(stderr,
                 "WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n");
  }
  if (flags.username.empty() || flags.password.empty()) {
    if (::isatty(STDIN_FILENO) != 1) {
      std::fprintf(stderr, "Error: Cannot perform an interactive login from a non TTY device\n");
      return 1;
    }
    if (flags.username.empty()) flags.username = Prompt("Username: ", false);
    if (flags.password.empty()) flags.password = Prompt("Password: ", true);
    if (flags.username.empty() || flags.password.empty()) {
      std::fprintf(stderr, "Error: Username and password are required\n");
      return 1;
    }
  }
  const std::string host = ServerHost(flags.server);
  images::v1::AuthenticateRequest request;
  request.mutable_auth()->set_server_address(host);
  request.mutable_auth()->set_username(flags.username);
  request.mutable_auth()->set_password(flags.password);
  images::v1::AuthenticateResponse response;
  auto channel = Connect(global);
  if (!channel.ok()) {
    return ReportConnectError(global, channel.status());
  }
  grpc::ClientContext context;
  PrepareCall(context, 60);
  grpc::Status status =
      images::v1::Transfer::NewStub(*channel)->Authenticate(&context, request, &response);
  if (!status.ok()) return ReportCallError(global, status);

  images::CredentialStore store(HomeDir());
  absl::Status stored = store.Store(host, {flags.username, flags.password});
  if (!stored.ok()) {
    std::fprintf(stderr, "Error saving credentials: %s\n", std::string(stored.message()).c_str());
    return 1;
  }
  std::fprintf(stderr, "WARNING! Your password will be stored unencrypted in %s.\n",
               store.berth_config_path().c_str());
  std::printf("%s\n", response.status().c_str());
  return 0;
}

int RunLogout(const std::string& server) {
  const std::string host = ServerHost(server);
  const std::string shown = images::CredentialKeyForHost(host);
  images::CredentialStore store(HomeDir());
  absl::Status erased = store.Erase(host);
  if (absl::IsNotFound(erased)) {
    std::printf("Not logged in to %s\n", shown.c_str());
    return 0;
  }
  if (!erased.ok()) {
    std::fprintf(stderr, "Error removing credentials: %s\n", std::string(erased.message()).c_str());
    return 1;
  }
  std::printf("Removing login credentials for %s\n", shown.c_str());
  return 0;
}

}  // namespace

void AddLoginCommands(CLI::App& app, CommandRunner& run) {
  auto flags = std::make_shared<LoginFlags>();
  CLI::App* login = app.add_subcommand("login", "Log in to a registry");
  login->add_option("SERVER", flags->server, "Registry host (default docker.io)");
  login->add_option("-u,--username", flags->username, "Username");
  login->add_option("-p,--password", flags->password, "Password");
  login->add_flag("--password-stdin", flags->password_stdin, "Take the password from stdin");
  login->callback([&run, flags] {
    run = [flags](const GlobalOptions& global) { return RunLogin(global, *flags); };
  });

  auto server = std::make_shared<std::string>();
  CLI::App* logout = app.add_subcommand("logout", "Log out from a registry");
  logout->add_option("SERVER", *server, "Registry host (default docker.io)");
  logout->callback(
      [&run, server] { run = [server](const GlobalOptions&) { return RunLogout(*server); }; });
}

}  // namespace berth::ctl
