#!/usr/bin/env python3
"""The measuring half of `container_bench.sh --suite network`: what a container's network
costs, berth vs containerd.

usage: network_bench.py measure --work DIR --image TAR --runs N --berthd PATH --berthctl PATH
                                --berth-version TEXT --cgroup-prefix NAME --out FILE
       network_bench.py cleanup --work DIR --berthctl PATH --prefix NAME

berthd and containerd run side by side, as in container_bench.py. Every round times, on
both engines, `run --rm … /bin/true` without a network (berth `--network none`, plain
`ctr run`) and with one (berth's default bridge, `ctr run --cni`); the difference of the
medians is what attaching and detaching a container costs end to end. berthd's own
`berth_network_endpoint_operation_duration_seconds` histogram gives its attach and detach
times as the network service sees them.

`ctr run --cni` reads /etc/cni/net.d and /opt/cni/bin, which Debian leaves empty (its
plugins are in /usr/lib/cni). Rather than change the host, every ctr command runs in a
mount namespace of the bench's own (bound to DIR/ctr-mntns) where /etc and /opt are
overlays holding the conflist and the plugins. ctr's conflist gives what berth's default
network gives (see ctr_conflist). stdlib only.
"""
import datetime
import json
import os
import shlex
import socket
import subprocess
import sys
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import container_bench  # noqa: E402
from benchlib import RunFailed, first_line, host_facts, time_stats  # noqa: E402
from container_bench import Berth, Containerd, remove_leftovers  # noqa: E402

HISTOGRAM = "berth_network_endpoint_operation_duration_seconds"


def names(prefix):
    """The bench's bridges and subnets, from the PID in its prefix (berth-bench-<pid>)."""
    pid = int(prefix.rsplit("-", 1)[1])
    octet = pid % 250
    return {"berth_bridge": f"bnb{pid:x}"[:15], "ctr_bridge": f"bnc{pid:x}"[:15],
            "berth_subnet": f"10.250.{octet}.0/24", "ctr_subnet": f"10.251.{octet}.0/24",
            "berth_bip": f"10.250.{octet}.1/24"}


def free_loopback_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def routed(subnet):
    """Whether the host already routes (part of) 10.25x.y.0/24."""
    prefix = subnet.rsplit(".", 1)[0] + "."
    out = subprocess.run(["ip", "-4", "route"], capture_output=True, text=True).stdout
    return any(line.startswith(prefix) for line in out.splitlines())


def histogram(metrics_url):
    """{"<operation> <driver>": [sum seconds, count]} of berthd's attach/detach histogram."""
    text = urllib.request.urlopen(metrics_url, timeout=10).read().decode()
    out = {}
    for line in text.splitlines():
        for suffix in ("_sum", "_count"):
            if line.startswith(HISTOGRAM + suffix + "{"):
                labels, value = line[len(HISTOGRAM + suffix):].rsplit(" ", 1)
                label = {k: v.strip('"') for k, v in
                         (kv.split("=", 1) for kv in labels.strip("{}").split(","))}
                entry = out.setdefault(f"{label['operation']} {label['driver']}", [0.0, 0])
                entry[0 if suffix == "_sum" else 1] = float(value)
    return out


def ctr_conflist(n, ipam_dir):
    """What berth's default network gives a container, as CNI plugins give it to ctr:
    bridge (gateway, masquerade, hairpin) with host-local, portmap and firewall (FORWARD
    acceptance). berth does the masquerade and the FORWARD rules once per network, so
    its own list is bridge alone for a container publishing nothing."""
    bridge = {"type": "bridge", "bridge": n["ctr_bridge"], "isGateway": True, "ipMasq": True,
              "hairpinMode": True,
              "ipam": {"type": "host-local", "ranges": [[{"subnet": n["ctr_subnet"]}]],
                       "routes": [{"dst": "0.0.0.0/0"}], "dataDir": ipam_dir}}
    return {"cniVersion": "1.0.0", "name": "ctr-bench",
            "plugins": [bridge,
                        {"type": "portmap", "capabilities": {"portMappings": True},
                         "snat": True},
                        {"type": "firewall", "backend": "iptables"}]}


