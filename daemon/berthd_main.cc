// berthd: hosts any subset of berth's services on one gRPC endpoint, plus /metrics.
#include <signal.h>
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "absl/strings/str_join.h"
#include "common/daemon_config.h"
#include "common/log.h"
#include "common/version.h"
#include "daemon/daemon_host.h"
#include "daemon/host_config.h"
#include "daemon/idle_trimmer.h"
#include "daemon/service_notify.h"

namespace {

using berth::daemon::DaemonFlags;

void AddFlags(CLI::App& app, DaemonFlags& flags) {
  app.add_option("--config-file,--config", flags.config_file, "Daemon configuration file")
      ->capture_default_str();
  app.add_option("--root,--data-root", flags.root, "Root directory of persistent state");
  app.add_option("--state,--exec-root", flags.state, "Root directory of volatile state");
  app.add_option("--socket", flags.socket, "Unix socket to listen on");
  app.add_option("-H,--host", flags.hosts, "Additional address to listen on (tcp://host:port)");
  app.add_option("--services", flags.services,
                 "Services to host, comma-separated (default: images,runtime,network,volumes)");
  app.add_option("--service-address", flags.service_addresses,
                 "Where a service hosted elsewhere is reached, as name=address (repeatable)");
  app.add_option("--metrics-address,--metrics-addr", flags.metrics_address,
                 "Serve Prometheus metrics at host:port (port 0 picks one)");
  app.add_option("-G,--group", flags.group, "Group for the unix socket")->default_str("berth");
  app.add_flag("--tlsverify", flags.tlsverify, "Require mutual TLS on tcp:// listeners");
  app.add_option("--tlscacert", flags.tlscacert, "Trust client certificates signed by this CA");
  app.add_option("--tlscert", flags.tlscert, "Path to the TLS certificate file");
  app.add_option("--tlskey", flags.tlskey, "Path to the TLS key file");
  app.add_flag("--allow-insecure-tcp", flags.allow_insecure_tcp,
               "Listen on tcp:// without TLS (anyone who connects gets root)");
  app.add_option("-l,--log-level", flags.log_level, "debug, info, warn or error");
  app.add_option("--log-format", flags.log_format, "text or json");
  app.add_flag("-D,--debug", flags.debug, "Enable debug logging");
}

int Fail(const absl::Status& status) {
  berth::log::Error("berthd failed to start", {{"error", std::string(status.message())}});
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  berth::daemon::UseOneMallocArena();
  CLI::App app{"berthd: the berth container engine's service host", "berthd"};
  DaemonFlags flags;
  AddFlags(app, flags);
  bool show_version = false;
  app.add_flag("-v,--version", show_version, "Print version information and quit");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 125;
  }
  if (show_version) {
    std::printf("berthd version %s, build %s\n", berth::Version(), berth::GitCommit());
    return 0;
  }
  flags.config_file_given = app.count("--config-file") > 0;

  auto file = berth::LoadDaemonConfig(flags.config_file, flags.config_file_given);
  if (!file.ok()) return Fail(file.status());
  auto config = berth::daemon::ResolveHostConfig(flags, *std::move(file));
  if (!config.ok()) return Fail(config.status());
  auto level = berth::log::ParseLevel(config->log_level);
  auto format = berth::log::ParseFormat(config->log_format);
  if (!level.ok()) return Fail(level.status());
  if (!format.ok()) return Fail(format.status());
  berth::log::Configure(*level, *format);

  // Signals are taken synchronously by the main thread; block them before any thread starts.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  auto host = berth::daemon::DaemonHost::Start(*config);
  if (!host.ok()) return Fail(host.status());
  berth::log::Info("berthd ready", {{"services", absl::StrJoin(config->services, ",")},
                                    {"listen", absl::StrJoin((*host)->listen_addresses(), ",")},
                                    {"metrics", (*host)->metrics_address()},
                                    {"version", berth::Version()}});
  berth::daemon::NotifyServiceManager("READY=1\nSTATUS=serving");
  berth::daemon::IdleTrimmer trimmer;

  for (;;) {
    int signal_number = 0;
    if (sigwait(&stop_signals, &signal_number) != 0) continue;
    if (signal_number == SIGHUP) continue;  // reload arrives with a later issue
    berth::log::Info("berthd stopping", {{"signal", strsignal(signal_number)}});
    break;
  }
  berth::daemon::NotifyServiceManager("STOPPING=1");
  (*host)->Shutdown();  // sockets removed, in-flight calls finished
  berth::log::Info("berthd stopped");
  // Destroying the metrics server (civetweb) and gRPC's globals waits out their poll
  // timeouts, about two seconds; nothing of berthd's is left to release, so leave now.
  std::_Exit(0);
}
