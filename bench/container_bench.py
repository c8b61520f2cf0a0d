#!/usr/bin/env python3
"""The measuring half of bench/container_bench.sh: containers end to end, berth vs containerd.

usage: container_bench.py measure --work DIR --image TAR --runs N --starts N
                                  --berthd PATH --berthctl PATH --berth-version TEXT
                                  --cgroup-prefix NAME --out FILE
       container_bench.py cleanup --work DIR --berthctl PATH --prefix NAME

berthd and containerd run side by side for the whole bench, each with its own root, state
and socket under DIR; their PIDs are in DIR/<engine>.pid while they run, for
container_bench.sh's cleanup. Every round times `run --rm … /bin/true` on both, then N
sequential `run -d … sleep 1000` on both, measures the shims and daemons with those N
running, and removes them. Rounds alternate which engine goes first. stdlib only.
"""
import argparse
import datetime
import json
import os
import signal
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
from benchlib import RunFailed, first_line, host_facts, spawn, tail, time_stats  # noqa: E402

IMAGE = "docker.io/library/busybox:latest"
CTR_NAMESPACE_PREFIX = "berth-bench"
# Daemon memory is read once right after the round's last command (busy: threads may
# still be finishing it) and once more after this long with no command (idle, what
# the goal is about).
SETTLE_SECONDS = 2.0


def read_status(pid):
    """VmRSS (KiB) and Threads from /proc/PID/status."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key == "VmRSS":
                out["rss_kib"] = int(value.split()[0])
            elif key == "Threads":
                out["threads"] = int(value)
    return out


def read_rollup(pid):
    """Pss and private (clean + dirty) memory, KiB, from /proc/PID/smaps_rollup."""
    fields = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            key, _, value = line.partition(":")
            if value.strip().endswith("kB"):
                fields[key] = int(value.split()[0])
    return {"pss_kib": fields["Pss"],
            "private_kib": fields["Private_Clean"] + fields["Private_Dirty"],
            "pss_anon_kib": fields.get("Pss_Anon", 0),
            "pss_file_kib": fields.get("Pss_File", 0)}


def memory(pid):
    return read_status(pid) | read_rollup(pid)


def mappings(pid, top=10):
    """/proc/PID/smaps summed per mapped file ([heap], [stack], [anon] for the rest): the
    mappings that cost the most private memory, with Rss, Pss and Private in KiB."""
    by_name = {}
    current = None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            first = line.split(None, 1)[0]
            if "-" in first and not first.endswith(":"):
                parts = line.split(None, 5)
                name = parts[5].strip() if len(parts) > 5 else "[anon]"
                current = by_name.setdefault(name, {"rss_kib": 0, "pss_kib": 0,
                                                    "private_kib": 0, "mappings": 0})
                current["mappings"] += 1
            elif first in ("Rss:", "Pss:"):
                current[first[:-1].lower() + "_kib"] += int(line.split()[1])
            elif first in ("Private_Clean:", "Private_Dirty:"):
                current["private_kib"] += int(line.split()[1])
    ranked = sorted(by_name.items(), key=lambda kv: (-kv[1]["private_kib"], -kv[1]["rss_kib"]))
    return [{"mapping": name} | v for name, v in ranked[:top]]


def processes():
    """(pid, argv) of every process readable now."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")[:-1]
        except OSError:
            continue
        if argv:
            yield int(entry), [a.decode(errors="replace") for a in argv]


class Engine(benchlib.DaemonProcess):
    """One daemon, started once for the whole bench."""

    def __init__(self, name, work):
        self.name = name
        self.dir = os.path.join(work, name)
        self.root = os.path.join(self.dir, "root")
        self.state = os.path.join(self.dir, "state")
        self.sock = os.path.join(self.dir, "daemon.sock")
        self.log = os.path.join(work, f"{name}.log")
        self.logs = os.path.join(work, f"{name}-out")  # the last command's stdout/stderr
        self.pidfile = os.path.join(work, f"{name}.pid")
        self.proc = None
        os.makedirs(self.logs, exist_ok=True)

    def run(self, cmd, expect_code=0):
        """Times cmd; returns (ns, its stdout)."""
        ns = spawn(f"{self.name}: {cmd[-3:]}", cmd, self.logs, expect_code)
        with open(os.path.join(self.logs, "stdout"), errors="replace") as f:
            return ns, f.read()

    def shim_pids(self):
        return sorted(pid for pid, argv in processes() if self.is_shim(argv))