def make_ctr_namespace(work, conflist):
    """A mount namespace, bound to WORK/ctr-mntns, with /etc/cni/net.d holding the conflist
    and /opt/cni/bin the plugins; the host's /etc and /opt are untouched (overlays)."""
    nsfile = os.path.join(work, "ctr-mntns")
    ovl = os.path.join(work, "ovl")
    for d in ("etc-up", "etc-work", "opt-up", "opt-work"):
        os.makedirs(os.path.join(ovl, d), exist_ok=True)
    conf = os.path.join(work, "ctr-bench.conflist")
    with open(conf, "w") as f:
        json.dump(conflist, f, indent=1)
    open(nsfile, "w").close()
    # unshare binds the namespace to a file only on a mount that is not shared.
    subprocess.run(["mount", "--make-private", work], check=True)
    script = (f"mount -t overlay overlay -o lowerdir=/etc,upperdir={ovl}/etc-up,"
              f"workdir={ovl}/etc-work /etc && "
              f"mount -t overlay overlay -o lowerdir=/opt,upperdir={ovl}/opt-up,"
              f"workdir={ovl}/opt-work /opt && "
              f"mkdir -p /etc/cni/net.d /opt/cni/bin && "
              f"cp {conf} /etc/cni/net.d/10-ctr-bench.conflist && "
              f"mount --bind /usr/lib/cni /opt/cni/bin")
    subprocess.run(["unshare", f"--mount={nsfile}", "--propagation", "private", "sh", "-c",
                    script], check=True)
    return ["nsenter", f"--mount={nsfile}", "--"]


