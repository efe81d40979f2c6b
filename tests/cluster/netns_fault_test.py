#!/usr/bin/env python3
"""Four validators in four Linux network namespaces, linked by one bridge in a fifth namespace,
over real (virtual) links with delay and loss (tc netem: 30 ms +- 10 ms, 2 % loss, on both ends of
every link). Under steady load from `metanode bench`, the link of one validator (the current
leader, never node 0) is cut (`ip link set ... down`) for 10 s and then restored: the other three
must keep committing meanwhile, and the cut-off validator must catch up afterwards. The end checks
are those of cluster_crash_test.py: the same block at every height on every node, no transaction
twice, every transfer the bench saw committed on every node at its height, `metanode verify` on
every stopped node.

Layout (namespace names carry this process's pid, so runs never collide):
    mnft<pid>-br   bridge br0 10.77.0.100/24 (the test's HTTP checks and the bench run here)
                   veth0..veth3 enslaved to br0, each paired with eth0 of one node namespace
    mnft<pid>-n<i> eth0 10.77.0.<i+1>/24; validator i's API and XTMP listen there

The test re-runs itself inside the bridge namespace (`--inner`) for the part that talks to the
nodes; the outer process only builds and tears down the namespaces, and kills whatever is left in
them. Needs root and iproute2 (`ip`, `tc`); without them, or where namespaces cannot be created
(a container without CAP_NET_ADMIN), it prints SKIP and exits 77. A kernel without sch_netem
(some minimal VM kernels) runs the test without delay and loss, and says so.

Usage: netns_fault_test.py --binary build/bin/metanode [--engine ibft|hotstuff] [--port-base 31800]
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cluster as c  # noqa: E402

SKIP = 77
VALIDATORS = 4
SUBNET = "10.77.0"
CHECKER_ADDRESS = f"{SUBNET}.100"
NS_PREFIX = "mnft"
NETEM = ["netem", "delay", "30ms", "10ms", "loss", "2%"]
LOAD_RATE_TPS = 300
LOAD_SECONDS = 40          # the cut (10 s) and the catch-up fit well inside
BENCH_COMMIT_TIMEOUT_S = 30
CUT_S = 10.0
SETTLE_S = 3.0
GROWTH_BLOCKS_MIN = 2
GROWTH_TIMEOUT_S = 60.0    # catches a hang, not slowness
LEADER_SEARCH_S = 20.0
INNER_TIMEOUT_S = 420
IP_TIMEOUT_S = 20


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--binary", required=True)
    p.add_argument("--engine", choices=["ibft", "hotstuff"], default="ibft")
    p.add_argument("--port-base", type=int, default=31800)
    p.add_argument("--keep", action="store_true", help="keep the run directory even on success")
    # Internal: the part that runs inside the bridge namespace.
    p.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--root", help=argparse.SUPPRESS)
    p.add_argument("--prefix", help=argparse.SUPPRESS)
    p.add_argument("--netem", type=int, default=0, help=argparse.SUPPRESS)
    return p.parse_args()


def ns_names(prefix):
    return f"{prefix}-br", [f"{prefix}-n{i}" for i in range(VALIDATORS)]


def ip(*args, check=True):
    return c.run(["ip", *args], IP_TIMEOUT_S, check=check)


def in_ns(ns, *args, check=True):
    return c.run(["ip", "netns", "exec", ns, *args], IP_TIMEOUT_S, check=check)


# --- outer: namespaces ---------------------------------------------------------------------

def skip(why):
    print(f"SKIP: netns_fault_test: {why}", flush=True)
    return SKIP


def remove_stale_namespaces():
    """Namespaces of earlier runs of this test whose process is gone (a run killed outright)."""
    listed = ip("netns", "list", check=False).stdout
    for line in listed.splitlines():
        name = line.split()[0] if line.split() else ""
        m = re.fullmatch(rf"{NS_PREFIX}(\d+)-(br|n\d+)", name)
        if not m:
            continue
        pid = int(m.group(1))
        try:
            os.kill(pid, 0)
            continue  # that run is still going
        except ProcessLookupError:
            pass
        except PermissionError:
            continue
        c.log(f"netns: removing {name}, left by an earlier run (pid {pid} is gone)")
        kill_namespace_processes(name)
        ip("netns", "delete", name, check=False)


def kill_namespace_processes(ns):
    pids = ip("netns", "pids", ns, check=False).stdout.split()
    for pid in pids:
        try:
            os.kill(int(pid), 9)
            c.log(f"netns: killed pid {pid} left in {ns}")
        except (ProcessLookupError, ValueError):
            pass


def create_network(prefix):
    """Builds the bridge namespace and one namespace per validator. Returns whether netem is on."""
    br, nodes = ns_names(prefix)
    ip("netns", "add", br)
    ip("-n", br, "link", "set", "lo", "up")
    ip("-n", br, "link", "add", "br0", "type", "bridge")
    ip("-n", br, "addr", "add", f"{CHECKER_ADDRESS}/24", "dev", "br0")
    ip("-n", br, "link", "set", "br0", "up")
    for i, ns in enumerate(nodes):
        ip("netns", "add", ns)
        ip("-n", ns, "link", "set", "lo", "up")
        ip("-n", br, "link", "add", f"veth{i}", "type", "veth", "peer", "name", "eth0", "netns", ns)
        ip("-n", br, "link", "set", f"veth{i}", "master", "br0")
        ip("-n", br, "link", "set", f"veth{i}", "up")
        ip("-n", ns, "addr", "add", f"{SUBNET}.{i + 1}/24", "dev", "eth0")
        ip("-n", ns, "link", "set", "eth0", "up")
    # Every node reaches every other and the checker (when ping is there to ask; the nodes'
    # linking up checks it anyway).
    for i, ns in enumerate(nodes if shutil.which("ping") else []):
        for target in [CHECKER_ADDRESS] + [f"{SUBNET}.{j + 1}" for j in range(VALIDATORS) if j != i]:
            if in_ns(ns, "ping", "-c", "1", "-W", "2", target, check=False).returncode != 0:
                raise c.TestFailure(f"{ns} cannot reach {target} over the bridge")
    probe = in_ns(br, "tc", "qdisc", "add", "dev", "veth0", "root", *NETEM, check=False)
    if probe.returncode != 0:
        c.log(f"NOTE: tc netem is not available here ({probe.stderr.strip()}): the links run WITHOUT delay and loss; "
              "the link cut still runs")
        return False
    in_ns(br, "tc", "qdisc", "del", "dev", "veth0", "root")
    return True


def set_netem(prefix, on):
    br, nodes = ns_names(prefix)
    verb = "add" if on else "del"
    tail = NETEM if on else []
    for i, ns in enumerate(nodes):
        in_ns(br, "tc", "qdisc", verb, "dev", f"veth{i}", "root", *tail)
        in_ns(ns, "tc", "qdisc", verb, "dev", "eth0", "root", *tail)


def destroy_network(prefix):
    br, nodes = ns_names(prefix)
    for ns in nodes + [br]:
        kill_namespace_processes(ns)
    for ns in nodes + [br]:
        ip("netns", "delete", ns, check=False)
    left = [line for line in ip("netns", "list", check=False).stdout.splitlines() if line.startswith(prefix + "-")]
    if left:
        c.log(f"netns: could not delete {left}")


def rewrite_configs(root, port_base):
    """Each node listens (API and XTMP) on its own address; peers are the others' addresses."""
    for i in range(VALIDATORS):
        path = os.path.join(root, f"node{i}", "config.toml")
        with open(path) as f:
            text = f.read()
        text, listens = re.subn(r'^listen = "127\.0\.0\.1"$', f'listen = "{SUBNET}.{i + 1}"', text, flags=re.M)

        def peer(m):
            port = int(m.group(2))
            j = (port - 4 - port_base) // 100
            assert 0 <= j < VALIDATORS and port == port_base + 100 * j + 4, m.group(0)
            return f'"{m.group(1)}@{SUBNET}.{j + 1}:{port}"'

        text, peers = re.subn(r'"([0-9a-f]{64})@127\.0\.0\.1:(\d+)"', peer, text)
        if listens != 2 or peers != VALIDATORS:
            raise c.TestFailure(f"{path}: expected 2 listen lines and {VALIDATORS} peers, found {listens} and {peers}; "
                                "has the config format changed (src/node/config.cpp to_toml)?")
        with open(path, "w") as f:
            f.write(text)


