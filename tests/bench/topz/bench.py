"""Benchmark: topz's /topz?format=json against `ps -eo pid,ppid,user,stat,pcpu,rss,nlwp,lstart,args`.

Both list every process of the same PID namespace, with the same extra sleeping processes present.
Latency of topz is one HTTP request on a kept-alive connection (what a dashboard or curl loop pays);
latency of ps is one run of the ps command (what `kubectl exec ... ps` pays). topz's sampling cost is
its own CPU time (utime+stime from /proc) over an idle period with no requests, per second of wall time.
"""
import http.client
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time

PS_ARGS = ["ps", "-eo", "pid,ppid,user,stat,pcpu,rss,nlwp,lstart,args"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def machine():
    model = "unknown CPU"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} cores, {model}, Linux {platform.release()}"


def main():
    topz_binary, extra, requests = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    sleepers = [subprocess.Popen(["sleep", "3600"]) for _ in range(extra)]
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

        for _ in range(20):  # warm-up: JIT tiering, page cache
            topz_once()
            ps_once()

        topz_times, ps_times, topz_rows, ps_rows = [], [], 0, 0
        for _ in range(requests):  # interleaved, so both see the same machine state
            t, topz_rows = topz_once()
            topz_times.append(t)
            t, ps_rows = ps_once()
            ps_times.append(t)

        idle = 20.0
        before, t0 = cpu_seconds(topz.pid), time.monotonic()
        time.sleep(idle)  # a measurement window, not a wait for a condition
        sampling = (cpu_seconds(topz.pid) - before) / (time.monotonic() - t0)
        with open(f"/proc/{topz.pid}/status") as f:
            rss_kib = next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))

        tm, pm = statistics.median(topz_times), statistics.median(ps_times)
        print(f"machine: {machine()}")
        print(f"processes in the namespace: topz listed {topz_rows}, ps listed {ps_rows} ({extra} extra sleepers); {requests} interleaved runs each")
        print(f"{'':28}{'median ms':>10}{'p90 ms':>10}{'p99 ms':>10}")
        print(f"{'topz /topz?format=json':28}{tm*1000:10.2f}{percentile(topz_times,90)*1000:10.2f}{percentile(topz_times,99)*1000:10.2f}")
        print(f"{'ps -eo ... args':28}{pm*1000:10.2f}{percentile(ps_times,90)*1000:10.2f}{percentile(ps_times,99)*1000:10.2f}")
        print(f"ratio topz/ps (median latency): {tm/pm:.3f}")
        print(f"topz sampling cost at TOPZ_INTERVAL=1s, idle: {sampling*100:.2f}% of one core ({sampling*1000:.1f} ms CPU per second) over {idle:.0f} s")
        print(f"topz resident memory after the run: {rss_kib/1024:.1f} MiB")
    finally:
        topz.terminate()
        topz.wait(timeout=20)
        for s in sleepers:
            s.kill()
        for s in sleepers:
            s.wait()


if __name__ == "__main__":
    main()
