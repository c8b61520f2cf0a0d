#include "shim/oci/mount_options.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/mount.h>

#include "absl/strings/str_cat.h"
#include "common/status_matchers.h"

namespace berth::oci {
namespace {

using ::berth::testing::StatusIs;
using ::testing::HasSubstr;

MountFlags Parse(const std::vector<std::string>& options) {
  absl::StatusOr<MountFlags> f = ParseMountOptions(options);
  EXPECT_TRUE(f.ok()) << f.status();
  return f.ok() ? *f : MountFlags{};
}

TEST(MountOptionsTest, Empty) { EXPECT_EQ(Parse({}), MountFlags{}); }

TEST(MountOptionsTest, SetAndClearPairs) {
  struct Pair {
    const char* set;
    const char* clear;
    unsigned long flag;
  };
  for (const Pair& p :
       {Pair{"ro", "rw", MS_RDONLY}, Pair{"nosuid", "suid", MS_NOSUID},
        Pair{"nodev", "dev", MS_NODEV}, Pair{"noexec", "exec", MS_NOEXEC},
        Pair{"sync", "async", MS_SYNCHRONOUS}, Pair{"mand", "nomand", MS_MANDLOCK},
        Pair{"noatime", "atime", MS_NOATIME}, Pair{"nodiratime", "diratime", MS_NODIRATIME},
        Pair{"relatime", "norelatime", MS_RELATIME},
        Pair{"strictatime", "nostrictatime", MS_STRICTATIME}}) {
    SCOPED_TRACE(p.set);
    MountFlags set = Parse({p.set});
    EXPECT_EQ(set.flags, p.flag);
    EXPECT_EQ(set.clear_flags, 0u);
    MountFlags cleared = Parse({p.clear});
    EXPECT_EQ(cleared.flags, 0u);
    EXPECT_EQ(cleared.clear_flags, p.flag);
    // The later option wins.
    MountFlags set_then_clear = Parse({p.set, p.clear});
    EXPECT_EQ(set_then_clear.flags, 0u);
    EXPECT_EQ(set_then_clear.clear_flags, p.flag);
    MountFlags clear_then_set = Parse({p.clear, p.set});
    EXPECT_EQ(clear_then_set.flags, p.flag);
    EXPECT_EQ(clear_then_set.clear_flags, 0u);
  }
}

TEST(MountOptionsTest, OneWayFlags) {
  EXPECT_EQ(Parse({"dirsync"}).flags, static_cast<unsigned long>(MS_DIRSYNC));
  EXPECT_EQ(Parse({"remount"}).flags, static_cast<unsigned long>(MS_REMOUNT));
  EXPECT_EQ(Parse({"defaults"}), MountFlags{});
  EXPECT_EQ(Parse({"nosuid", "nodev", "noexec", "ro"}).flags,
            static_cast<unsigned long>(MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY));
}

TEST(MountOptionsTest, Bind) {
  MountFlags bind = Parse({"bind"});
  EXPECT_EQ(bind.flags, static_cast<unsigned long>(MS_BIND));
  EXPECT_TRUE(bind.bind);
  EXPECT_FALSE(bind.recursive);
  MountFlags rbind = Parse({"rbind", "ro"});
  EXPECT_EQ(rbind.flags, static_cast<unsigned long>(MS_BIND | MS_REC | MS_RDONLY));
  EXPECT_TRUE(rbind.bind);
  EXPECT_TRUE(rbind.recursive);
  EXPECT_EQ(rbind.propagation, 0u);
}

TEST(MountOptionsTest, Propagation) {
  struct Case {
    const char* option;
    unsigned long propagation;
  };
  for (const Case& c :
       {Case{"private", MS_PRIVATE}, Case{"rprivate", MS_PRIVATE | MS_REC},
        Case{"shared", MS_SHARED}, Case{"rshared", MS_SHARED | MS_REC}, Case{"slave", MS_SLAVE},
        Case{"rslave", MS_SLAVE | MS_REC}, Case{"unbindable", MS_UNBINDABLE},
        Case{"runbindable", MS_UNBINDABLE | MS_REC}}) {
    SCOPED_TRACE(c.option);
    MountFlags f = Parse({"bind", c.option});
    EXPECT_EQ(f.propagation, c.propagation);
    EXPECT_EQ(f.flags, static_cast<unsigned long>(MS_BIND));  // not mixed into the mount flags
    EXPECT_FALSE(f.recursive);
  }
  EXPECT_EQ(Parse({"rshared", "private"}).propagation, static_cast<unsigned long>(MS_PRIVATE));
}

TEST(MountOptionsTest, RecursiveReadOnly) {
  MountFlags rro = Parse({"rbind", "rro"});
  EXPECT_EQ(rro.recursive_attr_set, uint64_t{MOUNT_ATTR_RDONLY});
  EXPECT_EQ(rro.flags & MS_RDONLY, 0u);  // applied with mount_setattr, not mount flags
  MountFlags rrw = Parse({"rro", "rrw"});
  EXPECT_EQ(rrw.recursive_attr_set, 0u);
  EXPECT_EQ(rrw.recursive_attr_clr, uint64_t{MOUNT_ATTR_RDONLY});
}

TEST(MountOptionsTest, RecursiveAttributesSetAndClearTheirFlag) {
  struct Case {
    const char* set;
    const char* clear;
    uint64_t attr;
  };
  for (const Case& c :
       {Case{"rnosuid", "rsuid", MOUNT_ATTR_NOSUID}, Case{"rnodev", "rdev", MOUNT_ATTR_NODEV},
        Case{"rnoexec", "rexec", MOUNT_ATTR_NOEXEC},
        Case{"rnodiratime", "rdiratime", MOUNT_ATTR_NODIRATIME},
        Case{"rnosymfollow", "rsymfollow", MOUNT_ATTR_NOSYMFOLLOW}}) {
    SCOPED_TRACE(c.set);
    MountFlags set = Parse({"rbind", c.set});
    EXPECT_EQ(set.recursive_attr_set, c.attr);
    EXPECT_EQ(set.recursive_attr_clr, 0u);
    EXPECT_EQ(set.flags, static_cast<unsigned long>(MS_BIND | MS_REC));  // not mount flags
    EXPECT_EQ(set.data, "");
    MountFlags cleared = Parse({"rbind", c.set, c.clear});
    EXPECT_EQ(cleared.recursive_attr_set, 0u);
    EXPECT_EQ(cleared.recursive_attr_clr, c.attr);
    EXPECT_EQ(Parse({c.clear, c.set}).recursive_attr_set, c.attr);  // the later one wins
  }
  MountFlags both = Parse({"rnosuid", "rnodev", "rnoexec", "rro"});
  EXPECT_EQ(both.recursive_attr_set,
            uint64_t{MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC | MOUNT_ATTR_RDONLY});
}

TEST(MountOptionsTest, RecursiveAccessTimeIsOneSettingTheLastOptionChooses) {
  struct Case {
    const char* option;
    uint64_t mode;
  };
  for (const Case& c :
       {Case{"rnoatime", MOUNT_ATTR_NOATIME}, Case{"rstrictatime", MOUNT_ATTR_STRICTATIME},
        Case{"rrelatime", MOUNT_ATTR_RELATIME}, Case{"ratime", MOUNT_ATTR_RELATIME},
        Case{"rnorelatime", MOUNT_ATTR_RELATIME}, Case{"rnostrictatime", MOUNT_ATTR_RELATIME}}) {
    SCOPED_TRACE(c.option);
    // mount_setattr takes a mode only with the whole MOUNT_ATTR__ATIME cleared.
    MountFlags f = Parse({"rnoexec", "rstrictatime", "rnoatime", c.option});
    EXPECT_EQ(f.recursive_attr_set, c.mode | MOUNT_ATTR_NOEXEC);
    EXPECT_EQ(f.recursive_attr_clr, uint64_t{MOUNT_ATTR__ATIME});
  }
}

TEST(MountOptionsTest, UnsupportedOptionsAreReported) {
  for (const char* option : {"tmpcopyup", "idmap", "ridmap"}) {
    EXPECT_THAT(ParseMountOptions({"bind", option}),
                StatusIs(absl::StatusCode::kUnimplemented,
                         absl::StrCat("mount option \"", option, "\" is not supported yet")));
  }
}

TEST(MountOptionsTest, UnknownOptionsAreData) {
  MountFlags f = Parse({"nosuid", "mode=755", "strictatime", "size=65536k", "newinstance"});
  EXPECT_EQ(f.flags, static_cast<unsigned long>(MS_NOSUID | MS_STRICTATIME));
  EXPECT_EQ(f.data, "mode=755,size=65536k,newinstance");
  EXPECT_EQ(Parse({"ptmxmode=0666", "", "gid=5"}).data, "ptmxmode=0666,gid=5");
}

}  // namespace
}  // namespace berth::oci