class Berth(Engine):
    def __init__(self, work, berthd, berthctl, cgroup_parent, daemon_json=None,
                 metrics_address="127.0.0.1:0"):
        super().__init__("berth", work)
        self.berthd, self.berthctl = berthd, berthctl
        self.metrics_address = metrics_address
        self.config = os.path.join(work, "berth-daemon.json")
        with open(self.config, "w") as f:
            json.dump({"cgroup-parent": cgroup_parent} | (daemon_json or {}), f)
            f.write("\n")

    def daemon_command(self):
        return [self.berthd, "--config", self.config, "--root", self.root, "--state",
                self.state, "--socket", self.sock, "--metrics-address", self.metrics_address]

    def ctl(self):
        return [self.berthctl, "-H", f"unix://{self.sock}"]

    def ready_command(self):
        return self.ctl() + ["version"]

    def load_command(self, tar):
        return self.ctl() + ["load", "-i", tar]

    # `--network none`: a new network namespace with only loopback, which is what
    # `ctr run` without --cni gives; berth's default bridge (CNI) is measured by
    # `container_bench.sh --suite network` against `ctr run --cni`.
    def run_rm_command(self, cid, args, network="none"):
        return self.ctl() + ["run", "--rm", "--network", network, "busybox"] + args

    def run_detached_command(self, cid, args):
        return self.ctl() + ["run", "-d", "--network", "none", "busybox"] + args

    def container_id(self, cid, stdout):
        """berthctl run -d prints the ID it chose."""
        if not stdout.strip():
            raise RunFailed("berth: run -d printed no container ID")
        return stdout.strip()

    def remove_commands(self, ids):
        return [self.ctl() + ["rm", "-f"] + ids]

    def leftover_ids(self):
        out = subprocess.run(self.ctl() + ["ps", "-aq"], capture_output=True, text=True)
        return out.stdout.split()

    def is_shim(self, argv):
        # berth-shim --id ID --state-dir <state>/runtime/tasks/ID
        return (os.path.basename(argv[0]) == "berth-shim" and "--state-dir" in argv and
                argv[argv.index("--state-dir") + 1].startswith(self.state + "/"))


class Containerd(Engine):
    def __init__(self, work, cgroup_prefix):
        super().__init__("containerd", work)
        self.namespace = cgroup_prefix
        self.cgroup_prefix = cgroup_prefix
        self.fifo_dir = os.path.join(self.dir, "fifo")
        self.runc_root = os.path.join(self.dir, "runc")
        self.command_prefix = []  # e.g. nsenter into a mount namespace with CNI configured
        self.config = os.path.join(work, "containerd.toml")
        with open(self.config, "w") as f:
            f.write(f'version = 2\nroot = "{self.root}"\nstate = "{self.state}"\n'
                    f'disabled_plugins = ["io.containerd.grpc.v1.cri"]\n'
                    f'[grpc]\n  address = "{self.sock}"\n'
                    f'[ttrpc]\n  address = "{self.sock}.ttrpc"\n')

    def daemon_command(self):
        return ["containerd", "--config", self.config]

    def ctr(self):
        return self.command_prefix + ["ctr", "-a", self.sock, "-n", self.namespace]

    def ready_command(self):
        return self.ctr() + ["version"]

    def load_command(self, tar):
        return self.ctr() + ["images", "import", tar]

    def run_options(self, cid):
        # FIFOs, runc's state and the cgroup private to the bench (ctr's defaults are
        # /run/containerd/fifo, /run/containerd/runc and /<namespace>/<id>).
        return ["--fifo-dir", self.fifo_dir, "--runc-root", self.runc_root,
                "--cgroup", f"/{self.cgroup_prefix}/containerd/{cid}"]

    def run_rm_command(self, cid, args, cni=False):
        return (self.ctr() + ["run", "--rm"] + (["--cni"] if cni else []) + self.run_options(cid) +
                [IMAGE, cid] + args)

    def run_detached_command(self, cid, args):
        return self.ctr() + ["run", "-d"] + self.run_options(cid) + [IMAGE, cid] + args

    def container_id(self, cid, stdout):
        return cid

    def remove_commands(self, ids):
        return [self.ctr() + ["tasks", "rm", "-f"] + ids, self.ctr() + ["containers", "rm"] + ids]

    def leftover_ids(self):
        out = subprocess.run(self.ctr() + ["containers", "ls", "-q"], capture_output=True,
                             text=True)
        return out.stdout.split()

    def is_shim(self, argv):
        # containerd-shim-runc-v2 -namespace NS -id ID -address <our socket>
        return (os.path.basename(argv[0]) == "containerd-shim-runc-v2" and
                "-address" in argv and argv[argv.index("-address") + 1] == self.sock)


