// Takes the pages of berthd's code out of its page tables once it goes quiet.
#pragma once

#include <cstddef>

#include "absl/status/statusor.h"

namespace berth::daemon {

// What one DropCodePageMappings call covered: the read-only segments it dropped and the
// address space they span (not all of it was resident).
struct CodePageDrop {
  size_t segments = 0;
  size_t bytes = 0;
};

// Every page of code berthd ever ran stays mapped, and the kernel maps the 64 KiB around
// each page it faults in: starting up and running one container touch most of berthd's
// 11 MB of code, while an idle berthd runs a few hundred KiB of it. For every loaded
// object (berthd, its libraries, what was dlopen'ed) this drops the page-table entries of
// the segments that are never written — code and read-only data: no PF_W, and no text
// relocations in the object — with MADV_DONTNEED. The pages stay in the page cache,
// unmapped and so the first reclaimed under pressure; the next call faults back in what
// it runs (minor faults). dl_iterate_phdr holds the loader's lock, so no object is
// unloaded meanwhile. A debugger's breakpoints and uprobes in dropped code are lost.
// Every segment is tried; the first failure is returned after the rest.
absl::StatusOr<CodePageDrop> DropCodePageMappings();

}  // namespace berth::daemon
