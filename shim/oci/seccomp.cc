#include "shim/oci/seccomp.h"

#include <fcntl.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"
#include "common/unique_fd.h"
#include "shim/oci/spec_json.h"

namespace berth::oci {
namespace {

struct ReleaseFilter {
  void operator()(scmp_filter_ctx ctx) const { seccomp_release(ctx); }
};
using FilterHandle = std::unique_ptr<void, ReleaseFilter>;

template <typename T>
struct Named {
  const char* name;
  T value;
};

constexpr Named<uint32_t> kArches[] = {
    {"SCMP_ARCH_X86", SCMP_ARCH_X86},
    {"SCMP_ARCH_X86_64", SCMP_ARCH_X86_64},
    {"SCMP_ARCH_X32", SCMP_ARCH_X32},
    {"SCMP_ARCH_ARM", SCMP_ARCH_ARM},
    {"SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64},
    {"SCMP_ARCH_MIPS", SCMP_ARCH_MIPS},
    {"SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64},
    {"SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32},
    {"SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL},
    {"SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64},
    {"SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32},
    {"SCMP_ARCH_PPC", SCMP_ARCH_PPC},
    {"SCMP_ARCH_PPC64", SCMP_ARCH_PPC64},
    {"SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE},
    {"SCMP_ARCH_S390", SCMP_ARCH_S390},
    {"SCMP_ARCH_S390X", SCMP_ARCH_S390X},
    {"SCMP_ARCH_PARISC", SCMP_ARCH_PARISC},
    {"SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64},
    {"SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64},
};

constexpr Named<scmp_compare> kOps[] = {
    {"SCMP_CMP_NE", SCMP_CMP_NE},
    {"SCMP_CMP_LT", SCMP_CMP_LT},
    {"SCMP_CMP_LE", SCMP_CMP_LE},
    {"SCMP_CMP_EQ", SCMP_CMP_EQ},
    {"SCMP_CMP_GE", SCMP_CMP_GE},
    {"SCMP_CMP_GT", SCMP_CMP_GT},
    {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

constexpr Named<unsigned int> kFlags[] = {
    {"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC},
    {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
    {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV},
};

template <typename T, size_t N>
absl::StatusOr<T> Lookup(const Named<T> (&table)[N], const std::string& name,
                         absl::string_view what, const std::string& at) {
  for (const Named<T>& entry : table) {
    if (name == entry.name) return entry.value;
  }
  return JsonError(at, absl::StrCat("unknown seccomp ", what, " \"", name, "\""));
}

// The libseccomp action for a spec action; ERRNO and TRACE carry errnoRet (EPERM if
// absent, as runc does).
absl::StatusOr<uint32_t> Action(const std::string& name, const std::optional<uint32_t>& errno_ret,
                                const std::string& action_at, const std::string& errno_at) {
  uint32_t data = EPERM;
  if (errno_ret.has_value()) {
    if (*errno_ret > SECCOMP_RET_DATA) {
      return IntegerRangeError(errno_at, 0, SECCOMP_RET_DATA, absl::StrCat(*errno_ret));
    }
    data = *errno_ret;
  }
  if (name == "SCMP_ACT_KILL") return SCMP_ACT_KILL;
  if (name == "SCMP_ACT_KILL_PROCESS") return SCMP_ACT_KILL_PROCESS;
  if (name == "SCMP_ACT_KILL_THREAD") return SCMP_ACT_KILL_THREAD;
  if (name == "SCMP_ACT_TRAP") return SCMP_ACT_TRAP;
  if (name == "SCMP_ACT_ERRNO") return SCMP_ACT_ERRNO(data);
  if (name == "SCMP_ACT_TRACE") return SCMP_ACT_TRACE(data);
  if (name == "SCMP_ACT_LOG") return SCMP_ACT_LOG;
  if (name == "SCMP_ACT_ALLOW") return SCMP_ACT_ALLOW;
  if (name == "SCMP_ACT_NOTIFY") return SCMP_ACT_NOTIFY;
  return JsonError(action_at, absl::StrCat("unknown seccomp action \"", name, "\""));
}

absl::Status AddRules(scmp_filter_ctx ctx, uint32_t default_action, const Syscall& syscall,
                      const std::string& at, bool* notify) {
  BERTH_ASSIGN_OR_RETURN(
      uint32_t action, Action(syscall.action, syscall.errno_ret, at + ".action", at + ".errnoRet"));
  std::vector<scmp_arg_cmp> conditions;
  bool repeated_index = false;
  for (size_t j = 0; j < syscall.args.size(); ++j) {
    const SyscallArg& arg = syscall.args[j];
    std::string arg_at = JsonIndex(at + ".args", j);
    if (arg.index > 5) return IntegerRangeError(arg_at + ".index", 0, 5, absl::StrCat(arg.index));
    BERTH_ASSIGN_OR_RETURN(scmp_compare op, Lookup(kOps, arg.op, "operator", arg_at + ".op"));
    for (const scmp_arg_cmp& earlier : conditions) repeated_index |= earlier.arg == arg.index;
    // For SCMP_CMP_MASKED_EQ, value is the mask and valueTwo the value compared.
    conditions.push_back(scmp_arg_cmp{arg.index, op, arg.value, arg.value_two});
  }
  // libseccomp refuses a rule that only repeats the default action; it changes nothing.
  if (action == default_action) return absl::OkStatus();
  *notify |= action == SCMP_ACT_NOTIFY;
  for (const std::string& name : syscall.names) {
    int nr = seccomp_syscall_resolve_name(name.c_str());
    if (nr == __NR_SCMP_ERROR) continue;  // unknown here; the kernel may lack it too
    int rc = 0;
    if (!repeated_index) {
      rc = seccomp_rule_add_array(ctx, action, nr, conditions.size(), conditions.data());
    } else {
      // libseccomp cannot compare one argument twice in a rule: like runc, each
      // condition becomes a rule of its own (so any one of them matching is enough).
      for (size_t j = 0; j < conditions.size() && rc == 0; ++j) {
        rc = seccomp_rule_add_array(ctx, action, nr, 1, &conditions[j]);
      }
    }
    if (rc < 0) {
      return JsonError(at,
                       absl::StrCat("adding the rule for \"", name, "\": ", std::strerror(-rc)));
    }
  }
  return absl::OkStatus();
}

// The program libseccomp generated, read back through a memfd (seccomp_export_bpf_mem
// arrived in libseccomp 2.6; Debian 12 has 2.5.4).
absl::StatusOr<std::vector<sock_filter>> ExportFilter(scmp_filter_ctx ctx) {
  UniqueFd fd(::memfd_create("berth-seccomp", MFD_CLOEXEC));
  if (!fd) return absl::InternalError(absl::StrCat("memfd_create: ", std::strerror(errno)));
  if (int rc = seccomp_export_bpf(ctx, fd.get()); rc < 0) {
    return absl::InternalError(absl::StrCat("seccomp_export_bpf: ", std::strerror(-rc)));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return absl::InternalError(
        absl::StrCat("fstat of the seccomp program: ", std::strerror(errno)));
  }
  size_t size = static_cast<size_t>(st.st_size);
  if (size == 0 || size % sizeof(sock_filter) != 0) {
    return absl::InternalError(absl::StrCat("seccomp program of ", size, " bytes"));
  }
  if (size / sizeof(sock_filter) > BPF_MAXINSNS) {
    return absl::InvalidArgumentError(
        absl::StrCat("linux.seccomp: the filter has ", size / sizeof(sock_filter),
                     " instructions, more than the kernel's ", BPF_MAXINSNS));
  }
  std::vector<sock_filter> filter(size / sizeof(sock_filter));
  char* out = reinterpret_cast<char*>(filter.data());
  for (size_t done = 0; done < size;) {
    ssize_t n = ::pread(fd.get(), out + done, size - done, static_cast<off_t>(done));
    if (n <= 0) {
      return absl::InternalError(
          absl::StrCat("reading the seccomp program: ", n < 0 ? std::strerror(errno) : "EOF"));
    }
    done += static_cast<size_t>(n);
  }
  return filter;
}

// ---- the cache of compiled programs ----

std::string& CacheDir() {
  static std::string* dir = new std::string();
  return *dir;
}

constexpr char kCacheMagic[4] = {'B', 'S', 'C', '1'};

std::string CacheKey(const Seccomp& spec) {
  const scmp_version* version = seccomp_version();
  Spec carrier;
  carrier.linux_config.seccomp = spec;
  return absl::StrCat("libseccomp ", version->major, ".", version->minor, ".", version->micro,
                      " api ", seccomp_api_get(), "\n", SerializeSpec(carrier));
}

std::string CachePath(const std::string& dir, const std::string& key) {
  uint64_t hash = 1469598103934665603ull;  // FNV-1a
  for (unsigned char c : key) hash = (hash ^ c) * 1099511628211ull;
  return absl::StrFormat("%s/%016x.bpf", dir, hash);
}

template <typename T>
void Put(std::string& out, const T& value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof(value));
}

template <typename T>
bool Take(absl::string_view& in, T& value) {
  if (in.size() < sizeof(value)) return false;
  std::memcpy(&value, in.data(), sizeof(value));
  in.remove_prefix(sizeof(value));
  return true;
}

// magic, key size, key, flags, notify, instruction count, instructions.
std::optional<SeccompProgram> LoadCached(const std::string& path, const std::string& key) {
  absl::StatusOr<std::string> text = ReadSmallFile(path, 1 << 20);
  if (!text.ok()) return std::nullopt;
  absl::string_view in = *text;
  uint32_t key_size = 0, count = 0;
  uint8_t notify = 0;
  SeccompProgram program;
  if (!absl::ConsumePrefix(&in, absl::string_view(kCacheMagic, sizeof(kCacheMagic))) ||
      !Take(in, key_size) || key_size != key.size() || in.substr(0, key_size) != key) {
    return std::nullopt;
  }
  in.remove_prefix(key_size);
  if (!Take(in, program.flags) || !Take(in, notify) || !Take(in, count) || count == 0 ||
      count > BPF_MAXINSNS || in.size() != count * sizeof(sock_filter)) {
    return std::nullopt;
  }
  program.notify = notify != 0;
  program.filter.resize(count);
  std::memcpy(program.filter.data(), in.data(), in.size());
  return program;
}

// Best effort: a cache that cannot be written only costs the next process a compile.
void StoreCached(const std::string& path, const std::string& key, const SeccompProgram& program) {
  std::string out(kCacheMagic, sizeof(kCacheMagic));
  Put(out, static_cast<uint32_t>(key.size()));
  out += key;
  Put(out, program.flags);
  Put(out, static_cast<uint8_t>(program.notify));
  Put(out, static_cast<uint32_t>(program.filter.size()));
  out.append(reinterpret_cast<const char*>(program.filter.data()),
             program.filter.size() * sizeof(sock_filter));
  // A name of its own per writer: shims compiling the same profile at once do not mix.
  const std::string temporary = absl::StrCat(path, ".", ::getpid(), ".tmp");
  UniqueFd fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd) return;
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::write(fd.get(), out.data() + done, out.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  if (done != out.size() || ::rename(temporary.c_str(), path.c_str()) != 0) {
    ::unlink(temporary.c_str());
  }
}

absl::StatusOr<SeccompProgram> Compile(const Seccomp& spec) {
  SeccompProgram program;
  BERTH_ASSIGN_OR_RETURN(uint32_t default_action,
                         Action(spec.default_action, spec.default_errno_ret,
                                "linux.seccomp.defaultAction", "linux.seccomp.defaultErrnoRet"));
  if (default_action == SCMP_ACT_NOTIFY) {
    return JsonError("linux.seccomp.defaultAction", "SCMP_ACT_NOTIFY cannot be the default");
  }
  for (size_t i = 0; i < spec.flags.size(); ++i) {
    BERTH_ASSIGN_OR_RETURN(unsigned int flag, Lookup(kFlags, spec.flags[i], "flag",
                                                     JsonIndex("linux.seccomp.flags", i)));
    program.flags |= flag;
  }
  FilterHandle ctx(seccomp_init(default_action));
  if (ctx == nullptr) return absl::InternalError("seccomp_init failed");
  for (size_t i = 0; i < spec.architectures.size(); ++i) {
    BERTH_ASSIGN_OR_RETURN(uint32_t arch, Lookup(kArches, spec.architectures[i], "architecture",
                                                 JsonIndex("linux.seccomp.architectures", i)));
    int rc = seccomp_arch_add(ctx.get(), arch);
    if (rc < 0 && rc != -EEXIST) {  // the native one is already there
      return JsonError(JsonIndex("linux.seccomp.architectures", i),
                       absl::StrCat("adding ", spec.architectures[i], ": ", std::strerror(-rc)));
    }
  }
  for (size_t i = 0; i < spec.syscalls.size(); ++i) {
    BERTH_RETURN_IF_ERROR(AddRules(ctx.get(), default_action, spec.syscalls[i],
                                   JsonIndex("linux.seccomp.syscalls", i), &program.notify));
  }
  BERTH_ASSIGN_OR_RETURN(program.filter, ExportFilter(ctx.get()));
  return program;
}

}  // namespace

absl::StatusOr<SeccompProgram> CompileSeccomp(const Seccomp& spec) {
  const std::string dir = CacheDir();
  if (dir.empty()) return Compile(spec);
  const std::string key = CacheKey(spec);
  const std::string path = CachePath(dir, key);
  if (std::optional<SeccompProgram> cached = LoadCached(path, key)) return *std::move(cached);
  BERTH_ASSIGN_OR_RETURN(SeccompProgram program, Compile(spec));
  StoreCached(path, key, program);
  return program;
}

void SetSeccompCacheDir(std::string dir) { CacheDir() = std::move(dir); }

int InstallSeccomp(const SeccompProgram& program, ChildError* error) {
  sock_fprog fprog{static_cast<unsigned short>(program.filter.size()),
                   const_cast<sock_filter*>(program.filter.data())};
  unsigned int flags = program.flags;
  if (program.notify) {
    flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
    // Both report through the return value: the kernel takes TSYNC with a listener only
    // when a failed sync is reported as ESRCH instead of a thread id.
    if (flags & SECCOMP_FILTER_FLAG_TSYNC) flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
  }
  long rc = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &fprog);
  if (rc < 0) return Fail(error, errno, "installing the seccomp filter");
  return program.notify ? static_cast<int>(rc) : 0;
}

}  // namespace berth::oci
