#include "services/network/core/bridge_isolation.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "services/network/core/program_runner.h"

namespace berth::network {
namespace {

constexpr char kForwardChain[] = "BERTH-FORWARD";
constexpr char kIsolationChain[] = "BERTH-ISOLATION";

std::vector<std::string> Concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace

IptablesCommand SystemIptables(std::string binary) {
  return [binary](const std::vector<std::string>& args) {
    const char* path = std::getenv("PATH");
    return RunProgram(Concat({binary, "-w", "5"}, args),
                      {absl::StrCat("PATH=", path != nullptr ? path : "/usr/sbin:/usr/bin")}, "",
                      absl::Seconds(30));
  };
}

BridgeIsolation::BridgeIsolation(IptablesCommand iptables) : iptables_(std::move(iptables)) {}

std::string BridgeIsolation::ChainName(const NetworkRecord& network) {
  return "BERTH-" + network.bridge;
}

absl::StatusOr<int> BridgeIsolation::Run(const std::vector<std::string>& args,
                                         std::string* out) const {
  BERTH_ASSIGN_OR_RETURN(ProgramOutput output, iptables_(args));
  if (output.exit_code != 0 && output.exit_code != 1) {
    return absl::InternalError(absl::StrCat("iptables ", absl::StrJoin(args, " "), ": ", output.err,
                                            " (exit status ", output.exit_code, ")"));
  }
  if (out != nullptr) *out = std::move(output.out);
  return output.exit_code;
}

absl::Status BridgeIsolation::Must(const std::vector<std::string>& args) const {
  std::string ignored;
  BERTH_ASSIGN_OR_RETURN(int code, Run(args, &ignored));
  if (code != 0) {
    return absl::InternalError(absl::StrCat("iptables ", absl::StrJoin(args, " "), " failed"));
  }
  return absl::OkStatus();
}

absl::Status BridgeIsolation::EnsureChain(const std::string& chain) const {
  BERTH_ASSIGN_OR_RETURN(int code, Run({"-S", chain}));
  if (code == 0) return absl::OkStatus();
  BERTH_ASSIGN_OR_RETURN(code, Run({"-N", chain}));
  if (code == 0) return absl::OkStatus();
  // Another berthd on this host may have made it between the two calls.
  BERTH_ASSIGN_OR_RETURN(code, Run({"-S", chain}));
  if (code == 0) return absl::OkStatus();
  return absl::InternalError(absl::StrCat("iptables -N ", chain, " failed"));
}

absl::Status BridgeIsolation::EnsureRule(const std::string& chain,
                                         const std::vector<std::string>& rule) const {
  BERTH_ASSIGN_OR_RETURN(int code, Run(Concat({"-C", chain}, rule)));
  if (code == 0) return absl::OkStatus();
  return Must(Concat({"-A", chain}, rule));
}

absl::Status BridgeIsolation::DeleteRule(const std::string& chain,
                                         const std::vector<std::string>& rule) const {
  // Until none is left (a crash may have added one twice).
  for (int i = 0; i < 16; ++i) {
    BERTH_ASSIGN_OR_RETURN(int code, Run(Concat({"-D", chain}, rule)));
    if (code != 0) break;
  }
  return absl::OkStatus();
}

absl::Status BridgeIsolation::KeepFirst() const {
  BERTH_RETURN_IF_ERROR(EnsureChain(kForwardChain));
  std::string rules;
  BERTH_ASSIGN_OR_RETURN(int code, Run({"-S", "FORWARD"}, &rules));
  if (code != 0) return absl::InternalError("iptables -S FORWARD failed");
  std::vector<absl::string_view> lines = absl::StrSplit(rules, '\n', absl::SkipEmpty());
  const std::string ours = absl::StrCat("-A FORWARD -j ", kForwardChain);
  if (lines.size() >= 2 && lines[1] == ours) return absl::OkStatus();  // line 0 is the policy
  BERTH_RETURN_IF_ERROR(DeleteRule("FORWARD", {"-j", kForwardChain}));
  return Must({"-I", "FORWARD", "1", "-j", kForwardChain});
}

absl::Status BridgeIsolation::Install(const NetworkRecord& network) const {
  const std::string chain = ChainName(network);
  const std::string& br = network.bridge;
  BERTH_RETURN_IF_ERROR(EnsureChain(kIsolationChain));
  BERTH_RETURN_IF_ERROR(EnsureChain(chain));
  BERTH_RETURN_IF_ERROR(Must({"-F", chain}));
  if (network.internal) {
    BERTH_RETURN_IF_ERROR(Must({"-A", chain, "-i", br, "!", "-o", br, "-j", "DROP"}));
    BERTH_RETURN_IF_ERROR(Must({"-A", chain, "!", "-i", br, "-o", br, "-j", "DROP"}));
  }
  BERTH_RETURN_IF_ERROR(Must({"-A", chain, "-i", br, "!", "-o", br, "-j", kIsolationChain}));
  BERTH_RETURN_IF_ERROR(EnsureRule(kIsolationChain, {"-o", br, "-j", "DROP"}));
  BERTH_RETURN_IF_ERROR(KeepFirst());
  return EnsureRule(kForwardChain, {"-j", chain});
}

absl::Status BridgeIsolation::Ensure(const NetworkRecord& network) const {
  BERTH_ASSIGN_OR_RETURN(int exists, Run({"-S", ChainName(network)}));
  if (exists == 0) return absl::OkStatus();
  return Install(network);
}

absl::Status BridgeIsolation::Remove(const NetworkRecord& network) const {
  const std::string chain = ChainName(network);
  BERTH_ASSIGN_OR_RETURN(int exists, Run({"-S", kForwardChain}));
  if (exists == 0) BERTH_RETURN_IF_ERROR(DeleteRule(kForwardChain, {"-j", chain}));
  BERTH_ASSIGN_OR_RETURN(exists, Run({"-S", kIsolationChain}));
  if (exists == 0) {
    BERTH_RETURN_IF_ERROR(DeleteRule(kIsolationChain, {"-o", network.bridge, "-j", "DROP"}));
  }
  BERTH_ASSIGN_OR_RETURN(exists, Run({"-S", chain}));
  if (exists != 0) return absl::OkStatus();
  BERTH_RETURN_IF_ERROR(Must({"-F", chain}));
  return Must({"-X", chain});
}

}  // namespace berth::network
