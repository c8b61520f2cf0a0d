// The firewall rules of berth's bridge networks, in iptables chains named for berth
// (Docker's two-stage isolation and its masquerading, per network):
//
//   filter FORWARD (rule 1)  -j BERTH-FORWARD
//   BERTH-FORWARD            -j BERTH-<br>                            one per network
//   BERTH-<br>               -i <br> ! -o <br> -j DROP                internal networks only
//                            ! -i <br> -o <br> -j DROP                internal networks only
//                            -i <br> ! -o <br> -j BERTH-ISOLATION
//                            -o <br> -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
//                            -i <br> -j ACCEPT
//   BERTH-ISOLATION          -o <br> -j DROP                          one per network
//   nat POSTROUTING          -j BERTH-POSTROUTING
//   BERTH-POSTROUTING        -s <subnet> ! -o <br> -j MASQUERADE      unless internal or
//                                                                     masquerade is off
//
// so traffic leaving one berth bridge for another is dropped, an internal network
// forwards nothing in or out, containers' own traffic and its replies pass a FORWARD
// policy of DROP, and their traffic out is masqueraded — one set of rules per network,
// not per container (the bridge plugin's ipMasq and the firewall plugin would add and
// remove a dozen rules for every container). A network's chain is named for its bridge
// (a user network's bridge is br-<12 hex of its ID>, the default one berth0), and its
// chain and rules go with the network.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/network/core/network_record.h"
#include "services/network/core/program_runner.h"

namespace berth::network {

// Runs `iptables <args>` (filter table); the real one execs the binary with `-w 5`.
using IptablesCommand =
    std::function<absl::StatusOr<ProgramOutput>(const std::vector<std::string>& args)>;
IptablesCommand SystemIptables(std::string binary = "/usr/sbin/iptables");

class BridgeIsolation {
 public:
  explicit BridgeIsolation(IptablesCommand iptables = SystemIptables());

  static std::string ChainName(const NetworkRecord& network);

  // Idempotent: creates what is missing.
  absl::Status Install(const NetworkRecord& network) const;
  // Install unless the network's rules are there already (one iptables run: the last
  // rule Install adds).
  absl::Status Ensure(const NetworkRecord& network) const;
  // Idempotent: removes what is there.
  absl::Status Remove(const NetworkRecord& network) const;
  // Puts `-j BERTH-FORWARD` back at the top of FORWARD, where other tools (the CNI
  // firewall plugin of an operator's conflist, for one) insert their ACCEPTing chains.
  absl::Status KeepFirst() const;

 private:
  // Runs iptables; the exit code (1 is iptables' "no such rule/chain" and friends).
  absl::StatusOr<int> Run(const std::vector<std::string>& args, std::string* out = nullptr) const;
  absl::Status Must(const std::vector<std::string>& args) const;
  // `table` is prepended to each command: {} for filter, {"-t", "nat"}.
  using Table = std::vector<std::string>;
  absl::Status EnsureChain(const std::string& chain, const Table& table = {}) const;
  absl::Status EnsureRule(const std::string& chain, const std::vector<std::string>& rule,
                          const Table& table = {}) const;
  absl::Status DeleteRule(const std::string& chain, const std::vector<std::string>& rule,
                          const Table& table = {}) const;

  IptablesCommand iptables_;
};

}  // namespace berth::network