def measure(a):
    n = names(a.cgroup_prefix)
    for subnet in (n["berth_subnet"], n["ctr_subnet"]):
        if routed(subnet):
            raise RunFailed(f"the host already routes {subnet}; no network bench here")
    port = free_loopback_port()
    berth = Berth(a.work, a.berthd, a.berthctl, f"/{a.cgroup_prefix}/berth",
                  daemon_json={"bridge": n["berth_bridge"], "bip": n["berth_bip"],
                               "cni-config-dir": os.path.join(a.work, "berth-net.d")},
                  metrics_address=f"127.0.0.1:{port}")
    ctrd = Containerd(a.work, a.cgroup_prefix)
    engines = [berth, ctrd]
    pid = os.getpid()
    variants = {"berth": ["none", "bridge"], "containerd": ["none", "cni"]}
    timed = {e: {v: [] for v in vs} for e, vs in variants.items()}
    metrics_url = f"http://127.0.0.1:{port}/metrics"

    def run_rm(engine, variant, cid, args, expect_code=0):
        if engine is berth:
            cmd = berth.run_rm_command(cid, args, network=variant)
        else:
            cmd = ctrd.run_rm_command(cid, args, cni=variant == "cni")
        return engine.run(cmd, expect_code)

    try:
        berth.start()
        berth.run(berth.load_command(a.image))
        # Warm-up: the default bridge, its conflist and chains exist after the first run.
        _, out = run_rm(berth, "bridge", "", ["sh", "-c", "ip -o -4 addr show eth0; exit 3"], 3)
        if n["berth_subnet"].rsplit(".", 1)[0] not in out:
            raise RunFailed(f"berth: the container's eth0 is not on the bench's bridge: {out}")
        conflist = ctr_conflist(n, os.path.join(a.work, "ctr-ipam"))
        ctrd.command_prefix = make_ctr_namespace(a.work, conflist)
        ctrd.start()
        ctrd.run(ctrd.load_command(a.image))
        # ctr's own output shows no address; the exit code proves the container ran, and
        # the veth it left on the bench's bridge while it ran is checked below.
        run_rm(ctrd, "cni", f"bench-{pid}-warmup", ["sh", "-c", "exit 3"], 3)
        for engine in engines:
            run_rm(engine, "none", f"bench-{pid}-warmup-none", ["sh", "-c", "exit 3"], 3)
        before = histogram(metrics_url)
        load_before = os.getloadavg()
        for i in range(a.runs):
            order = engines if i % 2 == 0 else engines[::-1]
            for e in order:
                for variant in variants[e.name]:
                    ns, _ = run_rm(e, variant, f"bench-{pid}-{i}-{variant}", ["/bin/true"])
                    timed[e.name][variant].append({"round": i, "ns": ns})
            if sys.stderr.isatty():
                print(f"\rround {i + 1}/{a.runs}", end="", file=sys.stderr, flush=True)
        if sys.stderr.isatty():
            print(file=sys.stderr)
        load_after = os.getloadavg()
        after = histogram(metrics_url)
        # Nothing of a removed container stays on either bridge.
        left = {b: subprocess.run(["ip", "-o", "link", "show", "master", b], capture_output=True,
                                  text=True).stdout.count("\n")
                for b in (n["berth_bridge"], n["ctr_bridge"])}
    finally:
        for engine in engines:
            if engine.proc is not None:
                remove_leftovers(engine)
                engine.stop()

    summary = {e: {v: time_stats([s["ns"] / 1e6 for s in samples])
                   for v, samples in vs.items()} for e, vs in timed.items()}
    b, c = summary["berth"], summary["containerd"]
    berth_cost = b["bridge"]["median_ms"] - b["none"]["median_ms"]
    ctr_cost = c["cni"]["median_ms"] - c["none"]["median_ms"]
    service = {}
    for key in sorted(after):
        total = after[key][0] - before.get(key, [0, 0])[0]
        count = after[key][1] - before.get(key, [0, 0])[1]
        if count:
            service[key] = {"count": int(count), "mean_ms": round(total / count * 1000, 3)}
    ratios = {
        "run_rm_bridge_median_time": round(b["bridge"]["median_ms"] / c["cni"]["median_ms"], 3),
        "run_rm_none_median_time": round(b["none"]["median_ms"] / c["none"]["median_ms"], 3),
        "network_cost": round(berth_cost / ctr_cost, 3) if ctr_cost > 0 else None,
    }
    print_table(summary, berth_cost, ctr_cost, service, ratios, left)

    result = {
        "schema": 1,
        "benchmark": "network per container: run --rm with and without a network",
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "host": host_facts() | {"loadavg_before": load_before, "loadavg_after": load_after},
        "versions": {
            "berth": a.berth_version,
            "containerd": first_line(["containerd", "--version"]),
            "runc": first_line(["runc", "--version"]),
            "cni plugins": first_line(["sh", "-c", "dpkg-query -W containernetworking-plugins"]),
        },
        "method": {
            "rounds": a.runs,
            "order": "per round, berth first in even rounds and containerd first in odd "
                     "ones; each engine runs run --rm /bin/true without a network, then "
                     "with one",
            "network_cost": "median with a network minus median without, per engine",
            "service_times": f"{HISTOGRAM} sum/count over the measured rounds (berthd's "
                             "network service, from Attach/Detach entry to return)",
            "clock": "time.perf_counter_ns from posix_spawn of the client to waitpid",
            "ctr": "run in a mount namespace where overlays give /etc/cni/net.d and "
                   "/opt/cni/bin; every ctr command, with or without --cni, goes through "
                   "the same nsenter",
            "commands": {
                "berth none": berth.run_rm_command("ID", ["/bin/true"], network="none"),
                "berth bridge": berth.run_rm_command("ID", ["/bin/true"], network="bridge"),
                "containerd none": ctrd.run_rm_command("ID", ["/bin/true"]),
                "containerd cni": ctrd.run_rm_command("ID", ["/bin/true"], cni=True),
                "berth daemon.json": open(berth.config).read(),
                "ctr conflist": conflist,
            },
        },
        "summary": summary | {"berth_network_service": service,
                              "network_cost_ms": {"berth": round(berth_cost, 3),
                                                  "containerd": round(ctr_cost, 3)},
                              "veths_left_on_bridges": left},
        "ratios": {f"berth/containerd {k}": v for k, v in ratios.items()},
        "samples": timed,
    }
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, "x") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    print(f"\nresults: {a.out}")


