#include "shim/oci/cgroups/device_rules.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/unique_fd.h"

namespace berth::oci {
namespace {

constexpr int kMaxOldPrograms = 64;

bpf_insn Insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  bpf_insn insn{};
  insn.code = code;
  insn.dst_reg = dst & 0xf;
  insn.src_reg = src & 0xf;
  insn.off = off;
  insn.imm = imm;
  return insn;
}

int32_t AccessBits(const std::string& access) {
  int32_t bits = 0;
  for (char c : access) {
    if (c == 'r') bits |= BPF_DEVCG_ACC_READ;
    if (c == 'w') bits |= BPF_DEVCG_ACC_WRITE;
    if (c == 'm') bits |= BPF_DEVCG_ACC_MKNOD;
  }
  return bits;
}

constexpr int32_t kAllAccess = BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD;

long Bpf(int cmd, union bpf_attr* attr) { return syscall(SYS_bpf, cmd, attr, sizeof(*attr)); }

}  // namespace

absl::Status ValidateDeviceRule(const CgroupDeviceRule& rule) {
  if (rule.type != 'a' && rule.type != 'b' && rule.type != 'c') {
    return absl::InvalidArgumentError(
        absl::StrCat("device rule type '", std::string(1, rule.type), "' is not a, b or c"));
  }
  if (rule.access.empty() || rule.access.find_first_not_of("rwm") != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("device rule access \"", rule.access, "\" is not made of r, w and m"));
  }
  if (rule.major < -1 || rule.minor < -1 || rule.major > 0xfffffff || rule.minor > 0xfffff) {
    return absl::InvalidArgumentError(
        absl::StrCat("device rule numbers ", rule.major, ":", rule.minor, " are out of range"));
  }
  return absl::OkStatus();
}

std::string DeviceRuleText(const CgroupDeviceRule& rule) {
  auto number = [](int64_t n) { return n < 0 ? std::string("*") : absl::StrCat(n); };
  return absl::StrCat(std::string(1, rule.type), " ", number(rule.major), ":", number(rule.minor),
                      " ", rule.access);
}

absl::StatusOr<std::vector<bpf_insn>> BuildDeviceProgram(
    const std::vector<CgroupDeviceRule>& rules) {
  // struct bpf_cgroup_dev_ctx { u32 access_type (access << 16 | type); u32 major; u32 minor; }
  std::vector<bpf_insn> program = {
      Insn(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_2, BPF_REG_1, 0, 0),
      Insn(BPF_ALU | BPF_AND | BPF_K, BPF_REG_2, 0, 0, 0xffff),
      Insn(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_3, BPF_REG_1, 0, 0),
      Insn(BPF_ALU | BPF_RSH | BPF_K, BPF_REG_3, 0, 0, 16),
      Insn(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_4, BPF_REG_1, 4, 0),
      Insn(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_5, BPF_REG_1, 8, 0),
  };
  for (const CgroupDeviceRule& rule : rules) {
    if (absl::Status s = ValidateDeviceRule(rule); !s.ok()) return s;
  }
  for (auto it = rules.rbegin(); it != rules.rend(); ++it) {
    const CgroupDeviceRule& rule = *it;
    // Conditional jumps get their offset (to the next rule) once the block's size is known.
    std::vector<bpf_insn> block;
    std::vector<size_t> skips;
    auto skip_unless = [&](uint8_t op, uint8_t reg, int32_t imm) {
      skips.push_back(block.size());
      block.push_back(Insn(BPF_JMP | op | BPF_K, reg, 0, 0, imm));
    };
    if (rule.type != 'a') {
      skip_unless(BPF_JNE, BPF_REG_2, rule.type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR);
    }
    int32_t access = AccessBits(rule.access);
    if (access != kAllAccess) {
      block.push_back(Insn(BPF_ALU | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_3, 0, 0));
      block.push_back(Insn(BPF_ALU | BPF_AND | BPF_K, BPF_REG_1, 0, 0, access));
      if (rule.allow) {
        skips.push_back(block.size());  // asked & allowed != asked: asks for more
        block.push_back(Insn(BPF_JMP | BPF_JNE | BPF_X, BPF_REG_1, BPF_REG_3, 0, 0));
      } else {
        skip_unless(BPF_JEQ, BPF_REG_1, 0);  // nothing in common with the denied access
      }
    }
    if (rule.major >= 0) skip_unless(BPF_JNE, BPF_REG_4, static_cast<int32_t>(rule.major));
    if (rule.minor >= 0) skip_unless(BPF_JNE, BPF_REG_5, static_cast<int32_t>(rule.minor));
    block.push_back(Insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, rule.allow ? 1 : 0));
    block.push_back(Insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
    for (size_t i : skips) block[i].off = static_cast<int16_t>(block.size() - i - 1);
    program.insert(program.end(), block.begin(), block.end());
    // A rule matching everything decides alone; the verifier refuses code after it.
    if (skips.empty()) return program;
  }
  program.push_back(Insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0));
  program.push_back(Insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
  return program;
}

