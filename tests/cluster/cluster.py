"""Shared pieces of the real-process cluster tests: starting and signalling `metanode node`
processes, reading their HTTP API, the background load (`metanode bench`), and the end-of-run
audit (same block hashes everywhere, every reported commit present exactly once, `metanode
verify` on every node).

Every process a test starts goes through `spawn`, which registers it; `kill_all` (called from the
tests' `finally` and from `atexit`) ends every one of them. The children also get
PR_SET_PDEATHSIG, so a test killed by ctest's timeout takes its nodes with it.

Every wait in this file is bounded; a bound that runs out fails the test with the node logs.
Python stdlib only.
"""

import atexit
import ctypes
import http.client
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time

# Limits: every wait below is bounded by one of these.
HTTP_TIMEOUT_S = 5.0
START_TIMEOUT_S = 30.0     # process start until /health answers
REAP_TIMEOUT_S = 10.0      # a signalled process is gone
TERM_TIMEOUT_S = 20.0      # SIGTERM until exit
CATCH_UP_TIMEOUT_S = 60.0  # a restarted or resumed node reaches the others' height
CONVERGE_TIMEOUT_S = 90.0  # every node at one height, and it stays there
VERIFY_TIMEOUT_S = 120.0   # `metanode verify` of one node
LOG_TAIL_BYTES = 4000

_PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)
_children = []  # every Popen this process started, for kill_all
_t0 = time.monotonic()


def log(message):
    print(f"[{time.monotonic() - _t0:7.1f}s] {message}", flush=True)


class TestFailure(Exception):
    pass


def _die_with_parent():
    # Runs in the child between fork and exec. The spawning thread must outlive the child (the
    # death signal follows the thread), so only the main thread spawns.
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() == 1:
        os._exit(126)


def spawn(args, log_path=None, **kwargs):
    """Starts args with stdout+stderr appended to log_path (or inherited), registered for kill_all."""
    assert threading.current_thread() is threading.main_thread(), "spawn only from the main thread"
    out = open(log_path, "ab") if log_path else None
    try:
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT if out else None,
                                preexec_fn=_die_with_parent, **kwargs)
    finally:
        if out:
            out.close()
    _children.append(proc)
    return proc


def kill_all():
    """SIGKILLs every process this test started that is still running, by its pid, and reaps it."""
    for proc in _children:
        if proc.poll() is None:
            try:
                proc.kill()  # SIGKILL also ends a SIGSTOPped process
            except ProcessLookupError:
                pass
    for proc in _children:
        try:
            proc.wait(timeout=REAP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            print(f"cluster: pid {proc.pid} did not die", file=sys.stderr)
    _children.clear()


def _on_term(signum, _frame):
    # ctest (or a person) stopping the test: unwind through the tests' finally blocks.
    raise SystemExit(f"stopped by signal {signum}")


def install_cleanup():
    atexit.register(kill_all)
    signal.signal(signal.SIGTERM, _on_term)
    signal.signal(signal.SIGINT, _on_term)
    signal.signal(signal.SIGHUP, _on_term)


def run(args, timeout_s, check=True, **kwargs):
    """Runs a short command to completion (bounded); returns CompletedProcess."""
    result = subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout_s, **kwargs)
    if check and result.returncode != 0:
        raise TestFailure(f"{' '.join(args)} exited {result.returncode}:\n{result.stdout}{result.stderr}")
    return result


def tail(path, size=LOG_TAIL_BYTES):
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - size))
            return f.read().decode("utf-8", "replace")
    except OSError as e:
        return f"({e})"


class Http:
    """One kept-alive HTTP/1.1 connection to a node's API; reconnects after an error."""

    def __init__(self, host, port, timeout_s=HTTP_TIMEOUT_S):
        self.host, self.port, self.timeout_s = host, port, timeout_s
        self.conn = None

    def request(self, method, path, body=None, headers=None):
        for attempt in range(2):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout_s)
                self.conn.request(method, path, body=body, headers=headers or {})
                reply = self.conn.getresponse()
                return reply.status, reply.read()
            except (OSError, http.client.HTTPException):
                self.close()
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")

    def get_json(self, path):
        status, body = self.request("GET", path)
        return status, json.loads(body) if body else None

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def parse_metrics(text):
    values = {}
    for line in text.splitlines():
        if not line or line.startswith("#") or "{" in line:
            continue
        parts = line.split()
        if len(parts) == 2 and parts[0].startswith("metanode_"):
            values[parts[0][len("metanode_"):]] = float(parts[1])
    return values