def remove_leftovers(engine):
    """Untimed: whatever containers the engine still holds (an interrupted round)."""
    ids = engine.leftover_ids()
    if ids:
        for cmd in engine.remove_commands(ids):
            subprocess.run(cmd, capture_output=True)


def summarize_memory(values):
    """Median and max of each memory field over a list of per-process readings."""
    out = {"samples": len(values)}
    for key in values[0]:
        v = [x[key] for x in values]
        out[f"median_{key}"] = statistics.median(v)
        out[f"max_{key}"] = max(v)
    return out


def measure(a):
    berth = Berth(a.work, a.berthd, a.berthctl, f"/{a.cgroup_prefix}/berth")
    ctrd = Containerd(a.work, a.cgroup_prefix)
    engines = [berth, ctrd]
    pid = os.getpid()
    timed = {e.name: {"run_rm": [], "start": [], "starts_total": [], "remove": []}
             for e in engines}
    mem = {e.name: {"shim": [], "shims_pss_total": [], "daemon_0": [], "daemon_n": [],
                    "daemon_0_busy": [], "daemon_n_busy": []}
           for e in engines}
    fresh = {}
    smaps = {}
    try:
        for engine in engines:
            engine.start()
            fresh[engine.name] = memory(engine.proc.pid)
            engine.run(engine.load_command(a.image))
        # Warm-up, not recorded: page cache, the image unpacked, and proof that the
        # container's process ran (its exit code comes back through each client).
        for engine in engines:
            cid = f"bench-{pid}-warmup"
            engine.run(engine.run_rm_command(cid, ["sh", "-c", "exit 3"]), expect_code=3)
            print(f"warm-up: {engine.name} ran a container", flush=True)
        load_before = os.getloadavg()
        for i in range(a.runs):
            order = engines if i % 2 == 0 else engines[::-1]
            for e in order:
                mem[e.name]["daemon_0_busy"].append(memory(e.proc.pid))
            time.sleep(SETTLE_SECONDS)
            for e in order:
                mem[e.name]["daemon_0"].append(memory(e.proc.pid))
            for e in order:
                ns, _ = e.run(e.run_rm_command(f"bench-{pid}-{i}-rm", ["/bin/true"]))
                timed[e.name]["run_rm"].append({"round": i, "ns": ns})
            started = {}
            for e in order:
                ids, total = [], 0
                for k in range(a.starts):
                    cid = f"bench-{pid}-{i}-d{k}"
                    ns, out = e.run(e.run_detached_command(cid, ["sleep", "1000"]))
                    ids.append(e.container_id(cid, out))
                    total += ns
                    timed[e.name]["start"].append({"round": i, "n": k, "ns": ns})
                timed[e.name]["starts_total"].append({"round": i, "ns": total})
                started[e.name] = ids
            for e in order:
                shims = e.shim_pids()
                if len(shims) != a.starts:
                    raise RunFailed(f"{e.name}: {len(shims)} shims found with {a.starts} "
                                    f"containers running: {shims}")
                readings = [memory(p) for p in shims]
                mem[e.name]["shim"].extend({"round": i} | r for r in readings)
                mem[e.name]["shims_pss_total"].append(sum(r["pss_kib"] for r in readings))
                mem[e.name]["daemon_n_busy"].append(memory(e.proc.pid))
            time.sleep(SETTLE_SECONDS)
            for e in order:
                mem[e.name]["daemon_n"].append(memory(e.proc.pid))
                if i == a.runs - 1:
                    shims = e.shim_pids()
                    smaps[e.name] = {"shim_pid_rollup": memory(shims[0]),
                                     "shim_top_mappings": mappings(shims[0]),
                                     "daemon_top_mappings": mappings(e.proc.pid)}
            for e in order:
                ns = sum(e.run(cmd)[0] for cmd in e.remove_commands(started[e.name]))
                timed[e.name]["remove"].append({"round": i, "ns": ns})
            for e in order:
                # A shim still running 3 s after its container was removed is counted as
                # left behind and killed by PID, so the next round starts from none.
                deadline = time.monotonic() + 3
                while e.shim_pids() and time.monotonic() < deadline:
                    time.sleep(0.05)
                left = e.shim_pids()
                timed[e.name]["remove"][-1]["shims_left"] = len(left)
                for p in left:
                    kill(p, signal.SIGKILL)
            if sys.stderr.isatty():
                print(f"\rround {i + 1}/{a.runs}", end="", file=sys.stderr, flush=True)
        if sys.stderr.isatty():
            print(file=sys.stderr)
        load_after = os.getloadavg()
    finally:
        for engine in engines:
            if engine.proc is not None:
                remove_leftovers(engine)
                engine.stop()

    summary = {}
    for e in engines:
        t, m = timed[e.name], mem[e.name]
        summary[e.name] = {
            "run_rm": time_stats([s["ns"] / 1e6 for s in t["run_rm"]]),
            "run_detached_one": time_stats([s["ns"] / 1e6 for s in t["start"]]),
            "run_detached_all": time_stats([s["ns"] / 1e6 for s in t["starts_total"]]),
            "remove_all": time_stats([s["ns"] / 1e6 for s in t["remove"]]),
            "shims_left_after_remove": sum(s["shims_left"] for s in t["remove"]),
            "shim": summarize_memory([{k: v for k, v in s.items() if k != "round"}
                                      for s in m["shim"]]),
            "shims_pss_total_median_kib": statistics.median(m["shims_pss_total"]),
            "daemon_fresh": fresh[e.name],
            "daemon_0_running": summarize_memory(m["daemon_0"]),
            f"daemon_{a.starts}_running": summarize_memory(m["daemon_n"]),
            "daemon_0_running_busy": summarize_memory(m["daemon_0_busy"]),
            f"daemon_{a.starts}_running_busy": summarize_memory(m["daemon_n_busy"]),
        }
    b, c = summary["berth"], summary["containerd"]
    n = a.starts

    def ratio(x, y):
        return round(x / y, 3)

    ratios = {
        "run_rm_median_time": ratio(b["run_rm"]["median_ms"], c["run_rm"]["median_ms"]),
        f"run_detached_{n}_median_time": ratio(b["run_detached_all"]["median_ms"],
                                               c["run_detached_all"]["median_ms"]),
        "remove_median_time": ratio(b["remove_all"]["median_ms"], c["remove_all"]["median_ms"]),
        "shim_median_pss": ratio(b["shim"]["median_pss_kib"], c["shim"]["median_pss_kib"]),
        "shim_median_rss": ratio(b["shim"]["median_rss_kib"], c["shim"]["median_rss_kib"]),
        "daemon_median_rss_0_running": ratio(b["daemon_0_running"]["median_rss_kib"],
                                             c["daemon_0_running"]["median_rss_kib"]),
        f"daemon_median_rss_{n}_running": ratio(b[f"daemon_{n}_running"]["median_rss_kib"],
                                                c[f"daemon_{n}_running"]["median_rss_kib"]),
        "daemon_median_rss_0_running_busy": ratio(
            b["daemon_0_running_busy"]["median_rss_kib"],
            c["daemon_0_running_busy"]["median_rss_kib"]),
        f"daemon_median_rss_{n}_running_busy": ratio(
            b[f"daemon_{n}_running_busy"]["median_rss_kib"],
            c[f"daemon_{n}_running_busy"]["median_rss_kib"]),
        "daemon_median_pss_0_running": ratio(b["daemon_0_running"]["median_pss_kib"],
                                             c["daemon_0_running"]["median_pss_kib"]),
    }
    goals = {
        "run --rm median time berth/containerd <= 0.25": {
            "value": ratios["run_rm_median_time"],
            "met": ratios["run_rm_median_time"] <= 0.25},
        "berth-shim median PSS <= 1024 KiB": {
            "value": b["shim"]["median_pss_kib"], "met": b["shim"]["median_pss_kib"] <= 1024},
        "berthd RSS berth/containerd <= 0.4 (0 and N running, idle)": {
            "value": [ratios["daemon_median_rss_0_running"],
                      ratios[f"daemon_median_rss_{n}_running"]],
            "met": max(ratios["daemon_median_rss_0_running"],
                       ratios[f"daemon_median_rss_{n}_running"]) <= 0.4},
    }
    print_table(summary, ratios, goals, n)

    result = {
        "schema": 1,
        "benchmark": "containers end to end: run --rm, run -d, shim and daemon memory",
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "host": host_facts() | {"loadavg_before": load_before, "loadavg_after": load_after},
        "versions": {
            "berth": a.berth_version,
            "containerd": first_line(["containerd", "--version"]),
            "runc": first_line(["runc", "--version"]),
            "containerd-shim-runc-v2": first_line(["containerd-shim-runc-v2", "-v"]),
        },
        "method": {
            "rounds": a.runs,
            "detached_per_round": n,
            "order": "per round, berth first in even rounds and containerd first in odd "
                     "ones: daemon memory with 0 containers; run --rm /bin/true on each; "
                     f"{n} sequential run -d sleep 1000 on each; shim and daemon memory "
                     f"with {n} running in each; removal of the {n} on each; shims still "
                     "running 3 s after the removal are counted (shims_left) and killed; "
                     "daemon memory is read right after the previous command (*_busy) and "
                     f"again after {SETTLE_SECONDS:g} s without one (the goal's idle daemon)",
            "clock": "time.perf_counter_ns from posix_spawn of the client to waitpid",
            "memory": "VmRSS and Threads from /proc/PID/status; Pss, Private_Clean + "
                      "Private_Dirty, Pss_Anon, Pss_File from /proc/PID/smaps_rollup; KiB",
            "shims": "berth-shim processes whose --state-dir is under berthd's --state; "
                     "containerd-shim-runc-v2 processes whose -address is this containerd's "
                     "socket",
            "commands": {
                "berth daemon": berth.daemon_command(),
                "berth daemon.json": open(berth.config).read(),
                "berth load": berth.load_command("TAR"),
                "berth run --rm": berth.run_rm_command("ID", ["/bin/true"]),
                "berth run -d": berth.run_detached_command("ID", ["sleep", "1000"]),
                "berth remove": berth.remove_commands(["ID..."]),
                "containerd daemon": ctrd.daemon_command(),
                "containerd config": open(ctrd.config).read(),
                "containerd load": ctrd.load_command("TAR"),
                "containerd run --rm": ctrd.run_rm_command("ID", ["/bin/true"]),
                "containerd run -d": ctrd.run_detached_command("ID", ["sleep", "1000"]),
                "containerd remove": ctrd.remove_commands(["ID..."]),
            },
        },
        "summary": summary,
        "ratios": {f"berth/containerd {k}": v for k, v in ratios.items()},
        "goals": goals,
        "smaps_last_round": smaps,
        "samples": {"time": timed, "memory": mem},
    }
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, "x") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    print(f"\nresults: {a.out}")


