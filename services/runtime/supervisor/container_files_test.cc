#include "services/runtime/supervisor/container_files.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace berth::runtime {
namespace {

using ::testing::HasSubstr;

TEST(ContainerFilesTest, ResolvConfDropsLoopbackServersAndTakesOverrides) {
  const std::string host =
      "# generated\nnameserver 127.0.0.53\nnameserver 192.0.2.1\nsearch example.org corp\n"
      "options edns0\n";
  EXPECT_EQ(ResolvConfText(host, {}, {}, {}),
            "nameserver 192.0.2.1\nsearch example.org corp\noptions edns0\n");
  EXPECT_EQ(ResolvConfText("nameserver 127.0.0.1\n", {}, {}, {}),
            "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
  EXPECT_EQ(ResolvConfText(host, {"198.51.100.7"}, {"a.test"}, {"ndots:2"}),
            "nameserver 198.51.100.7\nsearch a.test\noptions ndots:2\n");
}

TEST(ContainerFilesTest, HostsNameTheContainerAndExtraHosts) {
  const std::string hosts = HostsFileText("c0ffee", {"db:192.0.2.9"});
  EXPECT_THAT(hosts, HasSubstr("127.0.0.1\tlocalhost\n"));
  EXPECT_THAT(hosts, HasSubstr("192.0.2.9\tdb\n"));
  EXPECT_THAT(hosts, HasSubstr("127.0.1.1\tc0ffee\n"));
}

}  // namespace
}  // namespace berth::runtime
