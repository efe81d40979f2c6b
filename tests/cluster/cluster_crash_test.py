#!/usr/bin/env python3
"""Four validators as four real `metanode node` processes on loopback, under steady load from
`metanode bench` (spread over every node), while one validator at a time (at most f = 1) is
SIGKILLed and restarted (three times, at least once the current leader), then SIGSTOPped for
longer than the round timeout and resumed, then reset (data moved aside) and resynced, and last
SIGKILLed and left down for 15 s (the failover case: the others must commit in every 3-second
slice and agree). While a validator is down the others must keep committing; a restarted or
resumed validator must catch up. At the end every node must hold the
same block at every height, no transaction may be in the chain twice, every transfer the bench saw
committed must be on every node at the height it reported, and `metanode verify` must accept each
stopped node's chain.

Node 0 is never faulted: the bench follows commits on its event stream (a crash of the followed
node would end the bench without a report).

Usage: cluster_crash_test.py --binary build/bin/metanode --engine ibft|hotstuff [--port-base 31000]
Exit 0 on success, 1 on failure (the run's directory, with every node's log, is kept and named).
"""

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cluster as c  # noqa: E402

VALIDATORS = 4
FAULTY_MAX = (VALIDATORS - 1) // 3
LOAD_RATE_TPS = 300
# Submission time; the faults below must fit inside it, the last one (a validator down for good,
# FOR_GOOD_S) included. IBFT gets through them in ~55 s. HotStuff stalls about two view timers at
# each fault (the view before a dead leader's and its own; the pair's second view is skipped and
# the timer only grows from the third failed view in a row, see the pacemaker), then leader
# reputation drops the dead validator from the rotation.
LOAD_SECONDS = {"ibft": 80, "hotstuff": 85}
BENCH_COMMIT_TIMEOUT_S = 20
DOWN_S = 5.0               # a killed validator stays down at least this long
STOP_S = 6.0               # SIGSTOP: three times the default round_timeout_ms (2000)
GROWTH_BLOCKS_MIN = 2      # blocks the others must commit while one validator is down
GROWTH_TIMEOUT_S = 60.0    # catches a hang, not slowness: HotStuff has needed ~30 s here (see the pacemaker)
LEADER_SEARCH_S = 20.0
SETTLE_S = 2.0             # all four up between two faults
KILLS = 3
FOR_GOOD_S = 20.0          # the last fault: one validator down this long (progress checked in slices)
FOR_GOOD_CHECKS = 4        # each 5 s slice after the first (the failover itself) must see new blocks


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--binary", required=True)
    p.add_argument("--engine", choices=["ibft", "hotstuff"], required=True)
    p.add_argument("--port-base", type=int, default=31000)
    p.add_argument("--seed", type=int, default=None, help="replays the choice of victims")
    p.add_argument("--keep", action="store_true", help="keep the run directory even on success")
    return p.parse_args()


