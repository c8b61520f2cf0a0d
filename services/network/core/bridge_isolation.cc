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
constexpr char kNatChain[] = "BERTH-POSTROUTING";
const std::vector<std::string> kNat = {"-t", "nat"};

std::vector<std::string> Concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

bool Masquerades(const NetworkRecord& network) {
  if (network.internal || network.subnet.empty()) return false;
  auto it = network.options.find(kMasqueradeOption);
  return it == network.options.end() || it->second != "false";
}

std::vector<std::string> MasqueradeRule(const NetworkRecord& network) {
  return {"-s", network.subnet, "!", "-o", network.bridge, "-j", "MASQUERADE"};
}

// The last rule Install adds: its presence means the network is installed.
std::vector<std::string> AcceptOutRule(const NetworkRecord& network) {
  return {"-i", network.bridge, "-j", "ACCEPT"};
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

absl::Status BridgeIsolation::EnsureChain(const std::string& chain, const Table& table) const {
  BERTH_ASSIGN_OR_RETURN(int code, Run(Concat(table, {"-S", chain})));
  if (code == 0) return absl::OkStatus();
  BERTH_ASSIGN_OR_RETURN(code, Run(Concat(table, {"-N", chain})));
  if (code == 0) return absl::OkStatus();
  // Another berthd on this host may have made it between the two calls.
  BERTH_ASSIGN_OR_RETURN(code, Run(Concat(table, {"-S", chain})));
  if (code == 0) return absl::OkStatus();
  return absl::InternalError(absl::StrCat("iptables -N ", chain, " failed"));
}

absl::Status BridgeIsolation::EnsureRule(const std::string& chain,
                                         const std::vector<std::string>& rule,
                                         const Table& table) const {
  BERTH_ASSIGN_OR_RETURN(int code, Run(Concat(Concat(table, {"-C", chain}), rule)));
  if (code == 0) return absl::OkStatus();
  return Must(Concat(Concat(table, {"-A", chain}), rule));
}

absl::Status BridgeIsolation::DeleteRule(const std::string& chain,
                                         const std::vector<std::string>& rule,
                                         const Table& table) const {
  // Until none is left (a crash may have added one twice).
  for (int i = 0; i < 16; ++i) {
    BERTH_ASSIGN_OR_RETURN(int code, Run(Concat(Concat(table, {"-D", chain}), rule)));
    if (code != 0) break;
  }
  return absl::OkStatus();
}

absl::Status BridgeIsolation::KeepFirst() const {
  // One iptables run when all is well (every attach asks): a jump to the chain at the
  // top means the chain exists too.
  std::string rules;
  BERTH_ASSIGN_OR_RETURN(int code, Run({"-S", "FORWARD"}, &rules));
  if (code != 0) return absl::InternalError("iptables -S FORWARD failed");
  std::vector<absl::string_view> lines = absl::StrSplit(rules, '\n', absl::SkipEmpty());
  const std::string ours = absl::StrCat("-A FORWARD -j ", kForwardChain);
  if (lines.size() >= 2 && lines[1] == ours) return absl::OkStatus();  // line 0 is the policy
  BERTH_RETURN_IF_ERROR(EnsureChain(kForwardChain));
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
  BERTH_RETURN_IF_ERROR(EnsureChain(kNatChain, kNat));
  BERTH_RETURN_IF_ERROR(EnsureRule("POSTROUTING", {"-j", kNatChain}, kNat));
  if (Masquerades(network)) {
    BERTH_RETURN_IF_ERROR(EnsureRule(kNatChain, MasqueradeRule(network), kNat));
  } else if (!network.subnet.empty()) {
    BERTH_RETURN_IF_ERROR(DeleteRule(kNatChain, MasqueradeRule(network), kNat));
  }
  BERTH_RETURN_IF_ERROR(KeepFirst());
  BERTH_RETURN_IF_ERROR(EnsureRule(kForwardChain, {"-j", chain}));
  BERTH_RETURN_IF_ERROR(Must({"-A", chain, "-o", br, "-m", "conntrack", "--ctstate",
                              "RELATED,ESTABLISHED", "-j", "ACCEPT"}));
  return Must(Concat({"-A", chain}, AcceptOutRule(network)));
}

absl::Status BridgeIsolation::Ensure(const NetworkRecord& network) const {
  BERTH_ASSIGN_OR_RETURN(int installed,
                         Run(Concat({"-C", ChainName(network)}, AcceptOutRule(network))));
  if (installed == 0) return absl::OkStatus();
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
  BERTH_ASSIGN_OR_RETURN(exists, Run(Concat(kNat, {"-S", kNatChain})));
  if (exists == 0 && !network.subnet.empty()) {
    BERTH_RETURN_IF_ERROR(DeleteRule(kNatChain, MasqueradeRule(network), kNat));
  }
  BERTH_ASSIGN_OR_RETURN(exists, Run({"-S", chain}));
  if (exists != 0) return absl::OkStatus();
  BERTH_RETURN_IF_ERROR(Must({"-F", chain}));
  return Must({"-X", chain});
}

}  // namespace berth::network
