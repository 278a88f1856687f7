"""Benchmark: how fast a pushed configuration reaches the app through config-sync.

config-sync runs with CONFIGSYNC_NOTIFY_URL pointing at a small HTTP receiver inside this script, which timestamps
each notification as it arrives. The client sends sequential PUT /v1/config requests on a kept-alive connection, each
with If-Match of the previous answer and new content (one file's bytes change, so every PUT is a new version), and
waits for the 201 before the next. Latency is from just before a PUT is sent to its notification's arrival at the
receiver (both clocks are this process's perf_counter); publishes per second is PUTs over the wall time of the loop.
Two cases: 1 file of about 1 KiB, and 200 files of about 1 KiB each (the whole set is sent each time, as PUT
/v1/config replaces it). Each case runs RUNS times against a fresh config-sync with an empty store; the median of the
runs' medians is printed, and the p99 over every PUT of the case. The store and the directory are on the disk of the
work folder given, so config-sync's fsyncs cost there what they cost.

The comparison is the published bound for a ConfigMap change to reach a pod's mounted volume through the kubelet, from
the Kubernetes documentation ("ConfigMaps", section "Mounted ConfigMaps are updated automatically"): the kubelet sync
period (1 minute by default) plus the ConfigMap cache's propagation delay (with the TTL cache, 1 minute by default).
"""
import http.client
import http.server
import json
import os
import queue
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from procstats import free_port, cpu_seconds, rss_bytes, percentile, machine  # noqa: E402

WARMUP = 10
FILE_BYTES = 1024
KUBELET_SYNC_PERIOD_S = 60
CONFIGMAP_CACHE_TTL_S = 60
KUBELET_SOURCE = ('Kubernetes documentation, "ConfigMaps", "Mounted ConfigMaps are updated automatically": '
                  'kubelet sync period (default 1 minute) + ConfigMap cache TTL (default 1 minute)')


class Receiver(http.server.ThreadingHTTPServer):
    """The app's reload endpoint: records when each notification arrives, answers 200 at once."""
    daemon_threads = True

    def __init__(self, port):
        self.arrivals = queue.Queue()
        super().__init__(("127.0.0.1", port), ReloadHandler)


class ReloadHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as an app's server would
    # The answer goes out as two writes (head, then body): with Nagle's algorithm the body waits for config-sync's
    # delayed ACK, up to 40 ms, which would be the receiver's delay, not config-sync's. Servers set TCP_NODELAY.
    disable_nagle_algorithm = True

    def do_POST(self):
        arrived = time.perf_counter()
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.server.arrivals.put(arrived)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


def file_body(name, version):
    """About FILE_BYTES of text naming the file and the version that wrote it."""
    head = f"# {name}, version {version}\n"
    line = f"key_{name.replace('/', '_').replace('.', '_')} = value\n"
    return head + line * ((FILE_BYTES - len(head)) // len(line))


def version_json(files, version):
    """The whole set; only the first file changes from one version to the next."""
    body = {name: (file_body(name, version) if i == 0 else file_body(name, 0)) for i, name in enumerate(files)}
    return json.dumps({"files": body, "message": f"bench {version}"}).encode()


def wait_ready(port, process):
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"config-sync exited with {process.returncode} before it was ready")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/readyz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.05)  # polling for readiness, bounded by the deadline
    raise SystemExit("config-sync did not become ready within 30 s")


