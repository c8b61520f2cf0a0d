"""What the bench drivers share: timed spawning, statistics, host facts, cgroup removal.

stdlib only."""

import math
import os
import platform
import signal
import statistics
import subprocess
import sys
import time


class RunFailed(Exception):
    pass


def spawn(name, cmd, logs, expect_code=0):
    """Runs cmd (stdin /dev/null, output to files); returns its wall time in nanoseconds.

    posix_spawn rather than subprocess: no pipes to drain between start and exit. (Its
    child shares Python's memory until exec, so its rusage is Python's: RSS comes from
    GNU time, which forks.)"""
    out, err = os.path.join(logs, "stdout"), os.path.join(logs, "stderr")
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    actions = [(os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
               (os.POSIX_SPAWN_OPEN, 1, out, flags, 0o600),
               (os.POSIX_SPAWN_OPEN, 2, err, flags, 0o600)]
    start = time.perf_counter_ns()
    pid = os.posix_spawnp(cmd[0], cmd, os.environ, file_actions=actions)
    try:
        _, status = os.waitpid(pid, 0)
    except BaseException:
        os.kill(pid, signal.SIGKILL)  # only the child started here, by PID
        os.waitpid(pid, 0)
        raise
    elapsed = time.perf_counter_ns() - start
    code = os.waitstatus_to_exitcode(status)
    if code != expect_code:
        raise RunFailed(
            f"{name} exited {code} (expected {expect_code})\n"
            f"  command: {' '.join(cmd)}\n"
            f"  stdout: {open(out, errors='replace').read().strip()}\n"
            f"  stderr: {open(err, errors='replace').read().strip()}")
    return elapsed


class DaemonProcess:
    """A daemon a bench starts and stops by PID. Subclasses set name, dir, sock, log and
    pidfile and give daemon_command() and ready_command() (exits 0 once it serves)."""

    proc = None

    def start(self):
        os.makedirs(self.dir, exist_ok=True)
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(self.daemon_command(), stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=log)
        with open(self.pidfile, "w") as f:
            f.write(f"{self.proc.pid}\n")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RunFailed(f"{self.name} daemon exited with {self.proc.returncode}; "
                                f"see {self.log}:\n{tail(self.log)}")
            if os.path.exists(self.sock) and subprocess.run(
                    self.ready_command(), stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL).returncode == 0:
                return
            time.sleep(0.05)
        raise RunFailed(f"{self.name} daemon not ready after 30 s:\n{tail(self.log)}")

    def stop(self):
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None
        os.unlink(self.pidfile)


def percentile(sorted_values, p):
    """Nearest-rank percentile: the smallest sample with at least p% at or below it."""
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def time_stats(ms):
    """runs, median, p90 (nearest rank), min, max, mean and stdev of times in ms."""
    ms = sorted(ms)
    return {
        "runs": len(ms),
        "median_ms": round(statistics.median(ms), 3),
        "p90_ms": round(percentile(ms, 90), 3),
        "min_ms": round(ms[0], 3),
        "max_ms": round(ms[-1], 3),
        "mean_ms": round(statistics.fmean(ms), 3),
        "stdev_ms": round(statistics.stdev(ms), 3) if len(ms) > 1 else 0.0,
    }


def first_line(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True).stdout.split("\n")[0]
    except OSError as e:
        return f"unavailable: {e}"


def host_facts():
    cpu = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kib = int(f.readline().split()[1])
    cgroup_fs = sorted({l.split(" - ")[1].split()[0] for l in open("/proc/self/mountinfo")
                        if " - cgroup" in l})
    return {
        "kernel": platform.release(),
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "mem_total_kib": mem_kib,
        "cgroup_filesystems": cgroup_fs,
        "os": first_line(["sh", "-c", ". /etc/os-release && echo $PRETTY_NAME"]),
    }


def tail(path, lines=20):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return ""


def remove_cgroups(prefix, who):
    """Removes PREFIX (and everything under it) in every hierarchy, at the root or below
    any cgroup this process is in: runc and berth-oci nest a relative cgroupsPath under
    their own cgroup, crun under the hierarchy's root. Returns 1 if any is left."""
    mounts = [l.split()[4] for l in open("/proc/self/mountinfo") if " - cgroup" in l]
    own = {l.rstrip("\n").split(":", 2)[2].lstrip("/") for l in open("/proc/self/cgroup")}
    left = []
    for mnt in mounts:
        for base in {os.path.normpath(os.path.join(mnt, p)) for p in own} | {mnt}:
            top = os.path.join(base, prefix)
            if not os.path.isdir(top):
                continue
            for attempt in range(10):
                for d, _, _ in list(os.walk(top, topdown=False)):
                    try:
                        os.rmdir(d)
                    except OSError:
                        pass
                if not os.path.isdir(top):
                    break
                time.sleep(0.1)  # a cgroup stays busy briefly after its last process exits
            else:
                left.append(top)
    for d in left:
        print(f"{who}: could not remove cgroup {d}", file=sys.stderr)
    return 1 if left else 0
