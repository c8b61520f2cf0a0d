#include "daemon/code_pages.h"

#include <elf.h>
#include <link.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace berth::daemon {
namespace {

struct DropState {
  uintptr_t page_size = 0;
  uintptr_t vdso = 0;
  CodePageDrop drop;
  absl::Status first_error;
};

// Text relocations are written into a read-only segment by the loader: dropping those
// pages would bring back the unrelocated file contents.
bool HasTextRelocations(const dl_phdr_info& info) {
  for (int i = 0; i < info.dlpi_phnum; ++i) {
    const ElfW(Phdr)& phdr = info.dlpi_phdr[i];
    if (phdr.p_type != PT_DYNAMIC) continue;
    const auto* dyn = reinterpret_cast<const ElfW(Dyn)*>(info.dlpi_addr + phdr.p_vaddr);
    for (; dyn->d_tag != DT_NULL; ++dyn) {
      if (dyn->d_tag == DT_TEXTREL) return true;
      if (dyn->d_tag == DT_FLAGS && (dyn->d_un.d_val & DF_TEXTREL) != 0) return true;
    }
  }
  return false;
}

int DropObjectSegments(dl_phdr_info* info, size_t /*size*/, void* data) {
  auto& state = *static_cast<DropState*>(data);
  if (HasTextRelocations(*info)) return 0;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& phdr = info->dlpi_phdr[i];
    if (phdr.p_type != PT_LOAD || (phdr.p_flags & PF_W) != 0 || phdr.p_memsz == 0) continue;
    const uintptr_t start = (info->dlpi_addr + phdr.p_vaddr) & ~(state.page_size - 1);
    const uintptr_t end = (info->dlpi_addr + phdr.p_vaddr + phdr.p_memsz + state.page_size - 1) &
                          ~(state.page_size - 1);
    // The vDSO is the kernel's own mapping, not a file's.
    if (state.vdso != 0 && state.vdso >= start && state.vdso < end) return 0;
    if (::madvise(reinterpret_cast<void*>(start), end - start, MADV_DONTNEED) != 0) {
      if (state.first_error.ok()) {
        state.first_error = absl::InternalError(absl::StrCat(
            "madvise(MADV_DONTNEED) of ", info->dlpi_name[0] ? info->dlpi_name : "the executable",
            " segment at 0x", absl::Hex(start), ": ", std::strerror(errno)));
      }
      continue;
    }
    ++state.drop.segments;
    state.drop.bytes += end - start;
  }
  return 0;
}

}  // namespace

absl::StatusOr<CodePageDrop> DropCodePageMappings() {
  DropState state;
  state.page_size = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  state.vdso = ::getauxval(AT_SYSINFO_EHDR);
  ::dl_iterate_phdr(DropObjectSegments, &state);
  if (!state.first_error.ok()) return state.first_error;
  return state.drop;
}

}  // namespace berth::daemon
