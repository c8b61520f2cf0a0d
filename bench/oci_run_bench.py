#!/usr/bin/env python3
"""Times `run` of /bin/true under OCI runtimes, interleaved, and summarizes it; then the
same container's life split into `create`, `start` and `delete`.

Called by run_bench.sh, which builds the bundle and cleans up; standard library only.
  measure         run the rounds, print the table, write the JSON
  remove-cgroups  remove every cgroup directory named PREFIX this process can see
"""

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
from benchlib import RunFailed, first_line, host_facts, spawn, time_stats  # noqa: E402

# crun 1.8 refuses hybrid hosts ("cgroups in hybrid mode not supported"): it runs in a
# private mount namespace without the cgroup2 mount, so it sees a pure v1 host.
CRUN_WRAPPER = ["unshare", "-m", "sh", "-c",
                'umount /sys/fs/cgroup/unified 2>/dev/null; exec "$0" "$@"']
GNU_TIME = "/usr/bin/time"


def runtime_commands(berth_oci, state):
    """Argument lists before `run -b BUNDLE ID`, one per runtime, in the round's order."""
    return {
        "berth-oci": [berth_oci, "--root", os.path.join(state, "berth-oci")],
        "runc": ["runc", "--root", os.path.join(state, "runc")],
        "crun": CRUN_WRAPPER + ["crun", "--root", os.path.join(state, "crun")],
    }


def baseline_commands():
    """What spawning costs without any container: the floor under every row, and crun's."""
    return {
        "/bin/true": ["/bin/true"],
        "crun wrapper": CRUN_WRAPPER + ["/bin/true"],
    }


def write_config(bundle, config, cgroups_path, args):
    config["linux"]["cgroupsPath"] = cgroups_path
    config["process"]["args"] = args
    tmp = os.path.join(bundle, "config.json.tmp")
    with open(tmp, "w") as f:
        json.dump(config, f, indent=2)
    os.replace(tmp, os.path.join(bundle, "config.json"))


def peak_rss(name, cmd, logs):
    """Peak RSS in KiB as GNU time reports it (%M), from a run of its own."""
    rss_file = os.path.join(logs, "rss")
    spawn(name, [GNU_TIME, "-f", "%M", "-o", rss_file] + cmd, logs)
    with open(rss_file) as f:
        return int(f.read().split()[-1])


PHASES = ("create", "start", "delete")