def print_table(summary, berth_cost, ctr_cost, service, ratios, left):
    head = f"{'run --rm /bin/true':<28}{'engine':<12}{'runs':>5}{'median ms':>11}{'p90 ms':>10}" \
           f"{'min ms':>10}"
    print(head)
    print("-" * len(head))
    for engine, variants in summary.items():
        for variant, t in variants.items():
            print(f"{'network ' + variant:<28}{engine:<12}{t['runs']:>5}{t['median_ms']:>11.1f}"
                  f"{t['p90_ms']:>10.1f}{t['min_ms']:>10.1f}")
    print()
    print(f"network cost per container (median with - without): berth {berth_cost:.1f} ms, "
          f"containerd {ctr_cost:.1f} ms")
    for key, s in service.items():
        print(f"berth network service, {key}: mean {s['mean_ms']} ms over {s['count']}")
    print(f"veths left on the bench's bridges: {left}")
    for k, v in ratios.items():
        print(f"berth/containerd {k}: {v}x")


def cleanup(a):
    """container_bench's cleanup, then the bench's bridges and berth's rules for its own."""
    rc = container_bench.cleanup(a)
    n = names(a.prefix)
    for bridge in (n["berth_bridge"], n["ctr_bridge"]):
        subprocess.run(["ip", "link", "delete", bridge, "type", "bridge"], capture_output=True)
    chain = "BERTH-" + n["berth_bridge"]
    for args in (["-D", "BERTH-FORWARD", "-j", chain],
                 ["-D", "BERTH-ISOLATION", "-o", n["berth_bridge"], "-j", "DROP"],
                 ["-F", chain], ["-X", chain]):
        subprocess.run(["iptables", "-w", "5"] + args, capture_output=True)
    nat = subprocess.run(["iptables", "-w", "5", "-t", "nat", "-S", "BERTH-POSTROUTING"],
                         capture_output=True, text=True).stdout
    for line in nat.splitlines():  # "-A BERTH-POSTROUTING -s <subnet> ! -o <bridge> …"
        if f" -o {n['berth_bridge']} " in line:
            subprocess.run(["iptables", "-w", "5", "-t", "nat", "-D"] + line.split()[1:],
                           capture_output=True)
    # `ctr run --rm --cni` does not run the conflist's DEL: the bridge plugin's masquerade
    # rule and chain stay in nat POSTROUTING for every container it ran. Their comment
    # names the container, "<namespace>-<id>", and the namespace is this bench's prefix.
    nat = subprocess.run(["iptables", "-w", "5", "-t", "nat", "-S", "POSTROUTING"],
                         capture_output=True, text=True).stdout
    for line in nat.splitlines():
        if f'id: \\"{a.prefix}-' not in line:
            continue
        rule = shlex.split(line)[1:]  # iptables -S quotes the comment as a shell would
        subprocess.run(["iptables", "-w", "5", "-t", "nat", "-D"] + rule, capture_output=True)
        chain = rule[-1]
        if chain.startswith("CNI-"):
            for flag in ("-F", "-X"):
                subprocess.run(["iptables", "-w", "5", "-t", "nat", flag, chain],
                               capture_output=True)
    return rc


def main():
    return container_bench.main(__doc__, measure, cleanup, "network_bench")

if __name__ == "__main__":
    sys.exit(main())