def wait_peers(cluster, timeout_s=30.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        ms = [cluster.metrics(i) for i in range(VALIDATORS)]
        if all(m and m.get("peers_connected", 0) >= VALIDATORS - 1 for m in ms):
            return
        time.sleep(0.2)
    raise c.TestFailure(f"validators not all linked within {timeout_s} s\n" + cluster.log_tails())


def timeouts_seen(cluster, observer):
    m = cluster.metrics(observer)
    return int(m.get("consensus_rounds_timed_out_total", 0)) if m else 0


def wait_growth(cluster, victim, h0, what):
    """While `victim` is down, the others must commit GROWTH_BLOCKS_MIN blocks past h0."""
    others = cluster.live(exclude=[victim])
    started = time.monotonic()
    while time.monotonic() - started < GROWTH_TIMEOUT_S:
        h = cluster.max_height(others)
        if h is not None and h >= h0 + GROWTH_BLOCKS_MIN:
            return h
        time.sleep(0.1)
    raise c.TestFailure(f"chain stalled while node {victim} was {what}: heights {cluster.heights()} "
                        f"(was {h0}) after {GROWTH_TIMEOUT_S} s\n" + cluster.log_tails())


def require_load(bench, what):
    if not bench.running():
        raise c.TestFailure(f"the load ended before {what}: raise LOAD_SECONDS\n{c.tail(bench.log_path)}")


def pick_leader(cluster, candidates):
    """Waits (bounded) until the current leader is one of `candidates`; returns it at once."""
    deadline = time.monotonic() + LEADER_SEARCH_S
    while time.monotonic() < deadline:
        leader = cluster.leader(observer=0)
        if leader in candidates:
            return leader
        time.sleep(0.01)
    raise c.TestFailure(f"no candidate {candidates} led within {LEADER_SEARCH_S} s")


def kill_fault(cluster, bench, victim_choice, rng, record):
    candidates = [i for i in range(1, VALIDATORS)]
    require_load(bench, "a kill")
    if victim_choice == "leader":
        victim = pick_leader(cluster, candidates)
    else:
        victim = rng.choice(candidates)
    others = cluster.live(exclude=[victim])
    m = cluster.metrics(0)
    h0 = cluster.max_height(others)
    timeouts0 = timeouts_seen(cluster, 0)
    cluster.sigkill(victim)
    killed_at = time.monotonic()
    round_name = "round" if cluster.engine == "ibft" else "view"
    at_round = int(m["consensus_round"]) if m else None
    c.log(f"fault: SIGKILL node {victim} ({victim_choice}) at height {h0}, {round_name} {at_round} (node 0's view)")
    time.sleep(DOWN_S)
    h1 = wait_growth(cluster, victim, h0, "killed")
    down_s = time.monotonic() - killed_at
    timeouts = timeouts_seen(cluster, 0) - timeouts0
    require_load(bench, f"node {victim} restarted")
    cluster.start(victim)
    cluster.wait_healthy(victim)
    target = cluster.max_height(others)
    catch_up_s = cluster.wait_caught_up(victim, target)
    entry = {"fault": "SIGKILL", "node": victim, "role": victim_choice, round_name: at_round, "down_s": round(down_s, 1),
             "height_before": h0, "height_while_down": h1, "round_timeouts_while_down": timeouts,
             "catch_up_to": target, "catch_up_s": round(catch_up_s, 1)}
    record.append(entry)
    c.log(f"fault: node {victim} down {down_s:.1f} s, chain {h0} -> {h1} meanwhile ({timeouts} round/view "
          f"timeouts seen by node 0); restarted, reached {target} in {catch_up_s:.1f} s")


def take_down(cluster, bench, rng, what, signal, how_long):
    """Under load, sends `signal` (cluster.sigstop or cluster.sigkill) to a random non-zero node.
    Returns the victim, the others, their height just before and the time it was sent."""
    require_load(bench, f"the {what}")
    victim = rng.choice(range(1, VALIDATORS))
    others = cluster.live(exclude=[victim])
    h0 = cluster.max_height(others)
    signal(victim)
    at = time.monotonic()
    c.log(f"fault: {'SIGSTOP' if signal == cluster.sigstop else 'SIGKILL'} node {victim} at height {h0}, {how_long}")
    return victim, others, h0, at


def stop_fault(cluster, bench, rng, record):
    victim, others, h0, stopped_at = take_down(cluster, bench, rng, "SIGSTOP", cluster.sigstop, f"for {STOP_S} s")
    time.sleep(STOP_S)
    h1 = wait_growth(cluster, victim, h0, "stopped")
    stopped_s = time.monotonic() - stopped_at
    cluster.sigcont(victim)
    target = cluster.max_height(others)
    catch_up_s = cluster.wait_caught_up(victim, target)
    record.append({"fault": "SIGSTOP", "node": victim, "stopped_s": round(stopped_s, 1), "height_before": h0,
                   "height_while_stopped": h1, "catch_up_to": target, "catch_up_s": round(catch_up_s, 1)})
    c.log(f"fault: node {victim} stopped {stopped_s:.1f} s, chain {h0} -> {h1} meanwhile; SIGCONT, reached "
          f"{target} in {catch_up_s:.1f} s")


def resync_fault(cluster, bench, rng, record):
    """A validator loses its data (as after exit code 3): SIGKILL, `metanode reset`, start it again
    empty. It must rebuild its chain from its peers by block sync, under load, and keep up."""
    require_load(bench, "the reset")
    victim = rng.choice(range(1, VALIDATORS))
    others = cluster.live(exclude=[victim])
    cluster.sigkill(victim)
    c.run([cluster.binary, "reset", "--config", cluster.nodes[victim].config], timeout_s=30)
    reset_at = time.monotonic()
    cluster.start(victim)
    cluster.wait_healthy(victim)
    target = cluster.max_height(others)
    catch_up_s = cluster.wait_caught_up(victim, target)
    record.append({"fault": "reset", "node": victim, "catch_up_to": target,
                   "catch_up_s": round(time.monotonic() - reset_at, 1)})
    c.log(f"fault: node {victim} reset (data moved aside) and restarted empty; synced to {target} in {catch_up_s:.1f} s")


def kill_for_good_fault(cluster, bench, rng, record):
    """A validator SIGKILLed and left down for FOR_GOOD_S under load (the engines' failover: leader
    reputation drops it from the rotation). The others must keep committing, steadily, and agree
    block for block. It is started again afterwards only so the final audit covers four chains."""
    victim, others, h0, killed_at = take_down(cluster, bench, rng, "kill for good", cluster.sigkill,
                                              f"left down for {FOR_GOOD_S} s")
    last_h, samples = h0, []
    while time.monotonic() - killed_at < FOR_GOOD_S:
        time.sleep(FOR_GOOD_S / FOR_GOOD_CHECKS)
        h = cluster.max_height(others)
        samples.append(h)
        if h is None or (h <= last_h and len(samples) > 1):
            raise c.TestFailure(f"no progress in {FOR_GOOD_S / FOR_GOOD_CHECKS:.1f} s with node {victim} down for good: "
                                f"heights {samples}\n" + cluster.log_tails())
        last_h = h
    # Agreement among the live ones, at the highest height they all hold.
    common = min(cluster.height(i) for i in others)
    hashes = set()
    for i in others:
        status, block = cluster.http(i).get_json(f"/v1/blocks/{common}")
        if status != 200:
            raise c.TestFailure(f"node {i} has no block {common}: status {status}")
        hashes.add(block["hash"])
    if len(hashes) != 1:
        raise c.TestFailure(f"the live validators disagree at height {common}: {hashes}")
    record.append({"fault": "SIGKILL for good", "node": victim, "down_s": round(time.monotonic() - killed_at, 1),
                   "height_before": h0, "heights_while_down": samples, "agreed_at": common})
    c.log(f"fault: node {victim} down for good {FOR_GOOD_S} s: chain {h0} -> {last_h} ({samples}), progress in every "
          f"{FOR_GOOD_S / FOR_GOOD_CHECKS:.1f} s slice after the first, live validators agree at {common}; "
          f"restarting it for the audit")
    cluster.start(victim)
    cluster.wait_healthy(victim)
    cluster.wait_caught_up(victim, cluster.max_height(others))


def main():
    args = parse_args()
    c.install_cleanup()
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    root = tempfile.mkdtemp(prefix=f"metanode-cluster-{args.engine}-")
    started = time.monotonic()
    ok = False
    record = []
    try:
        c.log(f"cluster crash test: engine {args.engine}, {VALIDATORS} validators (f = {FAULTY_MAX}), "
              f"port base {args.port_base}, seed {seed}, dir {root}")
        c.run([args.binary, "up", "--validators", str(VALIDATORS), "--consensus", args.engine, "--dir", root,
               "--port-base", str(args.port_base), "--init-only"], timeout_s=120)
        cluster = c.Cluster(args.binary, root, VALIDATORS, engine=args.engine)
        cluster.start_all()
        wait_peers(cluster)
        c.log(f"cluster: {VALIDATORS} validators up and linked, heights {cluster.heights()}")
        monitor = c.Monitor(cluster, os.path.join(root, "monitor.log"))

        bench = c.Bench(args.binary, os.path.join(root, "node0"), [n.url for n in cluster.nodes], cluster.nodes[0].url,
                        txs=LOAD_RATE_TPS * LOAD_SECONDS[args.engine], rate=LOAD_RATE_TPS,
                        report_path=os.path.join(root, "bench-report.json"), log_path=os.path.join(root, "bench.log"),
                        timeout_s=BENCH_COMMIT_TIMEOUT_S)
        bench.wait_submitting()
        time.sleep(SETTLE_S)

        # One leader kill first, then a random validator, then the leader again: at most one down.
        for choice in ["leader", "random", "leader"][:KILLS]:
            kill_fault(cluster, bench, choice, rng, record)
            time.sleep(SETTLE_S)
        stop_fault(cluster, bench, rng, record)
        time.sleep(SETTLE_S)
        resync_fault(cluster, bench, rng, record)
        time.sleep(SETTLE_S)
        kill_for_good_fault(cluster, bench, rng, record)
        faults_done = time.monotonic()
        require_load(bench, "the faults ended")

        report = bench.finish(timeout_s=LOAD_SECONDS[args.engine] + BENCH_COMMIT_TIMEOUT_S + 60)
        c.log(f"load: ended {time.monotonic() - faults_done:.1f} s after the last fault")
        uncommitted = c.check_uncommitted(cluster, report)
        idle_rate = c.check_idle_rate(cluster)
        summary = c.audit(cluster, report)
        heights = cluster.heights()
        monitor.stop()
        cluster.terminate_all()
        c.verify_offline(cluster)
        summary.update({"engine": args.engine, "seed": seed, "uncommitted": uncommitted,
                        "idle_blocks_per_s": round(idle_rate, 1), "final_heights": heights, "faults": record,
                        "bench_committed_tps": round(report.get("committed_tps", 0), 1),
                        "wall_s": round(time.monotonic() - started, 1)})
        print("SUMMARY " + json.dumps(summary), flush=True)
        c.log(f"PASS: {args.engine}, height {summary['height']}, {len(record)} faults, "
              f"{summary['reported_committed']} transfers audited, {summary['wall_s']} s")
        ok = True
    except c.TestFailure as e:
        c.log(f"FAIL: {e}")
        c.log(f"faults so far: {json.dumps(record)}")
    finally:
        c.kill_all()
        if ok and not args.keep:
            shutil.rmtree(root, ignore_errors=True)
        else:
            c.log(f"run directory kept: {root} (node logs: {root}/node*/node.log, bench: {root}/bench.log, metrics: {root}/monitor.log)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
