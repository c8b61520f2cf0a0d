// create, start and run: runc's lifecycle split around the exec fifo.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/unique_fd.h"
#include "shim/berth_oci/commands.h"
#include "shim/oci/cgroups/systemd_unit.h"
#include "shim/oci/container_process.h"
#include "shim/oci/hooks.h"
#include "shim/oci/spec.h"

namespace berth::oci::cli {
namespace {

struct Created {
  ContainerRecord record;
  UniqueFd exec_errors;
};

}  // namespace

absl::StatusOr<UniqueFd> ConnectConsoleSocket(const std::string& path, bool terminal) {
  if (path.empty()) {
    if (terminal) return absl::InvalidArgumentError("a terminal needs --console-socket");
    return UniqueFd();
  }
  if (!terminal) {
    return absl::InvalidArgumentError("--console-socket given but process.terminal is false");
  }
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (!fd || path.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError("--console-socket: cannot use " + path);
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return absl::ErrnoToStatus(errno, "--console-socket: connect " + path);
  }
  return fd;
}

namespace {

absl::StatusOr<Created> CreateContainer(const Globals& g, const CreateFlags& flags) {
  std::error_code ec;
  std::string bundle = std::filesystem::absolute(flags.bundle, ec).lexically_normal().string();
  auto spec = LoadSpec(bundle);
  if (!spec.ok()) return spec.status();
  std::string& cgroups_path = spec->linux_config.cgroups_path;
  if (g.systemd_cgroup && cgroups_path.empty()) {
    cgroups_path = absl::StrCat("system.slice:berth-oci:", flags.id);
  } else if (g.systemd_cgroup && !IsSystemdCgroupsPath(cgroups_path)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--systemd-cgroup: expected linux.cgroupsPath of the form \"slice:prefix:name\", got \"",
        cgroups_path, "\""));
  }
  ContainerStore store = g.store();
  if (auto s = store.Reserve(flags.id); !s.ok()) return s;
  auto release = [&](absl::Status s) {
    (void)store.Remove(flags.id);
    return s;
  };
  UniqueFd fifo(::open(store.FifoPath(flags.id).c_str(), O_PATH | O_CLOEXEC));
  if (!fifo) return release(absl::ErrnoToStatus(errno, "open exec fifo"));
  auto console = ConnectConsoleSocket(flags.console_socket,
                                      spec->process.has_value() && spec->process->terminal);
  if (!console.ok()) return release(console.status());
  LaunchOptions options;
  options.console_socket = console->get();
  options.preserve_fds = flags.preserve_fds;
  const Hooks& hooks = spec->hooks;
  if (!hooks.prestart.empty() || !hooks.create_runtime.empty() || !hooks.create_container.empty()) {
    options.before_pivot = [&](pid_t pid) -> absl::Status {
      ContainerRecord creating;
      creating.id = flags.id;
      creating.pid = pid;
      creating.bundle = bundle;
      creating.annotations = spec->annotations;
      std::string state = HookState(creating, ContainerStatus::kCreating);
      if (auto s = RunHooks(hooks.prestart, "prestart", state); !s.ok()) return s;
      if (auto s = RunHooks(hooks.create_runtime, "createRuntime", state); !s.ok()) return s;
      return RunHooks(hooks.create_container, "createContainer", state, /*join_pid=*/pid);
    };
  }
  options.container_id = flags.id;
  options.no_pivot = flags.no_pivot;
  options.new_session_keyring = !flags.no_new_keyring;
  options.exec_fifo_fd = fifo.get();
  auto launched = LaunchContainer(*spec, bundle, options);
  if (!launched.ok()) return release(launched.status());
  ContainerRecord record;
  record.id = flags.id;
  record.pid = launched->pid;
  record.start_time = ProcessStartTime(launched->pid).value_or(0);
  record.bundle = bundle;
  record.rootfs = spec->root.path[0] == '/' ? spec->root.path : bundle + "/" + spec->root.path;
  record.cgroups_path = launched->cgroups_path;
  if (auto layout = DetectCgroupLayout(); layout.ok())
    record.cgroup_parents = CgroupParents(*layout);
  record.created = absl::Now();
  record.owner = "root";
  record.annotations = spec->annotations;
  // The spec as created: exec builds on it even if the bundle changes later.
  std::ofstream(store.Dir(flags.id) + "/config.json") << SerializeSpec(*spec);
  if (auto s = store.Save(record); !s.ok()) {
    ::kill(launched->pid, SIGKILL);
    return release(s);
  }
  launched->cgroup->Release();  // the container outlives this process; delete removes it
  if (!flags.pid_file.empty()) {
    std::ofstream(flags.pid_file) << launched->pid;
  }
  return Created{std::move(record), std::move(launched->exec_errors)};
}

}  // namespace