def outer(args):
    if os.geteuid() != 0:
        return skip("needs root (network namespaces, veth, bridge, tc)")
    for tool in ("ip", "tc"):
        if not shutil.which(tool):
            return skip(f"`{tool}` not found: install iproute2")
    c.install_cleanup()
    prefix = f"{NS_PREFIX}{os.getpid()}"
    root = tempfile.mkdtemp(prefix="metanode-netns-")
    code = 1
    try:
        remove_stale_namespaces()
        try:
            netem = create_network(prefix)
        except (c.TestFailure, subprocess.TimeoutExpired) as e:
            why = str(e).strip().splitlines()
            code = skip(f"cannot build the namespaces: {why[-1] if why else type(e).__name__}")
            return code
        c.log(f"netns: {VALIDATORS} validator namespaces {prefix}-n0..{VALIDATORS - 1} on bridge {prefix}-br "
              f"({SUBNET}.1-{VALIDATORS}/24, checker {CHECKER_ADDRESS}), netem {'on' if netem else 'UNAVAILABLE'}")
        c.run([args.binary, "up", "--validators", str(VALIDATORS), "--consensus", args.engine, "--dir", root,
               "--port-base", str(args.port_base), "--init-only"], timeout_s=120)
        rewrite_configs(root, args.port_base)
        br, _ = ns_names(prefix)
        inner_args = ["ip", "netns", "exec", br, sys.executable, os.path.abspath(__file__), "--inner", "--binary",
                      os.path.abspath(args.binary), "--engine", args.engine, "--port-base", str(args.port_base),
                      "--root", root, "--prefix", prefix, "--netem", "1" if netem else "0"]
        proc = c.spawn(inner_args)
        try:
            code = proc.wait(timeout=INNER_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            c.log(f"FAIL: the test did not finish within {INNER_TIMEOUT_S} s")
            code = 1
    except c.TestFailure as e:
        c.log(f"FAIL: {e}")
        code = 1
    finally:
        c.kill_all()
        destroy_network(prefix)
        if code in (0, SKIP) and not args.keep:
            shutil.rmtree(root, ignore_errors=True)
        else:
            c.log(f"run directory kept: {root} (node logs: {root}/node*/node.log, bench: {root}/bench.log, "
                  f"metrics: {root}/monitor.log)")
    return code


# --- inner: the nodes, the load, the fault, the audit --------------------------------------

def wait_peers(cluster, timeout_s=60.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        ms = [cluster.metrics(i) for i in range(VALIDATORS)]
        if all(m and m.get("peers_connected", 0) >= VALIDATORS - 1 for m in ms):
            return
        time.sleep(0.3)
    raise c.TestFailure(f"validators not all linked within {timeout_s} s\n" + cluster.log_tails())


def pick_leader(cluster, candidates):
    deadline = time.monotonic() + LEADER_SEARCH_S
    while time.monotonic() < deadline:
        leader = cluster.leader(observer=0)
        if leader in candidates:
            return leader
        time.sleep(0.01)
    raise c.TestFailure(f"no candidate {candidates} led within {LEADER_SEARCH_S} s")


def inner(args):
    c.install_cleanup()
    br, nodes = ns_names(args.prefix)
    root = args.root
    ok = False
    try:
        cluster = c.Cluster(args.binary, root, VALIDATORS, hosts=[f"{SUBNET}.{i + 1}" for i in range(VALIDATORS)],
                            exec_prefixes=[["ip", "netns", "exec", ns] for ns in nodes], engine=args.engine)
        cluster.start_all()
        wait_peers(cluster)
        c.log(f"cluster: {VALIDATORS} validators up and linked across namespaces, heights {cluster.heights()}")
        if args.netem:
            set_netem(args.prefix, True)
            c.log(f"netem: {' '.join(NETEM)} on both ends of every link")
        monitor = c.Monitor(cluster, os.path.join(root, "monitor.log"))

        bench = c.Bench(args.binary, os.path.join(root, "node0"), [n.url for n in cluster.nodes], cluster.nodes[0].url,
                        txs=LOAD_RATE_TPS * LOAD_SECONDS, rate=LOAD_RATE_TPS,
                        report_path=os.path.join(root, "bench-report.json"), log_path=os.path.join(root, "bench.log"),
                        timeout_s=BENCH_COMMIT_TIMEOUT_S)
        bench.wait_submitting()
        time.sleep(SETTLE_S)

        # Cut the current leader's link (node 0 carries the bench's commit stream).
        victim = pick_leader(cluster, list(range(1, VALIDATORS)))
        others = [i for i in range(VALIDATORS) if i != victim]
        h0 = cluster.max_height(others)
        in_ns(br, "ip", "link", "set", f"veth{victim}", "down")
        cut_at = time.monotonic()
        c.log(f"fault: link of node {victim} (the leader) cut at height {h0}")
        time.sleep(CUT_S)
        while True:
            h1 = cluster.max_height(others)
            if h1 is not None and h1 >= h0 + GROWTH_BLOCKS_MIN:
                break
            if time.monotonic() - cut_at > CUT_S + GROWTH_TIMEOUT_S:
                raise c.TestFailure(f"chain stalled while node {victim}'s link was down: heights "
                                    f"{ {i: cluster.height(i) for i in others} } (was {h0})\n" + cluster.log_tails())
            time.sleep(0.2)
        cut_s = time.monotonic() - cut_at
        victim_height = None
        in_ns(br, "ip", "link", "set", f"veth{victim}", "up")
        target = cluster.max_height(others)
        c.log(f"fault: link of node {victim} restored after {cut_s:.1f} s; the others went {h0} -> {h1} meanwhile")
        catch_up_s = cluster.wait_caught_up(victim, target)
        victim_height = cluster.height(victim)
        c.log(f"fault: node {victim} reached {target} in {catch_up_s:.1f} s after the link came back (at {victim_height})")
        if not bench.running():
            raise c.TestFailure("the load ended before the fault did: raise LOAD_SECONDS")

        report = bench.finish(timeout_s=LOAD_SECONDS + BENCH_COMMIT_TIMEOUT_S + 60)
        if args.netem:
            # The audit reads every transfer from every node: without the delay it takes seconds, not minutes.
            set_netem(args.prefix, False)
            c.log("netem: removed for the audit")
        uncommitted = c.check_uncommitted(cluster, report)
        idle_rate = c.check_idle_rate(cluster)
        summary = c.audit(cluster, report)
        heights = cluster.heights()
        monitor.stop()
        cluster.terminate_all()
        c.verify_offline(cluster)
        summary.update({"engine": args.engine, "netem": bool(args.netem), "uncommitted": uncommitted,
                        "idle_blocks_per_s": round(idle_rate, 1), "final_heights": heights,
                        "fault": {"cut_node": victim, "cut_s": round(cut_s, 1), "height_before": h0,
                                  "height_while_cut": h1, "catch_up_to": target, "catch_up_s": round(catch_up_s, 1)},
                        "bench_committed_tps": round(report.get("committed_tps", 0), 1)})
        print("SUMMARY " + json.dumps(summary), flush=True)
        c.log(f"PASS: netns fault test, height {summary['height']}, {summary['reported_committed']} transfers audited")
        ok = True
    except c.TestFailure as e:
        c.log(f"FAIL: {e}")
    finally:
        c.kill_all()
    return 0 if ok else 1


def main():
    args = parse_args()
    return inner(args) if args.inner else outer(args)


if __name__ == "__main__":
    sys.exit(main())
