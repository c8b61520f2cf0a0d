// BridgeIsolation's rules against an in-memory filter table (no root, no iptables).
#include "services/network/core/bridge_isolation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "absl/strings/str_join.h"
#include "common/status_matchers.h"

namespace berth::network {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// Chains → rules ("-i br0 -j DROP") of the filter and nat tables, with the few commands
// BridgeIsolation uses; counts the commands.
class FakeTables {
 public:
  FakeTables() {
    chains_["FORWARD"] = {};
    nat_["POSTROUTING"] = {};
  }

  absl::StatusOr<ProgramOutput> operator()(std::vector<std::string> args) {
    ++commands_;
    auto* chains = &chains_;
    if (args.at(0) == "-t") {
      if (args.at(1) == "nat") chains = &nat_;
      args.erase(args.begin(), args.begin() + 2);
    }
    const std::string& op = args.at(0);
    const std::string& chain = args.at(1);
    ProgramOutput out;
    out.exit_code = 0;
    auto it = chains->find(chain);
    if (op == "-N") {
      if (it != chains->end()) out.exit_code = 1;
      (*chains)[chain];
      return out;
    }
    if (it == chains->end()) {
      out.exit_code = 1;
      return out;
    }
    std::vector<std::string>& rules = it->second;
    size_t first = op == "-I" ? 3 : 2;
    const std::string rule = absl::StrJoin(
        std::vector<std::string>(args.begin() + std::min(first, args.size()), args.end()), " ");
    if (op == "-S") {
      out.out = chain == "FORWARD" ? "-P FORWARD ACCEPT\n" : "-N " + chain + "\n";
      for (const std::string& r : rules) out.out += "-A " + chain + " " + r + "\n";
    } else if (op == "-F") {
      rules.clear();
    } else if (op == "-X") {
      chains->erase(it);
    } else if (op == "-A") {
      rules.push_back(rule);
    } else if (op == "-I") {
      rules.insert(rules.begin() + (std::stoi(args.at(2)) - 1), rule);
    } else if (op == "-C" || op == "-D") {
      auto found = std::find(rules.begin(), rules.end(), rule);
      if (found == rules.end()) {
        out.exit_code = 1;
      } else if (op == "-D") {
        rules.erase(found);
      }
    }
    return out;
  }