absl::Status AttachDeviceProgram(const std::string& dir,
                                 const std::vector<CgroupDeviceRule>& rules) {
  absl::StatusOr<std::vector<bpf_insn>> program = BuildDeviceProgram(rules);
  if (!program.ok()) return program.status();
  static const char kLicense[] = "GPL";
  std::string log(64 * 1024, '\0');
  union bpf_attr load;
  std::memset(&load, 0, sizeof(load));
  load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  load.insns = reinterpret_cast<uint64_t>(program->data());
  load.insn_cnt = static_cast<uint32_t>(program->size());
  load.license = reinterpret_cast<uint64_t>(kLicense);
  load.log_buf = reinterpret_cast<uint64_t>(log.data());
  load.log_size = static_cast<uint32_t>(log.size());
  load.log_level = 1;
  UniqueFd prog(static_cast<int>(Bpf(BPF_PROG_LOAD, &load)));
  if (!prog) {
    int err = errno;
    return absl::ErrnoToStatus(
        err, absl::StrCat("loading the device cgroup eBPF program for ", dir, ": ", log.c_str()));
  }

  UniqueFd cgroup(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!cgroup) return absl::ErrnoToStatus(errno, absl::StrCat("opening cgroup ", dir));

  uint32_t old_ids[kMaxOldPrograms] = {};
  union bpf_attr query;
  std::memset(&query, 0, sizeof(query));
  query.query.target_fd = static_cast<uint32_t>(cgroup.get());
  query.query.attach_type = BPF_CGROUP_DEVICE;
  query.query.prog_ids = reinterpret_cast<uint64_t>(old_ids);
  query.query.prog_cnt = kMaxOldPrograms;
  if (Bpf(BPF_PROG_QUERY, &query) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("listing device programs of cgroup ", dir));
  }

  union bpf_attr attach;
  std::memset(&attach, 0, sizeof(attach));
  attach.target_fd = static_cast<uint32_t>(cgroup.get());
  attach.attach_bpf_fd = static_cast<uint32_t>(prog.get());
  attach.attach_type = BPF_CGROUP_DEVICE;
  attach.attach_flags = BPF_F_ALLOW_MULTI;
  if (Bpf(BPF_PROG_ATTACH, &attach) != 0) {
    return absl::ErrnoToStatus(errno,
                               absl::StrCat("attaching the device eBPF program to cgroup ", dir));
  }

  for (uint32_t i = 0; i < query.query.prog_cnt && i < kMaxOldPrograms; ++i) {
    union bpf_attr by_id;
    std::memset(&by_id, 0, sizeof(by_id));
    by_id.prog_id = old_ids[i];
    UniqueFd old(static_cast<int>(Bpf(BPF_PROG_GET_FD_BY_ID, &by_id)));
    if (!old) continue;  // gone already
    union bpf_attr detach;
    std::memset(&detach, 0, sizeof(detach));
    detach.target_fd = static_cast<uint32_t>(cgroup.get());
    detach.attach_bpf_fd = static_cast<uint32_t>(old.get());
    detach.attach_type = BPF_CGROUP_DEVICE;
    if (Bpf(BPF_PROG_DETACH, &detach) != 0 && errno != ENOENT) {
      return absl::ErrnoToStatus(
          errno, absl::StrCat("detaching the previous device eBPF program from cgroup ", dir));
    }
  }
  return absl::OkStatus();
}

}  // namespace berth::oci
