#!/usr/bin/env python3
"""The measuring half of bench/pull_bench.sh: pulls from a local registry, berth vs containerd.

usage: pull_bench.py measure --tmpfs DIR --small REF --small-dir OCI --big REF --big-dir OCI
                             --runs-small N --runs-big N --berthd PATH --berthctl PATH
                             --berth-version TEXT --out FILE

Every pull starts from nothing: the engine's daemon is started on an empty root and
state under DIR (a tmpfs), the pull is timed, its result checked, then the daemon is
stopped (SIGTERM, by PID) and its root and state wiped. Only the pull command is timed;
daemon start and stop are not. Rounds alternate which engine goes first. Daemon PIDs are
written to DIR/<engine>.pid while they run, for pull_bench.sh's cleanup. stdlib only.
"""
import argparse
import datetime
import glob
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
from benchlib import first_line, host_facts, tail, time_stats  # noqa: E402

CTR_NAMESPACE = "bench"
CLK_TCK = os.sysconf("SC_CLK_TCK")


BenchFailed = benchlib.RunFailed


def cpu_ms(pid):
    """User + system CPU of a running process (all its threads), ms."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / CLK_TCK


class Engine(benchlib.DaemonProcess):
    """One daemon, started fresh for each pull and wiped after it."""

    def __init__(self, name, tmpfs):
        self.name = name
        self.dir = os.path.join(tmpfs, name)
        self.root = os.path.join(self.dir, "root")
        self.state = os.path.join(self.dir, "state")
        self.sock = os.path.join(self.dir, "daemon.sock")
        self.log = os.path.join(tmpfs, f"{name}.log")
        self.pidfile = os.path.join(tmpfs, f"{name}.pid")
        self.proc = None

    def wipe(self):
        """Root and state gone; refuses if anything under them is still mounted."""
        mounted = [l.split()[4] for l in open("/proc/self/mountinfo")
                   if l.split()[4].startswith(self.dir + "/")]
        if mounted:
            raise BenchFailed(f"{self.name} left mounts: {mounted}")
        if os.path.exists(self.dir):
            shutil.rmtree(self.dir)

    def pull(self, ref):
        """Times one pull; returns (ns, daemon + client CPU ms)."""
        cmd = self.pull_command(ref)
        daemon_cpu = cpu_ms(self.proc.pid)
        with open(self.log, "ab") as log:
            log.write(f"--- {' '.join(cmd)}\n".encode())
            log.flush()
            start = time.perf_counter_ns()
            child = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
            _, status, usage = os.wait4(child.pid, 0)
            ns = time.perf_counter_ns() - start
        code = os.waitstatus_to_exitcode(status)
        child.returncode = code  # reaped here, not by Popen
        if code != 0:
            raise BenchFailed(f"{self.name}: {' '.join(cmd)} exited with {code}:"
                              f"\n{tail(self.log)}")
        cpu = cpu_ms(self.proc.pid) - daemon_cpu + (usage.ru_utime + usage.ru_stime) * 1000
        return ns, cpu

    def check(self, probe, size):
        """The pull left an unpacked file: some snapshot holds `probe` with `size` bytes."""
        found = [p for p in glob.glob(os.path.join(self.root, "**", probe), recursive=True)
                 if os.path.isfile(p) and not os.path.islink(p)]
        found = [p for p in found if os.path.getsize(p) == size]
        if not found:
            raise BenchFailed(f"{self.name}: no unpacked {probe} of {size} bytes under "
                              f"{self.root}")
        return os.path.relpath(found[0], self.root)


class Berth(Engine):
    def __init__(self, tmpfs, berthd, berthctl):
        super().__init__("berth", tmpfs)
        self.berthd, self.berthctl = berthd, berthctl
        self.config = os.path.join(tmpfs, "berth-daemon.json")
        with open(self.config, "w") as f:
            f.write("{}\n")

    def daemon_command(self):
        return [self.berthd, "--config", self.config, "--root", self.root, "--state",
                self.state, "--socket", self.sock, "--services", "images",
                "--metrics-address", "127.0.0.1:0"]

    def ctl(self):
        return [self.berthctl, "-H", f"unix://{self.sock}"]

    def ready_command(self):
        return self.ctl() + ["version"]

    def pull_command(self, ref):
        return self.ctl() + ["pull", "-q", ref]


class Containerd(Engine):
    def __init__(self, tmpfs):
        super().__init__("containerd", tmpfs)
        self.config = os.path.join(tmpfs, "containerd.toml")
        with open(self.config, "w") as f:
            f.write(f'version = 2\nroot = "{self.root}"\nstate = "{self.state}"\n'
                    f'disabled_plugins = ["io.containerd.grpc.v1.cri"]\n'
                    f'[grpc]\n  address = "{self.sock}"\n'
                    f'[ttrpc]\n  address = "{self.sock}.ttrpc"\n')

    def daemon_command(self):
        return ["containerd", "--config", self.config]

    def ctr(self):
        return ["ctr", "-a", self.sock, "-n", CTR_NAMESPACE]

    def ready_command(self):
        return self.ctr() + ["version"]

    def pull_command(self, ref):
        return self.ctr() + ["images", "pull", "--plain-http", ref]


def layout_facts(layout):
    """Layer count and sizes of the one image in an OCI layout directory."""
    def blob(digest):
        with open(os.path.join(layout, "blobs", "sha256", digest[7:])) as f:
            return json.load(f)
    with open(os.path.join(layout, "index.json")) as f:
        manifest_digest = json.load(f)["manifests"][0]["digest"]
    manifest = blob(manifest_digest)
    sizes = [layer["size"] for layer in manifest["layers"]]
    return {"manifest": manifest_digest, "layers": len(sizes), "layer_bytes": sizes,
            "compressed_bytes": sum(sizes),
            "layer_media_types": sorted({l["mediaType"] for l in manifest["layers"]})}


def summarize(samples):
    cpu = [s["cpu_ms"] for s in samples]
    return time_stats([s["ns"] / 1e6 for s in samples]) | {
        "median_cpu_ms": round(statistics.median(cpu), 1),
    }


def print_table(summary, ratios):
    head = f"{'image':<10}{'engine':<12}{'runs':>5}{'median ms':>11}{'p90 ms':>10}" \
           f"{'min ms':>10}{'CPU ms':>9}"
    print(head)
    print("-" * len(head))
    for image, engines in summary.items():
        for engine, s in engines.items():
            print(f"{image:<10}{engine:<12}{s['runs']:>5}{s['median_ms']:>11.1f}"
                  f"{s['p90_ms']:>10.1f}{s['min_ms']:>10.1f}{s['median_cpu_ms']:>9.0f}")
    print()
    for image, r in ratios.items():
        print(f"{image}: berth/containerd median time {r['median_time']:.2f}x, "
              f"min {r['min_time']:.2f}x, median CPU {r['median_cpu']:.2f}x")


def measure(a):
    engines = [Berth(a.tmpfs, a.berthd, a.berthctl), Containerd(a.tmpfs)]
    # Per image: reference, rounds, a file of its top layer that each pull must leave
    # unpacked, and that file's size.
    images = {"busybox": (a.small, a.runs_small, "bin/busybox", os.path.getsize(a.busybox)),
              "big": (a.big, a.runs_big, "small/d099/f19999", 4096)}

    def one(engine, image, record):
        ref, _, probe, size = images[image]
        engine.wipe()
        engine.start()
        try:
            ns, cpu = engine.pull(ref)
            unpacked_at[f"{engine.name} {image}"] = engine.check(probe, size)
        finally:
            engine.stop()
            engine.wipe()
        if record is not None:
            record.append({"round": record_round[0], "ns": ns, "cpu_ms": round(cpu, 1)})
        return ns

    record_round = [0]
    unpacked_at = {}
    try:
        # Warm-up, not recorded: page cache of both binaries and the registry's blobs, and
        # proof that each engine pulls and unpacks both images.
        for image in images:
            for engine in engines:
                ns = one(engine, image, None)
                print(f"warm-up: {engine.name} pulled {image} in {ns / 1e6:.0f} ms",
                      flush=True)
        samples = {image: {e.name: [] for e in engines} for image in images}
        load_before = os.getloadavg()
        for image, (_, runs, _, _) in images.items():
            for i in range(runs):
                record_round[0] = i
                order = engines if i % 2 == 0 else engines[::-1]
                for engine in order:
                    one(engine, image, samples[image][engine.name])
                if sys.stderr.isatty():
                    print(f"\r{image}: round {i + 1}/{runs}", end="", file=sys.stderr,
                          flush=True)
            if sys.stderr.isatty():
                print(file=sys.stderr)
        load_after = os.getloadavg()
    finally:
        for engine in engines:
            engine.stop()

    summary = {img: {n: summarize(s) for n, s in by.items()} for img, by in samples.items()}
    ratios = {
        img: {
            "median_time": round(s["berth"]["median_ms"] / s["containerd"]["median_ms"], 3),
            "min_time": round(s["berth"]["min_ms"] / s["containerd"]["min_ms"], 3),
            "median_cpu": round(s["berth"]["median_cpu_ms"] / s["containerd"]["median_cpu_ms"],
                                3),
        }
        for img, s in summary.items()
    }
    print_table(summary, ratios)
    goal = ratios["big"]["median_time"] <= 0.4
    print(f"goal (big image, berth median <= 0.4x containerd's): "
          f"{'met' if goal else 'not met'} ({ratios['big']['median_time']:.2f}x)")

    berth, ctrd = engines
    result = {
        "schema": 1,
        "benchmark": "image pull and unpack from a local registry",
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "host": host_facts() | {"loadavg_before": load_before, "loadavg_after": load_after},
        "versions": {
            "berth": a.berth_version,
            "containerd": first_line(["containerd", "--version"]),
            "registry": first_line(["docker-registry", "--version"]),
        },
        "images": {"busybox": {"ref": a.small} | layout_facts(a.small_dir),
                   "big": {"ref": a.big} | layout_facts(a.big_dir)},
        "method": {
            "rounds": {img: runs for img, (_, runs, _, _) in images.items()},
            "order": "warm-up pull of each image by each engine (not recorded); then per "
                     "image, rounds alternating berth, containerd / containerd, berth",
            "removal": "before every pull the engine's daemon is started on an empty root "
                       "and state on tmpfs; after it the daemon is stopped (SIGTERM) and "
                       "both are deleted; start and stop are not timed",
            "clock": "time.perf_counter_ns from spawning the pull command to reaping it",
            "cpu": "user+system CPU of the daemon (/proc/PID/stat, all threads) during the "
                   "pull plus the pull command's own (wait4 rusage), ms",
            "check": "after each pull, outside the timing: a file of the image's top layer "
                     "(bin/busybox, small/d099/f19999) is found unpacked under the root with "
                     "its size; unpacked_at says where (the snapshotter's directory)",
            "unpacked_at": unpacked_at,
            "commands": {
                "berth daemon": berth.daemon_command(),
                "berth pull": berth.pull_command("REF"),
                "containerd daemon": ctrd.daemon_command(),
                "containerd config": open(ctrd.config).read(),
                "containerd pull": ctrd.pull_command("REF"),
            },
        },
        "summary": summary,
        "ratios": {f"berth/containerd {img}": r for img, r in ratios.items()},
        "goal": {"big image median time berth/containerd <= 0.4": goal},
        "samples": samples,
    }
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, "x") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    print(f"\nresults: {a.out}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    m = sub.add_parser("measure")
    m.add_argument("--tmpfs", required=True)
    m.add_argument("--small", required=True, help="busybox image reference")
    m.add_argument("--big", required=True, help="big image reference")
    m.add_argument("--small-dir", required=True, help="the busybox image's OCI layout")
    m.add_argument("--big-dir", required=True, help="the big image's OCI layout")
    m.add_argument("--busybox", default="/bin/busybox", help="the busybox in the images")
    m.add_argument("--runs-small", type=int, default=10)
    m.add_argument("--runs-big", type=int, default=5)
    m.add_argument("--berthd", required=True)
    m.add_argument("--berthctl", required=True)
    m.add_argument("--berth-version", required=True)
    m.add_argument("--out", required=True)
    a = parser.parse_args()
    try:
        measure(a)
    except BenchFailed as e:
        print(f"pull_bench: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