  std::map<std::string, std::vector<std::string>> chains_;  // filter
  std::map<std::string, std::vector<std::string>> nat_;
  int commands_ = 0;
};

NetworkRecord Network(const std::string& bridge, bool internal,
                      const std::string& subnet = "172.30.0.0/24") {
  NetworkRecord n;
  n.id = std::string(64, 'a');
  n.bridge = bridge;
  n.internal = internal;
  n.subnet = subnet;
  return n;
}

TEST(BridgeIsolationTest, TwoStageChainsAndInternalDrops) {
  auto table = std::make_shared<FakeTables>();
  // The firewall plugin got there first.
  table->chains_["FORWARD"] = {"-j CNI-FORWARD"};
  BridgeIsolation isolation([table](const auto& args) { return (*table)(args); });
  BERTH_ASSERT_OK(isolation.Install(Network("br-a", false)));
  BERTH_ASSERT_OK(isolation.Install(Network("br-b", true, "172.31.0.0/24")));
  BERTH_ASSERT_OK(isolation.Install(Network("br-a", false)));  // idempotent

  auto& chains = table->chains_;
  EXPECT_THAT(chains["FORWARD"], ElementsAre("-j BERTH-FORWARD", "-j CNI-FORWARD"));
  EXPECT_THAT(chains["BERTH-FORWARD"], ElementsAre("-j BERTH-br-a", "-j BERTH-br-b"));
  EXPECT_THAT(chains["BERTH-ISOLATION"], ElementsAre("-o br-a -j DROP", "-o br-b -j DROP"));
  EXPECT_THAT(chains["BERTH-br-a"],
              ElementsAre("-i br-a ! -o br-a -j BERTH-ISOLATION",
                          "-o br-a -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
                          "-i br-a -j ACCEPT"));
  EXPECT_THAT(chains["BERTH-br-b"],
              ElementsAre("-i br-b ! -o br-b -j DROP", "! -i br-b -o br-b -j DROP",
                          "-i br-b ! -o br-b -j BERTH-ISOLATION",
                          "-o br-b -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
                          "-i br-b -j ACCEPT"));
  // One masquerade rule per network, none for the internal one.
  EXPECT_THAT(table->nat_["POSTROUTING"], ElementsAre("-j BERTH-POSTROUTING"));
  EXPECT_THAT(table->nat_["BERTH-POSTROUTING"],
              ElementsAre("-s 172.30.0.0/24 ! -o br-a -j MASQUERADE"));

  // The plugin's chain moved above berth's again: KeepFirst puts berth's back on top.
  chains["FORWARD"] = {"-j CNI-FORWARD", "-j BERTH-FORWARD"};
  BERTH_ASSERT_OK(isolation.KeepFirst());
  EXPECT_THAT(chains["FORWARD"], ElementsAre("-j BERTH-FORWARD", "-j CNI-FORWARD"));

  BERTH_ASSERT_OK(isolation.Remove(Network("br-a", false)));
  BERTH_ASSERT_OK(isolation.Remove(Network("br-a", false)));  // idempotent
  EXPECT_EQ(chains.count("BERTH-br-a"), 0u);
  EXPECT_THAT(chains["BERTH-FORWARD"], ElementsAre("-j BERTH-br-b"));
  EXPECT_THAT(chains["BERTH-ISOLATION"], ElementsAre("-o br-b -j DROP"));
  EXPECT_THAT(table->nat_["BERTH-POSTROUTING"], IsEmpty());
  BERTH_ASSERT_OK(isolation.Remove(Network("br-b", true, "172.31.0.0/24")));
  EXPECT_THAT(chains["BERTH-FORWARD"], IsEmpty());
  EXPECT_THAT(chains["BERTH-ISOLATION"], IsEmpty());
}

TEST(BridgeIsolationTest, MasqueradeFollowsTheNetworksOption) {
  auto table = std::make_shared<FakeTables>();
  BridgeIsolation isolation([table](const auto& args) { return (*table)(args); });
  NetworkRecord n = Network("br-m", false);
  BERTH_ASSERT_OK(isolation.Install(n));
  EXPECT_THAT(table->nat_["BERTH-POSTROUTING"],
              ElementsAre("-s 172.30.0.0/24 ! -o br-m -j MASQUERADE"));
  n.options[kMasqueradeOption] = "false";
  BERTH_ASSERT_OK(isolation.Install(n));
  EXPECT_THAT(table->nat_["BERTH-POSTROUTING"], IsEmpty());
}

TEST(BridgeIsolationTest, EnsureRunsOneCommandWhenInstalledAndRepairsOtherwise) {
  auto table = std::make_shared<FakeTables>();
  BridgeIsolation isolation([table](const auto& args) { return (*table)(args); });
  BERTH_ASSERT_OK(isolation.Ensure(Network("berth0", false)));
  EXPECT_EQ(table->chains_["BERTH-berth0"].size(), 3u);
  const int before = table->commands_;
  BERTH_ASSERT_OK(isolation.Ensure(Network("berth0", false)));
  EXPECT_EQ(table->commands_, before + 1);
  // Rules of an older berth (no ACCEPT rules, no masquerade) are brought up to date.
  table->chains_["BERTH-berth0"] = {"-i berth0 ! -o berth0 -j BERTH-ISOLATION"};
  table->nat_["BERTH-POSTROUTING"].clear();
  BERTH_ASSERT_OK(isolation.Ensure(Network("berth0", false)));
  EXPECT_EQ(table->chains_["BERTH-berth0"].size(), 3u);
  EXPECT_EQ(table->nat_["BERTH-POSTROUTING"].size(), 1u);
}

}  // namespace
}  // namespace berth::network