class Node:
    def __init__(self, index, home, host, api_port, exec_prefix=()):
        self.index = index
        self.home = home
        self.config = os.path.join(home, "config.toml")
        self.log_path = os.path.join(home, "node.log")
        self.host = host
        self.api_port = api_port
        self.exec_prefix = list(exec_prefix)  # e.g. ["ip", "netns", "exec", "ns1"]
        self.proc = None
        self.stopped = False  # SIGSTOPped

    @property
    def url(self):
        return f"http://{self.host}:{self.api_port}"

    def running(self):
        return self.proc is not None and self.proc.poll() is None


class Cluster:
    """The validators of one devnet made by `metanode up --init-only`, run as separate processes."""

    def __init__(self, binary, root, count, hosts=None, exec_prefixes=None, engine="ibft"):
        self.binary = binary
        self.root = root
        self.engine = engine
        self.nodes = []
        for i in range(count):
            home = os.path.join(root, f"node{i}")
            port_base = read_port_base(os.path.join(home, "config.toml"))
            host = hosts[i] if hosts else "127.0.0.1"
            prefix = exec_prefixes[i] if exec_prefixes else ()
            self.nodes.append(Node(i, home, host, port_base + 1, prefix))
        self._http = {}  # (thread id, node index) -> Http

    # --- processes -------------------------------------------------------------------------

    def start(self, i):
        node = self.nodes[i]
        assert not node.running(), f"node {i} already running"
        with open(node.log_path, "ab") as f:
            f.write(f"\n===== test: starting node {i} at {time.strftime('%H:%M:%S')} =====\n".encode())
        node.proc = spawn(node.exec_prefix + [self.binary, "node", "--config", node.config, "--log-level", "info"],
                          node.log_path)
        node.stopped = False

    def wait_healthy(self, i, timeout_s=START_TIMEOUT_S):
        node = self.nodes[i]
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not node.running():
                raise TestFailure(f"node {i} exited with {node.proc.returncode} while starting:\n{tail(node.log_path)}")
            try:
                status, _ = self.http(i).get_json("/health")
                if status == 200:
                    return
            except (OSError, http.client.HTTPException, ValueError):
                pass
            time.sleep(0.1)
        raise TestFailure(f"node {i} API not up within {timeout_s} s:\n{tail(node.log_path)}")

    def start_all(self):
        for i in range(len(self.nodes)):
            self.start(i)
        for i in range(len(self.nodes)):
            self.wait_healthy(i)

    def sigkill(self, i):
        node = self.nodes[i]
        node.proc.kill()
        node.proc.wait(timeout=REAP_TIMEOUT_S)
        node.stopped = False
        self.drop_http(i)

    def sigstop(self, i):
        self.nodes[i].proc.send_signal(signal.SIGSTOP)
        self.nodes[i].stopped = True

    def sigcont(self, i):
        self.nodes[i].proc.send_signal(signal.SIGCONT)
        self.nodes[i].stopped = False

    def terminate_all(self):
        """SIGTERM every running node; each must exit 0 within TERM_TIMEOUT_S."""
        for node in self.nodes:
            if node.running():
                if node.stopped:
                    self.sigcont(node.index)
                node.proc.terminate()
        bad = []
        for node in self.nodes:
            if node.proc is None:
                continue
            try:
                code = node.proc.wait(timeout=TERM_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                node.proc.kill()
                node.proc.wait(timeout=REAP_TIMEOUT_S)
                bad.append(f"node {node.index} did not exit within {TERM_TIMEOUT_S} s of SIGTERM")
                continue
            if code != 0:
                bad.append(f"node {node.index} exited {code} after SIGTERM:\n{tail(node.log_path)}")
        if bad:
            raise TestFailure("\n".join(bad))

    # --- API -------------------------------------------------------------------------------

    def http(self, i):
        key = (threading.get_ident(), i)
        if key not in self._http:
            self._http[key] = Http(self.nodes[i].host, self.nodes[i].api_port)
        return self._http[key]

    def drop_http(self, i):
        for key in [k for k in self._http if k[1] == i]:
            self._http.pop(key).close()

    def metrics(self, i):
        """The node's /metrics as a dict (names without the metanode_ prefix), or None if it does not answer."""
        if not self.nodes[i].running() or self.nodes[i].stopped:
            return None
        try:
            status, body = self.http(i).request("GET", "/metrics")
        except (OSError, http.client.HTTPException):
            return None
        return parse_metrics(body.decode()) if status == 200 else None

    def height(self, i):
        m = self.metrics(i)
        return None if m is None else int(m["block_height"])

    def live(self, exclude=()):
        return [n.index for n in self.nodes if n.running() and not n.stopped and n.index not in exclude]

    def max_height(self, among):
        heights = [h for h in (self.height(i) for i in among) if h is not None]
        return max(heights) if heights else None

    def leader(self, observer):
        """The validator that leads right now, as seen by `observer`'s /metrics.

        IBFT: the proposer of height h (= head + 1) in round r is validator (h + r) % n.
        HotStuff: the leader of view v is validator (v / 2) % n (two views per leader)."""
        m = self.metrics(observer)
        if m is None:
            return None
        n = len(self.nodes)
        if self.engine == "ibft":
            return (int(m["block_height"]) + 1 + int(m["consensus_round"])) % n
        return (int(m["consensus_round"]) // 2) % n

    def wait_caught_up(self, i, target_height, timeout_s=CATCH_UP_TIMEOUT_S):
        """Seconds until node i's head reaches target_height."""
        started = time.monotonic()
        while time.monotonic() - started < timeout_s:
            if not self.nodes[i].running():
                raise TestFailure(f"node {i} exited with {self.nodes[i].proc.returncode}:\n{tail(self.nodes[i].log_path)}")
            h = self.height(i)
            if h is not None and h >= target_height:
                return time.monotonic() - started
            time.sleep(0.1)
        raise TestFailure(f"node {i} did not reach height {target_height} within {timeout_s} s "
                          f"(at {self.height(i)}; others {self.heights()}):\n{tail(self.nodes[i].log_path)}")

    def heights(self):
        return {i: self.height(i) for i in range(len(self.nodes))}

    def wait_converged(self, height_min=0, timeout_s=CONVERGE_TIMEOUT_S):
        """Waits until every node's head is within one block of the others'; returns the lowest.

        Consensus keeps making (empty) blocks, so the heads rarely read exactly equal; the audit
        compares heights 1..H with H the lowest head, which every node then holds."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            hs = self.heights()
            if None in hs.values():
                raise TestFailure(f"a node does not answer at the end: {hs}\n" + self.log_tails())
            if max(hs.values()) - min(hs.values()) <= 1 and min(hs.values()) >= height_min:
                return min(hs.values())
            time.sleep(0.5)
        raise TestFailure(f"nodes did not converge at or above height {height_min} within {timeout_s} s: "
                          f"{self.heights()}\n" + self.log_tails())

    def log_tails(self):
        return "\n".join(f"--- node {n.index} log tail ({n.log_path}) ---\n{tail(n.log_path)}" for n in self.nodes)


class Monitor:
    """Samples every node's /metrics twice a second into a file (height, round or view, timeouts,
    peers) so that a failure can be read against the consensus progress of each node."""

    INTERVAL_S = 0.5

    def __init__(self, cluster, path):
        self.cluster = cluster
        self.path = path
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        conns = [Http(n.host, n.api_port, timeout_s=1.0) for n in self.cluster.nodes]
        with open(self.path, "a") as out:
            out.write("# time_s per node: height/round-or-view/rounds_timed_out/peers ('-': no answer)\n")
            while not self.done.wait(self.INTERVAL_S):
                cells = []
                for i, conn in enumerate(conns):
                    try:
                        status, body = conn.request("GET", "/metrics")
                        m = parse_metrics(body.decode()) if status == 200 else None
                    except Exception:  # noqa: BLE001 - a node down or stopped is expected here
                        m = None
                    cells.append("-" if m is None else "{}/{}/{}/{}".format(
                        int(m.get("block_height", 0)), int(m.get("consensus_round", 0)),
                        int(m.get("consensus_rounds_timed_out_total", 0)), int(m.get("peers_connected", 0))))
                out.write(f"{time.monotonic() - _t0:7.1f} " + " ".join(f"n{i}={c}" for i, c in enumerate(cells)) + "\n")
                out.flush()
        for conn in conns:
            conn.close()

    def stop(self):
        self.done.set()
        self.thread.join(timeout=5)


def read_port_base(config_path):
    with open(config_path) as f:
        for line in f:
            key, _, value = line.partition("=")
            if key.strip() == "port_base":
                return int(value.split("#")[0].strip())
    raise TestFailure(f"no port_base in {config_path}")


# --- load ----------------------------------------------------------------------------------

class Bench:
    """`metanode bench` in the background: steady load over every node, a JSON report at the end."""

    def __init__(self, binary, home, urls, follow_url, txs, rate, report_path, log_path, timeout_s, senders=200,
                 exec_prefix=()):
        self.report_path = report_path
        self.log_path = log_path
        self.txs = txs
        self.committed_fraction_min = 0.5
        args = list(exec_prefix) + [binary, "bench", "--home", home, "--txs", str(txs), "--senders", str(senders),
                                    "--batch", "100", "--rate", str(rate), "--nodes", ",".join(urls),
                                    "--node", follow_url, "--report", report_path, "--timeout", str(timeout_s)]
        log(f"load: {' '.join(args[len(exec_prefix):])}")
        self.proc = spawn(args, log_path)

    def wait_submitting(self, timeout_s=60.0):
        """Waits until the bench has funded its senders and signed its transfers (it then submits)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if "signed" in tail(self.log_path):
                return
            if self.proc.poll() is not None:
                raise TestFailure(f"bench exited with {self.proc.returncode} before submitting:\n{tail(self.log_path)}")
            time.sleep(0.2)
        raise TestFailure(f"bench did not start submitting within {timeout_s} s:\n{tail(self.log_path)}")

    def running(self):
        return self.proc.poll() is None

    def finish(self, timeout_s):
        """Waits for the bench to exit and returns its report. A non-zero exit is allowed only for
        transfers a node accepted and then lost in a crash before gossiping them (the report
        still says which committed); anything else fails."""
        try:
            code = self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            raise TestFailure(f"bench still running after {timeout_s} s:\n{tail(self.log_path)}")
        text = tail(self.log_path)
        if not os.path.exists(self.report_path):
            raise TestFailure(f"bench exited {code} without a report:\n{text}")
        with open(self.report_path) as f:
            report = json.load(f)
        if code != 0 and "accepted transfers not committed" not in text:
            raise TestFailure(f"bench exited {code}:\n{text}")
        log(f"load: bench exited {code}: " + " | ".join(line for line in text.splitlines()[-4:]))
        committed = sum(1 for t in report["txs"] if t["committed"])
        # The audit below checks what did commit; this makes sure that is most of the load, not
        # a remnant (say, every sender's first transfer refused, so nothing after it can commit).
        if committed < self.committed_fraction_min * len(report["txs"]):
            raise TestFailure(f"only {committed} of {len(report['txs'])} transfers committed: the load did not reach "
                              f"the chain\n{text}")
        return report


# --- the end-of-run audit ------------------------------------------------------------------

UNCOMMITTED_CHECKED_MAX = 3000  # bounds the look-ups below
IDLE_WINDOW_S = 5.0
IDLE_BLOCKS_PER_S_MAX = 10.0    # with no load a validator proposes about once per interval_ms (1 s)


def check_uncommitted(cluster, report):
    """Transfers a node accepted that never committed. A node SIGKILLed right after accepting a
    batch may lose it before gossiping it, and each lost transfer strands its sender's later
    ones (a nonce gap): those are reported, not failed. But a transfer some node still holds
    whose nonce is its sender's next one could have been in any of the blocks made since: that
    fails. Returns counts by status."""
    uncommitted = [t["hash"] for t in report["txs"] if t["accepted"] and not t["committed"]]
    if not uncommitted:
        return {}
    counts = {}
    executable = []
    http0 = cluster.http(0)
    for tx_hash in uncommitted[:UNCOMMITTED_CHECKED_MAX]:
        status, doc = http0.get_json(f"/v1/txs/{tx_hash}")
        state = doc.get("status", "?") if status == 200 and doc else str(status)
        counts[state] = counts.get(state, 0) + 1
        if state == "pending":
            tx = doc["tx"]
            _, account = http0.get_json(f"/v1/accounts/{tx['sender']}")
            if account and account.get("nonce") == tx["nonce"]:
                executable.append((tx_hash, tx["sender"], tx["nonce"]))
        elif state == "committed":
            counts["committed after the bench gave up"] = counts.pop("committed")
    log(f"uncommitted: {len(uncommitted)} accepted transfers never committed; node 0 says of the first "
        f"{min(len(uncommitted), UNCOMMITTED_CHECKED_MAX)}: {counts}")
    if executable:
        tx_hash, sender, nonce = executable[0]
        m = cluster.metrics(0) or {}
        raise TestFailure(f"{len(executable)} transfers sit in node 0's mempool with their sender's next nonce, yet no "
                          f"block took them (e.g. {tx_hash}: sender {sender}, nonce {nonce}; head "
                          f"{int(m.get('block_height', 0))}, mempool {int(m.get('mempool_size', 0))})\n"
                          + cluster.log_tails())
    return counts


def check_idle_rate(cluster):
    """With the load over, blocks come about once per interval: a chain racing through empty
    blocks (say, a proposer that skips its idle wait because its mempool is not empty, though
    nothing in it can go in a block) fails here."""
    h0 = cluster.height(0)
    time.sleep(IDLE_WINDOW_S)
    h1 = cluster.height(0)
    m = cluster.metrics(0) or {}
    rate = (h1 - h0) / IDLE_WINDOW_S
    log(f"idle: {rate:.1f} blocks/s with the load over (node 0: height {h1}, mempool "
        f"{int(m.get('mempool_size', 0))})")
    if rate > IDLE_BLOCKS_PER_S_MAX:
        raise TestFailure(f"the chain makes {rate:.0f} blocks/s with no load (more than {IDLE_BLOCKS_PER_S_MAX:.0f}): "
                          f"height {h0} -> {h1} in {IDLE_WINDOW_S:.0f} s; node 0's mempool holds "
                          f"{int(m.get('mempool_size', 0))} transfers none of which commit")
    return rate

def audit(cluster, report, threads=True):
    """Every node holds the same block at every height 1..H; no transaction is in the chain twice;
    every transfer the bench saw committed is in the chain, at the height it reported, on every
    node. Returns a summary dict."""
    n = len(cluster.nodes)
    reported = [t for t in report["txs"] if t["committed"]]
    # The bench follows one node, which may be a block ahead of the others.
    height = cluster.wait_converged(height_min=max((t["height"] for t in reported), default=0))
    log(f"audit: every node at height >= {height}; comparing blocks 1..{height} on {n} nodes")

    blocks = [dict() for _ in range(n)]  # node -> height -> (hash, parent_hash, tx_hashes)
    errors = [None] * n

    def fetch_blocks(i):
        try:
            for h in range(1, height + 1):
                status, doc = cluster.http(i).get_json(f"/v1/blocks/{h}")
                if status != 200:
                    raise TestFailure(f"node {i}: GET /v1/blocks/{h} answered {status}: {doc}")
                if doc["header"]["height"] != h:
                    raise TestFailure(f"node {i}: block {h} says height {doc['header']['height']}")
                blocks[i][h] = (doc["hash"], doc["header"]["parent_hash"], doc["tx_hashes"])
        except Exception as e:  # noqa: BLE001 - reported on the main thread
            errors[i] = e

    parallel([lambda i=i: fetch_blocks(i) for i in range(n)], threads)
    for e in errors:
        if e:
            raise e
    for h in range(1, height + 1):
        hashes = {i: blocks[i][h][0] for i in range(n)}
        if len(set(hashes.values())) != 1:
            raise TestFailure(f"FORK at height {h}: block hashes by node {hashes}\n" + cluster.log_tails())
        if h > 1 and blocks[0][h][1] != blocks[0][h - 1][0]:
            raise TestFailure(f"node 0: block {h}'s parent_hash is not block {h - 1}'s hash")

    # No transaction twice anywhere in the chain (the blocks are identical on every node now).
    where = {}
    for h in range(1, height + 1):
        for tx in blocks[0][h][2]:
            if tx in where:
                raise TestFailure(f"transaction {tx} is in block {where[tx]} and again in block {h}")
            where[tx] = h
    log(f"audit: {height} identical blocks on {n} nodes, {len(where)} transactions, none twice")

    for t in reported:
        if t["hash"] not in where:
            raise TestFailure(f"bench saw {t['hash']} committed at {t['height']}, but no block 1..{height} holds it")
        if where[t["hash"]] != t["height"]:
            raise TestFailure(f"bench saw {t['hash']} committed at {t['height']}, the chain has it at {where[t['hash']]}")

    # Every reported transfer was found in the blocks above (identical on every node); the index
    # and API path that answers GET /v1/txs/{hash} is checked on a sample of them on each node (at
    # about 2 ms a lookup, all of them on four nodes took two minutes of a CI run).
    sample = reported if len(reported) <= TX_LOOKUPS_CHECKED_MAX else random.Random(height).sample(reported, TX_LOOKUPS_CHECKED_MAX)

    def check_txs(i):
        try:
            http_i = cluster.http(i)
            for t in sample:
                status, doc = http_i.get_json(f"/v1/txs/{t['hash']}")
                if status != 200 or doc.get("status") != "committed" or doc.get("height") != t["height"]:
                    raise TestFailure(f"node {i}: GET /v1/txs/{t['hash']} answered {status} "
                                      f"{ {k: doc.get(k) for k in ('status', 'height')} if doc else doc}; "
                                      f"expected committed at {t['height']}")
        except Exception as e:  # noqa: BLE001
            errors[i] = e

    def server_seconds():
        total = []
        for i in range(n):
            status, body = cluster.http(i).request("GET", "/metrics")
            line = [l for l in body.decode().splitlines()
                    if l.startswith('metanode_http_request_duration_seconds_sum{route="/v1/txs/{hash}"}')]
            total.append(float(line[0].split()[-1]) if status == 200 and line else 0.0)
        return total

    server_before = server_seconds()
    started = time.monotonic()
    parallel([lambda i=i: check_txs(i) for i in range(n)], threads)
    for e in errors:
        if e:
            raise e
    server = [after - before for after, before in zip(server_seconds(), server_before)]
    log(f"audit: {n} x {len(sample)} GET /v1/txs/{{hash}} (of {len(reported)}) in {time.monotonic() - started:.1f} s; the nodes spent "
        f"{', '.join(f'{s:.1f}' for s in server)} s answering them")
    accepted = sum(1 for t in report["txs"] if t["accepted"])
    log(f"audit: all {len(reported)} transfers the bench saw committed are in identical blocks on every node at the reported height, "
        f"and each node's API answers the {len(sample)} sampled ones alike ({accepted} of {len(report['txs'])} were "
        f"accepted at submission)")
    return {"height": height, "chain_txs": len(where), "reported_committed": len(reported), "accepted": accepted,
            "submitted": len(report["txs"])}


def parallel(functions, threads=True):
    if not threads:
        for f in functions:
            f()
        return
    workers = [threading.Thread(target=f) for f in functions]
    for w in workers:
        w.start()
    for w in workers:
        w.join()


# Transfers looked up through each node's API in the audit (all of them are checked in the blocks).
TX_LOOKUPS_CHECKED_MAX = 3000

# Blocks at the head whose certificates may still be gathering when the nodes are stopped.
CERTIFICATES_PENDING_MAX = 3


def verify_offline(cluster, exec_prefix=()):
    """`metanode verify` (re-execute the chain from genesis, check every finality proof) on each stopped node."""
    for node in cluster.nodes:
        assert not node.running()
        started = time.monotonic()
        result = run(list(exec_prefix) + [cluster.binary, "verify", "--config", node.config], VERIFY_TIMEOUT_S,
                     check=False)
        if result.returncode != 0:
            raise TestFailure(f"metanode verify of node {node.index} exited {result.returncode}:\n"
                              f"{result.stdout}{result.stderr}")
        last = (result.stdout.strip().splitlines() or [""])[-1]
        log(f"verify: node {node.index} ok in {time.monotonic() - started:.1f} s: {last}")
        # Header certificates: a node that was killed, cut off or behind fetches the ones it
        # missed from its peers, so every block has one, bar the newest few, which may still have
        # been gathering their signatures when the nodes were stopped.
        certified = re.search(r"(\d+) of (\d+) blocks carry a header certificate", result.stdout)
        if not certified:
            raise TestFailure(f"metanode verify of node {node.index} did not count header certificates:\n{result.stdout}")
        have, total = int(certified.group(1)), int(certified.group(2))
        if have + CERTIFICATES_PENDING_MAX < total:
            raise TestFailure(f"node {node.index}: only {have} of {total} blocks carry a header certificate")