def print_table(summary, ratios, goals, n):
    head = f"{'time':<28}{'engine':<12}{'runs':>5}{'median ms':>11}{'p90 ms':>10}{'min ms':>10}"
    print(head)
    print("-" * len(head))
    rows = [("run --rm /bin/true", "run_rm"), ("run -d sleep, one", "run_detached_one"),
            (f"run -d sleep, {n} in a row", "run_detached_all"),
            (f"remove {n}", "remove_all")]
    for label, key in rows:
        for engine, s in summary.items():
            t = s[key]
            print(f"{label:<28}{engine:<12}{t['runs']:>5}{t['median_ms']:>11.1f}"
                  f"{t['p90_ms']:>10.1f}{t['min_ms']:>10.1f}")
    print()
    head = f"{'memory (KiB), median':<30}{'engine':<12}{'PSS':>8}{'private':>9}{'RSS':>8}" \
           f"{'threads':>9}"
    print(head)
    print("-" * len(head))
    for engine, s in summary.items():
        for label, key in (("shim", "shim"), ("daemon, 0 running", "daemon_0_running"),
                           (f"daemon, {n} running", f"daemon_{n}_running"),
                           ("daemon, 0 running, busy", "daemon_0_running_busy"),
                           (f"daemon, {n} running, busy", f"daemon_{n}_running_busy")):
            m = s[key]
            print(f"{label:<30}{engine:<12}{m['median_pss_kib']:>8.0f}"
                  f"{m['median_private_kib']:>9.0f}{m['median_rss_kib']:>8.0f}"
                  f"{m['median_threads']:>9.0f}")
    print()
    for k, v in ratios.items():
        print(f"berth/containerd {k}: {v:.2f}x")
    print()
    for k, g in goals.items():
        print(f"goal {k}: {'met' if g['met'] else 'not met'} ({g['value']})")