def measure(binary, work, file_count, puts):
    """One fresh config-sync with an empty store: WARMUP PUTs, then `puts` measured ones."""
    files = ["app.conf"] if file_count == 1 else [f"conf.d/part{i:03}.conf" for i in range(file_count)]
    folder = tempfile.mkdtemp(prefix="run-", dir=work)
    receiver = Receiver(free_port())
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    port, token = free_port(), secrets.token_hex(16)
    env = dict(os.environ,
               CONFIGSYNC_ADDR=f"127.0.0.1:{port}",
               CONFIGSYNC_DIR=os.path.join(folder, "config"),
               CONFIGSYNC_STATE_DIR=os.path.join(folder, "state"),
               CONFIGSYNC_TOKEN=token,
               CONFIGSYNC_NOTIFY_URL=f"http://127.0.0.1:{receiver.server_address[1]}/reload",
               LOG_LEVEL="warn")
    os.makedirs(env["CONFIGSYNC_DIR"])
    process = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL)
    try:
        wait_ready(port, process)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        etag = None
        latencies, round_trips = [], []
        loop_start = None
        for n in range(1, WARMUP + puts + 1):
            if n == WARMUP + 1:
                loop_start, cpu_before = time.perf_counter(), cpu_seconds(process.pid)
            body = version_json(files, n)
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            headers.update({"If-Match": etag} if etag else {"If-None-Match": "*"})
            while not receiver.arrivals.empty():  # nothing may be left from the previous PUT
                receiver.arrivals.get_nowait()
            sent = time.perf_counter()
            conn.request("PUT", "/v1/config", body=body, headers=headers)
            response = conn.getresponse()
            answer = response.read()
            answered = time.perf_counter()
            if response.status != 201:
                raise SystemExit(f"PUT {n} answered {response.status}: {answer[:300]!r}")
            etag = response.getheader("ETag")
            arrived = receiver.arrivals.get(timeout=30)
            if n > WARMUP:
                latencies.append(arrived - sent)
                round_trips.append(answered - sent)
        wall = time.perf_counter() - loop_start
        cpu = cpu_seconds(process.pid) - cpu_before
        return dict(latencies=latencies, round_trips=round_trips, rate=puts / wall, cpu_per_put=cpu / puts,
                    rss_mib=rss_bytes(process.pid) / 2**20,
                    body_kib=len(version_json(files, 0)) / 1024)
    finally:
        process.terminate()
        process.wait(timeout=20)
        receiver.shutdown()
        receiver.server_close()
        shutil.rmtree(folder, ignore_errors=True)


def main():
    binary, work, puts = sys.argv[1], sys.argv[2], int(sys.argv[3])
    runs = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    med = statistics.median
    fs = subprocess.run(["df", "--output=fstype", work], capture_output=True, text=True).stdout.split()[-1]
    print(f"machine: {machine()}, load average {os.getloadavg()[0]:.2f}; store and directory on {fs}")
    print(f"{runs} runs of a fresh config-sync per case, each {WARMUP} warm-up PUTs then {puts} measured sequential PUTs "
          f"(NOTIFY_URL to a receiver in the benchmark)")
    print(f"{'case':>10}{'run':>5}{'PUT->notified median ms':>25}{'p99 ms':>9}{'PUT answered median ms':>24}"
          f"{'publishes/s':>13}{'CPU ms/PUT':>12}{'RSS MiB':>9}")
    summary = []
    for file_count in (1, 200):
        results = [measure(binary, work, file_count, puts) for _ in range(runs)]
        label = f"{file_count} file" + ("s" if file_count > 1 else "")
        for i, r in enumerate(results, 1):
            print(f"{label:>10}{i:>5}{med(r['latencies'])*1000:25.2f}{percentile(r['latencies'], 99)*1000:9.2f}"
                  f"{med(r['round_trips'])*1000:24.2f}{r['rate']:13.1f}{r['cpu_per_put']*1000:12.2f}{r['rss_mib']:9.1f}")
        every = [t for r in results for t in r["latencies"]]
        summary.append((label, results[0]["body_kib"], med(med(r["latencies"]) for r in results), percentile(every, 99),
                        med(r["rate"] for r in results)))
    print()
    print(f"{'case':>10}{'PUT body KiB':>14}{'PUT->notified median ms':>25}{'p99 ms':>9}{'publishes/s':>13}   (median of runs; p99 over all PUTs)")
    for label, kib, median, p99, rate in summary:
        print(f"{label:>10}{kib:14.1f}{median*1000:25.2f}{p99*1000:9.2f}{rate:13.1f}")
    bound = KUBELET_SYNC_PERIOD_S + CONFIGMAP_CACHE_TTL_S
    print()
    print(f"a ConfigMap change through the kubelet: up to {bound} s ({KUBELET_SOURCE}); "
          f"config-sync's slowest median above is {bound / max(s[2] for s in summary):,.0f} times shorter than that bound")


if __name__ == "__main__":
    main()
