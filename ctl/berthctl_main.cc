// berthctl: the operator's CLI, with Docker's commands, flags, help layout and exit codes.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "common/version.h"
#include "ctl/command.h"
#include "ctl/image_commands.h"
#include "ctl/network_commands.h"
#include "ctl/shared_channels.h"
#include "ctl/volume_commands.h"

namespace {

using berth::ctl::GlobalOptions;

void PrintTopHelp(const CLI::App& app) {
  std::printf(
      "\nUsage:  berthctl [OPTIONS] COMMAND\n\n"
      "A container engine with Docker's commands\n\n"
      "Commands:\n");
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    std::printf("  %-11s %s\n", sub->get_name().c_str(), sub->get_description().c_str());
  }
  std::printf(
      "\nGlobal Options:\n"
      "  -D, --debug              Enable debug mode\n"
      "  -H, --host string        Daemon socket to connect to (unix:///path or tcp://host:port;\n"
      "                           default $BERTH_HOST or unix:///run/berth/berthd.sock)\n"
      "      --tlsverify          Use mutual TLS and verify the remote (default "
      "$BERTH_TLS_VERIFY)\n"
      "      --tlscacert string   Trust certs signed only by this CA (default ~/.berth/ca.pem)\n"
      "      --tlscert string     Path to TLS certificate file (default ~/.berth/cert.pem)\n"
      "      --tlskey string      Path to TLS key file (default ~/.berth/key.pem)\n"
      "  -v, --version            Print version information and quit\n"
      "\nRun 'berthctl COMMAND --help' for more information on a command.\n");
}

// `-h, --help` on every command at every depth — only `--help` where -h means
// something else (Docker's -h is --hostname for create and run).
void SetHelpFlags(CLI::App& parent) {
  for (CLI::App* sub : parent.get_subcommands([](const CLI::App*) { return true; })) {
    if (sub->get_help_ptr() == nullptr) {
      const bool h_taken = sub->get_option_no_throw("-h") != nullptr;
      sub->set_help_flag(h_taken ? "--help" : "-h,--help", "Print usage");
    }
    SetHelpFlags(*sub);
  }
}

int UsageError(const std::string& message, const std::string& where) {
  std::fprintf(stderr, "%s\nSee '%s --help'.\n", message.c_str(), where.c_str());
  return berth::ctl::kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"A container engine with Docker's commands", "berthctl"};
  app.set_help_flag();  // help is printed in Docker's layout below
  bool help = false;
  bool version = false;
  GlobalOptions options;
  app.add_flag("-h,--help", help);
  app.add_flag("-v,--version", version);
  app.add_flag("-D,--debug", options.debug);
  app.add_option("-H,--host", options.host);
  app.add_flag("--tlsverify", options.tlsverify);
  app.add_option("--tlscacert", options.tlscacert);
  app.add_option("--tlscert", options.tlscert);
  app.add_option("--tlskey", options.tlskey);
  app.require_subcommand(0, 1);

  berth::ctl::CommandRunner run;
  berth::ctl::AddVersionCommand(app, run);
  berth::ctl::AddInfoCommand(app, run);
  berth::ctl::AddPullCommand(app, run);
  berth::ctl::AddPushCommand(app, run);
  berth::ctl::AddLoadCommand(app, run);
  berth::ctl::AddLoginCommands(app, run);
  berth::ctl::AddSearchCommand(app, run);
  berth::ctl::AddSaveCommand(app, run);
  berth::ctl::AddImportCommand(app, run);
  berth::ctl::AddEventsCommand(app, run);
  berth::ctl::AddImageCommands(app, run);
  berth::ctl::AddNetworkCommands(app, run);
  berth::ctl::AddVolumeCommands(app, run);
  berth::ctl::AddContainerCommands(app, run);
  SetHelpFlags(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    if (!app.get_subcommands().empty()) return app.exit(e);  // the command's own usage
    PrintTopHelp(app);
    return 0;
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // a subcommand's --help
    std::string where = "berthctl";
    for (const CLI::App* sub : app.get_subcommands()) where += " " + sub->get_name();
    if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr) {
      // Docker's words: "unknown flag: --x" for flags, "'x' is not a … command" otherwise.
      std::string message = e.what();
      std::string extra = message.substr(message.rfind(": ") + 2);
      if (extra.rfind('-', 0) == 0) {
        return UsageError("unknown flag: " + extra.substr(0, extra.find(' ')), "berthctl");
      }
      if (app.get_subcommands().empty()) {
        return UsageError(
            "berthctl: '" + extra.substr(0, extra.find(' ')) + "' is not a berthctl command.",
            where);
      }
    }
    return UsageError(e.what(), where);
  }
  if (version) {
    std::printf("berthctl version %s, build %s\n", berth::Version(), berth::GitCommit());
    return 0;
  }
  if (help || !run) {
    PrintTopHelp(app);
    return help ? 0 : berth::ctl::kExitUsage;
  }
  berth::ctl::SharedChannels channels;
  const int code = run(options);
  // Everything the command had to do is done and its output written: leave without
  // gRPC's shutdown, which waits for its threads to notice (5-10 ms of every command).
  std::fflush(nullptr);
  std::_Exit(code);
}