def kill(pid, sig):
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def cleanup(a):
    """After the bench, on every exit path: containers of both engines removed, daemons
    stopped (by the PID in their pidfile, if its command line is still ours), shims and
    container processes left in the bench's cgroups killed by PID, the cgroups removed."""
    engines = [Berth(a.work, "berthd", a.berthctl, ""), Containerd(a.work, a.prefix)]
    for e in engines:
        try:
            with open(e.pidfile) as f:
                pid = int(f.read())
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                ours = e.config.encode() in f.read()
        except (OSError, ValueError):
            continue
        if not ours:
            continue
        try:
            remove_leftovers(e)
        except OSError:
            pass
        kill(pid, signal.SIGTERM)
        for _ in range(100):
            if not os.path.exists(f"/proc/{pid}"):
                break
            time.sleep(0.1)
        else:
            kill(pid, signal.SIGKILL)
    for e in engines:
        for pid in e.shim_pids():
            kill(pid, signal.SIGKILL)
    mounts = [l.split()[4] for l in open("/proc/self/mountinfo") if " - cgroup" in l]
    for mnt in mounts:
        top = os.path.join(mnt, a.prefix)
        for d, _, files in os.walk(top):
            if "cgroup.procs" in files:
                for pid in open(os.path.join(d, "cgroup.procs")).read().split():
                    kill(int(pid), signal.SIGKILL)
    return benchlib.remove_cgroups(a.prefix, "container_bench")


def main(doc=__doc__, measure=measure, cleanup=cleanup, name="container_bench"):
    """The command line both suites share: `measure` and `cleanup` with the same flags
    (the network suite ignores --starts)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    m = sub.add_parser("measure")
    m.add_argument("--work", required=True)
    m.add_argument("--image", required=True, help="busybox docker-archive tar")
    m.add_argument("--runs", type=int, default=20)
    m.add_argument("--starts", type=int, default=20)
    m.add_argument("--berthd", required=True)
    m.add_argument("--berthctl", required=True)
    m.add_argument("--berth-version", required=True)
    m.add_argument("--cgroup-prefix", required=True)
    m.add_argument("--out", required=True)
    c = sub.add_parser("cleanup")
    c.add_argument("--work", required=True)
    c.add_argument("--berthctl", required=True)
    c.add_argument("--prefix", required=True, help="the cgroup prefix and ctr namespace")
    a = parser.parse_args()
    if a.command == "cleanup":
        return cleanup(a)
    try:
        measure(a)
    except RunFailed as e:
        print(f"\n{name}: no results written:\n{e}", file=sys.stderr)
        return 1
    return 0

if __name__ == "__main__":
    sys.exit(main())
