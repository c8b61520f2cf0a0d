#include "services/network/core/name_files.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "common/file_text.h"
#include "common/status_matchers.h"

namespace berth::network {
namespace {

// docker run -h t1.example.com --add-host www.example.com:1.1.1.1 (Docker 20.10).
TEST(NameFilesTest, HostsAsDocker) {
  auto extra = ParseExtraHost("www.example.com:1.1.1.1", "");
  BERTH_ASSERT_OK(extra);
  std::string hosts =
      RenderHostsFile({*extra}, {OwnHostsEntry("172.17.0.2", "t1.example.com", "")}, {});
  EXPECT_EQ(hosts,
            "127.0.0.1\tlocalhost\n"
            "::1\tlocalhost ip6-localhost ip6-loopback\n"
            "fe00::0\tip6-localnet\n"
            "ff00::0\tip6-mcastprefix\n"
            "ff02::1\tip6-allnodes\n"
            "ff02::2\tip6-allrouters\n"
            "1.1.1.1\twww.example.com\n"
            "172.17.0.2\tt1.example.com t1\n");
}

TEST(NameFilesTest, OwnEntryForms) {
  EXPECT_EQ(OwnHostsEntry("10.0.0.2", "abcdef012345", "").names, "abcdef012345");
  EXPECT_EQ(OwnHostsEntry("10.0.0.2", "web", "example.com").names, "web.example.com web");
}

TEST(NameFilesTest, ExtraHosts) {
  auto gateway = ParseExtraHost("host.docker.internal:host-gateway", "10.88.0.1");
  BERTH_ASSERT_OK(gateway);
  EXPECT_EQ(gateway->ip, "10.88.0.1");
  auto v6 = ParseExtraHost("six:fd00::1", "");
  BERTH_ASSERT_OK(v6);
  EXPECT_EQ(v6->ip, "fd00::1");
  EXPECT_FALSE(ParseExtraHost("nocolon", "").ok());
  EXPECT_FALSE(ParseExtraHost("gw:host-gateway", "").ok());
}

TEST(NameFilesTest, ResolvConfFromFlags) {
  DnsSettings dns{{"10.0.0.2"}, {"example.com"}, {}};
  EXPECT_EQ(RenderResolvConf("nameserver 192.168.1.1\noptions ndots:2\n", dns),
            "search example.com\nnameserver 10.0.0.2\noptions ndots:2\n");
  DnsSettings dot{{"10.0.0.2"}, {"."}, {"ndots:1"}};
  EXPECT_EQ(RenderResolvConf("search corp\n", dot), "nameserver 10.0.0.2\noptions ndots:1\n");
}

TEST(NameFilesTest, ResolvConfFromHostWithoutLoopback) {
  EXPECT_EQ(RenderResolvConf("search corp\nnameserver 127.0.0.53\nnameserver 192.168.1.1\n", {}),
            "search corp\n\nnameserver 192.168.1.1\n");
  EXPECT_EQ(RenderResolvConf("nameserver 127.0.0.1\n", {}),
            "\n\nnameserver 8.8.8.8\nnameserver 8.8.4.4\nnameserver 2001:4860:4860::8888\n"
            "nameserver 2001:4860:4860::8844");
}

TEST(NameFilesTest, RewriteKeepsTheInode) {
  const std::string path = ::testing::TempDir() + "/hosts-inplace-" + std::to_string(::getpid());
  BERTH_ASSERT_OK(RewriteFileInPlace(path, "a much longer first version\n"));
  struct stat before {};
  ASSERT_EQ(::stat(path.c_str(), &before), 0);
  BERTH_ASSERT_OK(RewriteFileInPlace(path, "short\n"));
  struct stat after {};
  ASSERT_EQ(::stat(path.c_str(), &after), 0);
  EXPECT_EQ(before.st_ino, after.st_ino);
  EXPECT_EQ(*ReadFileText(path), "short\n");
  std::remove(path.c_str());
}

}  // namespace
}  // namespace berth::network
