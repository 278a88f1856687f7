"""Idle memory of exporter builds side by side: RSS before the first scrape and after N scrapes (default 200).

One redis-server holds 10,000 keys in 4 databases and the benchmark's 100 distinct commands. Every subject runs
against it at once and the scrapes alternate, so the machine's noise hits all alike.
  memory.py [--scrapes N] NAME=BINARY[;ENV=VALUE;...] ...
"""
import http.client
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402


def hwm_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def main():
    args = sys.argv[1:]
    scrapes = 200
    if args[:1] == ["--scrapes"]:
        scrapes, args = int(args[1]), args[2:]
    workdir = tempfile.mkdtemp(prefix="redis-mem-")
    redis_port = bench.free_port()
    procs = [bench.start_busy_redis(redis_port, workdir)]
    try:
        addr = f"redis://127.0.0.1:{redis_port}"
        base = {k: v for k, v in os.environ.items() if not k.startswith(("REDIS_", "DOTNET_"))}
        subjects = {}
        for spec in args:
            name, rest = spec.split("=", 1)
            binary, *envs = rest.split(";")
            port = bench.free_port()
            env = {**base, **dict(e.split("=", 1) for e in envs), "REDIS_ADDR": addr, "LOG_LEVEL": "warn",
                   "REDIS_EXPORTER_WEB_LISTEN_ADDRESS": f"127.0.0.1:{port}"}
            p = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            procs.append(p)
            subjects[name] = (p, port)
        for name, (_, port) in subjects.items():
            bench.wait_http(port, "/health")
        time.sleep(2)
        before = {name: bench.rss_bytes(p.pid) for name, (p, _) in subjects.items()}
        conns = {name: http.client.HTTPConnection("127.0.0.1", port, timeout=30) for name, (_, port) in subjects.items()}
        latencies = {name: [] for name in subjects}
        cpu0 = {name: bench.cpu_seconds(p.pid) for name, (p, _) in subjects.items()}
        for _ in range(scrapes):
            for name in subjects:
                t = time.perf_counter()
                conns[name].request("GET", "/metrics")
                r = conns[name].getresponse()
                body = r.read()
                latencies[name].append(time.perf_counter() - t)
                if r.status != 200 or b"redis_up 1" not in body:
                    raise SystemExit(f"{name}: bad scrape")
        cpu = {name: bench.cpu_seconds(p.pid) - cpu0[name] for name, (p, _) in subjects.items()}
        time.sleep(5)  # idle: whatever the GC gives back after the last scrape
        print(f"machine: {bench.machine()}; {scrapes} scrapes each, alternating")
        print("| build | RSS before first scrape MiB | idle RSS after scrapes MiB | peak RSS MiB | median ms | CPU s / 1000 scrapes |")
        print("|---|---|---|---|---|---|")
        for name, (p, _) in subjects.items():
            print(f"| {name} | {before[name] / 2**20:.1f} | {bench.rss_bytes(p.pid) / 2**20:.1f} | {hwm_bytes(p.pid) / 2**20:.1f} | {statistics.median(latencies[name]) * 1e3:.2f} | {cpu[name] / scrapes * 1000:.2f} |")
    finally:
        for p in procs:
            p.kill()


if __name__ == "__main__":
    main()
