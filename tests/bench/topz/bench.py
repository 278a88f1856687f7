"""Benchmark: topz's /topz?format=json against `ps -eo pid,ppid,user,stat,pcpu,rss,nlwp,lstart,args`.

Both list every process of the same PID namespace, with the same extra sleeping processes present.
Latency of topz is one HTTP request on a kept-alive connection (what a dashboard or curl loop pays);
latency of ps is one run of the ps command (what `kubectl exec ... ps` pays). topz's sampling cost is
its own CPU time (utime+stime from /proc) over an idle period with no requests, per second of wall time;
its garbage collections over the same period come from its own /metrics (dotnet_gc_collections_total).
The whole measurement runs RUNS times against a fresh topz each time (same sleepers); medians are printed.
"""
import http.client
import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from procstats import free_port, cpu_seconds, rss_bytes, percentile, machine  # noqa: E402

PS_ARGS = ["ps", "-eo", "pid,ppid,user,stat,pcpu,rss,nlwp,lstart,args"]


def gc_collections(port):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/metrics")
    text = conn.getresponse().read().decode()
    return sum(float(l.rsplit(" ", 1)[1]) for l in text.splitlines() if l.startswith("dotnet_gc_collections_total{"))


def measure(topz_binary, requests):
    """One fresh topz: request latency of topz and ps, then idle sampling cost, GCs and RSS."""
    port = free_port()
    env = dict(os.environ, TOPZ_ADDR=f"127.0.0.1:{port}", TOPZ_INTERVAL="1s", LOG_LEVEL="warn")
    topz = subprocess.Popen([topz_binary], env=env, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                conn.request("GET", "/readyz")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("topz did not become ready within 30 s")
            time.sleep(0.05)

        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)

        def topz_once():
            start = time.perf_counter()
            conn.request("GET", "/topz?format=json")
            body = conn.getresponse().read()
            elapsed = time.perf_counter() - start
            return elapsed, len(json.loads(body)["processes"])

        def ps_once():
            start = time.perf_counter()
            out = subprocess.run(PS_ARGS, capture_output=True, check=True).stdout
            elapsed = time.perf_counter() - start
            return elapsed, out.count(b"\n") - 1

        for _ in range(20):  # warm-up: page cache, connection
            topz_once()
            ps_once()

        topz_times, ps_times, topz_rows, ps_rows = [], [], 0, 0
        for _ in range(requests):  # interleaved, so both see the same machine state
            t, topz_rows = topz_once()
            topz_times.append(t)
            t, ps_rows = ps_once()
            ps_times.append(t)

        idle = 20.0
        gc_before = gc_collections(port)
        before, t0 = cpu_seconds(topz.pid), time.monotonic()
        time.sleep(idle)  # a measurement window, not a wait for a condition
        wall = time.monotonic() - t0
        sampling = (cpu_seconds(topz.pid) - before) / wall
        gcs = (gc_collections(port) - gc_before) / wall
        rss_mib = rss_bytes(topz.pid) / 2**20
        return dict(topz=topz_times, ps=ps_times, topz_rows=topz_rows, ps_rows=ps_rows,
                    sampling=sampling, gcs=gcs, rss_mib=rss_mib, idle=idle)
    finally:
        topz.terminate()
        topz.wait(timeout=20)


def main():
    topz_binary, extra, requests = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    runs = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    sleepers = [subprocess.Popen(["sleep", "3600"]) for _ in range(extra)]
    try:
        results = [measure(topz_binary, requests) for _ in range(runs)]
    finally:
        for s in sleepers:
            s.kill()
        for s in sleepers:
            s.wait()

    med = statistics.median
    last = results[-1]
    print(f"machine: {machine()}, load average before the last run {os.getloadavg()[0]:.2f}")
    print(f"processes in the namespace: topz listed {last['topz_rows']}, ps listed {last['ps_rows']} ({extra} extra sleepers); "
          f"{runs} runs of a fresh topz, each with {requests} interleaved requests of topz and runs of ps")
    print(f"{'run':>4}{'topz median ms':>16}{'ps median ms':>14}{'topz/ps':>9}{'sampling ms CPU/s':>19}{'GCs/s':>7}{'RSS MiB':>9}")
    for i, r in enumerate(results, 1):
        tm, pm = med(r["topz"]), med(r["ps"])
        print(f"{i:>4}{tm*1000:16.2f}{pm*1000:14.2f}{tm/pm:9.3f}{r['sampling']*1000:19.1f}{r['gcs']:7.2f}{r['rss_mib']:9.1f}")
    tm = med(med(r["topz"]) for r in results)
    pm = med(med(r["ps"]) for r in results)
    all_topz = [t for r in results for t in r["topz"]]
    all_ps = [t for r in results for t in r["ps"]]
    sampling = med(r["sampling"] for r in results)
    print(f"median of runs:")
    print(f"{'':28}{'median ms':>10}{'p90 ms':>10}{'p99 ms':>10}   (p90/p99 over all runs)")
    print(f"{'topz /topz?format=json':28}{tm*1000:10.2f}{percentile(all_topz,90)*1000:10.2f}{percentile(all_topz,99)*1000:10.2f}")
    print(f"{'ps -eo ... args':28}{pm*1000:10.2f}{percentile(all_ps,90)*1000:10.2f}{percentile(all_ps,99)*1000:10.2f}")
    print(f"ratio topz/ps (median latency): {tm/pm:.3f}")
    print(f"topz sampling cost at TOPZ_INTERVAL=1s, idle: {sampling*100:.2f}% of one core ({sampling*1000:.1f} ms CPU per second) over {last['idle']:.0f} s per run")
    print(f"topz garbage collections while idle: {med(r['gcs'] for r in results):.2f} per second")
    print(f"topz resident memory after a run: {med(r['rss_mib'] for r in results):.1f} MiB")


if __name__ == "__main__":
    main()