def wait_stopped(name, runtime, cid):
    """Polls `state` until the container's process has exited (not timed)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        out = subprocess.run(runtime + ["state", cid], capture_output=True, text=True)
        if out.returncode == 0 and json.loads(out.stdout).get("status") == "stopped":
            return
        time.sleep(0.002)
    raise RunFailed(f"{name}: container {cid} did not stop within 10 s after start")


def split_round(name, runtime, bundle, cid, logs):
    """create, start and delete of one /bin/true container, each timed on its own."""
    sample = {"id": cid}
    sample["create_ns"] = spawn(f"{name} create {cid}", runtime + ["create", "-b", bundle, cid],
                                logs)
    sample["start_ns"] = spawn(f"{name} start {cid}", runtime + ["start", cid], logs)
    wait_stopped(name, runtime, cid)
    sample["delete_ns"] = spawn(f"{name} delete {cid}", runtime + ["delete", cid], logs)
    return sample


def summarize_split(samples):
    return {phase: time_stats([s[f"{phase}_ns"] / 1e6 for s in samples]) for phase in PHASES}


def print_split_table(split, wrapper_ms):
    print("\ncreate / start / delete, each timed alone (median ms, p90 in brackets):")
    print(f"{'runtime':<22}" + "".join(f"{p:>17}" for p in PHASES))
    for name, phases in split.items():
        cells = "".join(f"{phases[p]['median_ms']:>8.2f} ({phases[p]['p90_ms']:>5.2f}) "
                        for p in PHASES)
        print(f"{name:<22}{cells}")
    print(f"(each crun command pays its wrapper too, ~{wrapper_ms:.2f} ms)")


def summarize(samples):
    rss = [s["maxrss_kib"] for s in samples]
    return time_stats([s["ns"] / 1e6 for s in samples]) | {
        "peak_rss_kib": max(rss),
        "median_rss_kib": statistics.median(rss),
    }


def print_table(summary, baselines, ratios, crun_bare_ms):
    head = f"{'runtime':<22}{'runs':>5}{'median ms':>11}{'p90 ms':>9}{'min ms':>9}" \
           f"{'peak RSS KiB':>14}"
    print(head)
    print("-" * len(head))

    def row(name, s):
        print(f"{name:<22}{s['runs']:>5}{s['median_ms']:>11.2f}{s['p90_ms']:>9.2f}"
              f"{s['min_ms']:>9.2f}{s['peak_rss_kib']:>14}")

    for name, s in summary.items():
        row(name, s)
    print("baselines, no container:")
    for name, s in baselines.items():
        row("  " + name, s)
    print()
    for other in ("runc", "crun"):
        r = ratios[f"berth-oci/{other}"]
        print(f"berth-oci/{other}: median time {r['median_time']:.2f}x, "
              f"peak RSS {r['peak_rss']:.2f}x")
    print(f"crun without its wrapper (median minus the wrapper's extra cost, an estimate): "
          f"{crun_bare_ms:.2f} ms; berth-oci/crun "
          f"{ratios['berth-oci/crun']['median_time_wrapper_subtracted']:.2f}x")


def measure(a):
    with open(os.path.join(a.bundle, "config.json")) as f:
        config = json.load(f)
    runtimes = runtime_commands(a.berth_oci, a.state)
    baselines = baseline_commands()
    for name in runtimes:
        os.makedirs(os.path.join(a.state, name), exist_ok=True)
    logs = a.state
    pid = os.getpid()

    def container(name, cid, args):
        write_config(a.bundle, config, f"{a.cgroup_prefix}/{cid}", args)
        return f"{name} (container {cid})", runtimes[name] + ["run", "-b", a.bundle, cid]

    # Warm-up, not recorded: page cache, and proof the process really ran in the container.
    for name in runtimes:
        label, cmd = container(name, f"bench-{pid}-{name}-warmup", ["/bin/sh", "-c", "exit 3"])
        spawn(label, cmd, logs, expect_code=3)

    samples = {name: [] for name in list(runtimes) + list(baselines)}
    load_before = os.getloadavg()
    for i in range(a.runs):
        # Timed: every runtime, then the baselines, each spawned directly.
        for name in runtimes:
            cid = f"bench-{pid}-{name}-{i}"
            ns = spawn(*container(name, cid, ["/bin/true"]), logs)
            samples[name].append({"round": i, "id": cid, "ns": ns})
        for name, cmd in baselines.items():
            samples[name].append({"round": i, "ns": spawn(name, cmd, logs)})
        # Peak RSS: the same again under GNU time, not timed.
        for name in runtimes:
            cid = f"bench-{pid}-{name}-{i}-rss"
            samples[name][-1]["rss_id"] = cid
            samples[name][-1]["maxrss_kib"] = peak_rss(*container(name, cid, ["/bin/true"]), logs)
        for name, cmd in baselines.items():
            samples[name][-1]["maxrss_kib"] = peak_rss(name, cmd, logs)
        if sys.stderr.isatty():
            print(f"\rround {i + 1}/{a.runs}", end="", file=sys.stderr, flush=True)
    # The same container's life in three commands, each runtime in turn, round by round.
    split_samples = {name: [] for name in runtimes}
    for i in range(a.runs):
        for name in runtimes:
            cid = f"bench-{pid}-{name}-{i}-split"
            write_config(a.bundle, config, f"{a.cgroup_prefix}/{cid}", ["/bin/true"])
            split_samples[name].append({"round": i} | split_round(name, runtimes[name], a.bundle,
                                                                  cid, logs))
        if sys.stderr.isatty():
            print(f"\rsplit round {i + 1}/{a.runs}", end="", file=sys.stderr, flush=True)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    load_after = os.getloadavg()

    summary = {n: summarize(s) for n, s in samples.items() if n in runtimes}
    base_summary = {n: summarize(s) for n, s in samples.items() if n in baselines}
    # crun pays for its wrapper (unshare, sh, umount); this estimates crun without it.
    wrapper_ms = base_summary["crun wrapper"]["median_ms"] - base_summary["/bin/true"]["median_ms"]
    crun_bare_ms = round(summary["crun"]["median_ms"] - wrapper_ms, 3)
    b = summary["berth-oci"]
    ratios = {
        f"berth-oci/{other}": {
            "median_time": round(b["median_ms"] / summary[other]["median_ms"], 3),
            "peak_rss": round(b["peak_rss_kib"] / summary[other]["peak_rss_kib"], 3),
        }
        for other in ("runc", "crun")
    }
    ratios["berth-oci/crun"]["median_time_wrapper_subtracted"] = round(b["median_ms"] / crun_bare_ms, 3)
    split = {n: summarize_split(s) for n, s in split_samples.items()}
    split_ratios = {
        f"berth-oci/{other}": {
            p: round(split["berth-oci"][p]["median_ms"] / split[other][p]["median_ms"], 3)
            for p in PHASES
        }
        for other in ("runc", "crun")
    }
    crun_bare = {p: split["crun"][p]["median_ms"] - wrapper_ms for p in PHASES}
    split_ratios["berth-oci/crun wrapper subtracted"] = {
        p: round(split["berth-oci"][p]["median_ms"] / crun_bare[p], 3) for p in PHASES
    }
    print_table(summary, base_summary, ratios, crun_bare_ms)
    print_split_table(split, wrapper_ms)
    for name, r in split_ratios.items():
        print(f"{name}: " + ", ".join(f"{p} {r[p]:.2f}x" for p in PHASES))

    rss_cmd = [GNU_TIME, "-f", "%M", "-o", "FILE"]
    result = {
        "schema": 1,
        "benchmark": "oci run /bin/true",
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "host": host_facts() | {"loadavg_before": load_before, "loadavg_after": load_after},
        "versions": {
            "berth-oci": a.berth_version,
            "runc": first_line(["runc", "--version"]),
            "crun": first_line(["crun", "--version"]),
        },
        "method": {
            "rounds": a.runs,
            "order": "per round: " + ", ".join(list(runtimes) + list(baselines)) +
                     " timed; then the same under GNU time for peak RSS; after all rounds, "
                     "the same number of split rounds: per runtime create, start, (state "
                     "polled until stopped, not timed) delete, each timed alone",
            "clock": "time.perf_counter_ns from posix_spawn to waitpid returning",
            "rss": "GNU time %M from a second run in the same round: the largest peak RSS "
                   "of any one process of the command's tree (runtime, its helpers, the "
                   "container's process), KiB; never below GNU time's own ~1 MiB, which "
                   "its child starts as (the /bin/true baseline)",
            "commands": {n: c + ["run", "-b", "BUNDLE", "ID"] for n, c in runtimes.items()}
                        | baselines,
            "rss_command_prefix": rss_cmd,
        },
        "summary": summary,
        "baselines": base_summary,
        "crun_median_ms_wrapper_subtracted": crun_bare_ms,
        "ratios": ratios,
        "split": split,
        "split_ratios": split_ratios,
        "samples": samples,
        "split_samples": split_samples,
    }
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    print(f"\nresults: {a.out}")


def remove_cgroups(a):
    return benchlib.remove_cgroups(a.prefix, "run_bench")


def main():
    p = argparse.ArgumentParser(description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("measure")
    m.add_argument("--runs", type=int, required=True)
    m.add_argument("--bundle", required=True)
    m.add_argument("--state", required=True)
    m.add_argument("--berth-oci", required=True)
    m.add_argument("--berth-version", default="unknown")
    m.add_argument("--cgroup-prefix", required=True)
    m.add_argument("--out", required=True)
    r = sub.add_parser("remove-cgroups")
    r.add_argument("--prefix", required=True)
    a = p.parse_args()
    if a.cmd == "remove-cgroups":
        return remove_cgroups(a)
    try:
        measure(a)
    except RunFailed as e:
        print(f"\nrun_bench: a runtime failed, no results written:\n{e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