int Create(const Globals& g, const CreateFlags& flags) {
  auto record = CreateContainer(g, flags);
  return record.ok() ? 0 : Fail(record.status());
}

int Start(const Globals& g, const std::string& id) {
  ContainerStore store = g.store();
  auto record = store.Load(id);
  if (!record.ok()) return Fail(record.status());
  if (store.StatusOf(*record) != ContainerStatus::kCreated) {
    return Fail("cannot start a container that is not created: " + id);
  }
  if (auto s = RunSavedHooks(g, *record, ContainerStatus::kCreated, "startContainer"); !s.ok()) {
    Kill(g, id, "KILL", /*all=*/true);
    return Fail(s);
  }
  // Opening the fifo for reading lets the init (blocked opening it for writing) write
  // its byte and exec. Non-blocking, so that an init that died is noticed.
  UniqueFd fifo(::open(store.FifoPath(id).c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fifo) return Fail(absl::ErrnoToStatus(errno, "open exec fifo"));
  for (;;) {
    pollfd ready{fifo.get(), POLLIN, 0};
    if (::poll(&ready, 1, 100) > 0 && (ready.revents & POLLIN)) {
      char byte = 0;
      if (::read(fifo.get(), &byte, 1) == 1) break;
    }
    if (store.StatusOf(*record) == ContainerStatus::kStopped) {
      return Fail("container " + id + " exited before it was started");
    }
  }
  ::unlink(store.FifoPath(id).c_str());
  // The create that launched the init may be gone: a failed exec is reported here.
  absl::Status exec = AwaitExecOnFifo(
      fifo.get(), [&] { return store.StatusOf(*record) != ContainerStatus::kStopped; });
  if (!exec.ok()) return Fail(exec);
  // poststart failures are warnings: the container runs on (runtime-spec).
  if (auto s = RunSavedHooks(g, *record, ContainerStatus::kRunning, "poststart"); !s.ok()) {
    Fail("warning: " + std::string(s.message()));
  }
  return 0;
}

std::string HookState(const ContainerRecord& record, ContainerStatus status) {
  oci::State state;
  state.oci_version = std::string(kOciVersion);
  state.id = record.id;
  state.status = status;
  state.pid = status == ContainerStatus::kStopped ? 0 : record.pid;
  state.bundle = record.bundle;
  state.annotations = record.annotations;
  return state.ToJson();
}

absl::Status RunSavedHooks(const Globals& g, const ContainerRecord& record, ContainerStatus status,
                           const std::string& phase) {
  auto spec = LoadSpec(g.store().Dir(record.id));
  if (!spec.ok()) return spec.status();
  const Hooks& hooks = spec->hooks;
  const std::vector<Hook>& list = phase == "startContainer" ? hooks.start_container
                                  : phase == "poststart"    ? hooks.poststart
                                                            : hooks.poststop;
  // startContainer runs in the container's namespaces, the others in the runtime's.
  pid_t join = phase == "startContainer" ? record.pid : 0;
  return RunHooks(list, phase, HookState(record, status), join);
}

int Run(const Globals& g, const CreateFlags& flags) {
  auto created = CreateContainer(g, flags);
  if (!created.ok()) return Fail(created.status());
  if (int rc = Start(g, flags.id); rc != 0) {
    Delete(g, flags.id, /*force=*/true);
    return rc;
  }
  // Start reported a failed exec already; this only waits for the error pipe to close.
  if (auto exec = AwaitExec(created->exec_errors); !exec.ok()) {
    Fail(flags.id + ": " + std::string(exec.message()));
  }
  if (flags.detach) return 0;
  // The init is our child: wait for it, then delete the container as runc does.
  int status = 0;
  while (::waitpid(created->record.pid, &status, 0) < 0 && errno == EINTR) {
  }
  Delete(g, flags.id, /*force=*/true);
  return ExitCodeFromWaitStatus(status);
}

}  // namespace berth::oci::cli
