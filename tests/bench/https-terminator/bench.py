"""Benchmark: https-terminator (default, and with TERMINATOR_EVENT_LOOP=true) against nginx (TLS reverse proxy with
upstream keep-alive) and hitch (TLS offload).

Same backend (an nginx serving static files over plain HTTP), same ECDSA P-256 certificate, same clients (wrk, h2load,
curl), same cores: the proxy under test is pinned to one core, the backend and the client to the other. Candidates are
run interleaved (A B C, A B C, ...) so background noise hits all of them alike; each figure is the median of the runs.

  bench.py <terminator-binary> [runs] [seconds]
"""
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from procstats import free_port, machine, rss_bytes  # noqa: E402

SIZES = [("0B", 0), ("1KiB", 1024), ("100KiB", 100 * 1024)]
PROXY_CPU = "0"
CLIENT_CPU = "1"


def wait_port(port, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


def tree_rss_kib(pid):
    """RSS of a process and its children (nginx and hitch fork workers)."""
    total = rss_bytes(pid) // 1024
    try:
        children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    except OSError:
        children = []
    return total + sum(rss_bytes(int(c)) // 1024 for c in children)


def load_average():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def nginx_conf(work, body):
    return f"""
daemon off;
worker_processes 1;
pid {work}/{{name}}.pid;
error_log {work}/{{name}}.error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {work}/{{name}}.body;
  proxy_temp_path {work}/{{name}}.proxy;
  fastcgi_temp_path {work}/{{name}}.fastcgi;
  uwsgi_temp_path {work}/{{name}}.uwsgi;
  scgi_temp_path {work}/{{name}}.scgi;
  keepalive_requests 1000000;
{body}
}}
"""


def start(cmd, cpu, env=None, name=""):
    full = ["taskset", "-c", cpu] + cmd
    return subprocess.Popen(full, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, start_new_session=True)


def stop(proc):
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def wrk(url, seconds, extra=()):
    out = subprocess.run(
        ["taskset", "-c", CLIENT_CPU, "wrk", "-t1", "-c32", f"-d{seconds}s", "--latency", *extra, url],
        capture_output=True, text=True, timeout=seconds + 60).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    p99 = parse_duration(re.search(r"99%\s+([\d.]+\w+)", out).group(1))
    bad = (int(errors.group(1)) if errors else 0) + (sum(int(x) for x in sock.groups()) if sock else 0)
    return rps, p99, bad


def h2load(url, seconds, work):
    log = os.path.join(work, "h2load.log")
    out = subprocess.run(
        ["taskset", "-c", CLIENT_CPU, "h2load", "-c32", "-m10", "-t1", "-D", str(seconds), "--warm-up-time=1", "--log-file", log, url],
        capture_output=True, text=True, timeout=seconds + 60).stdout
    rps = float(re.search(r"finished in [\d.]+\w+, ([\d.]+) req/s", out).group(1))
    failed = int(re.search(r"(\d+) failed", out).group(1)) + int(re.search(r"(\d+) errored", out).group(1))
    protocol = re.search(r"Application protocol: (\S+)", out)
    if not protocol or protocol.group(1) != "h2":
        return None
    latencies = []
    with open(log) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3:
                latencies.append(int(parts[2]) / 1e6)  # microseconds -> seconds
    os.unlink(log)
    latencies.sort()
    p99 = latencies[int(0.99 * (len(latencies) - 1))] if latencies else float("nan")
    return rps, p99, failed


def parse_duration(text):
    m = re.match(r"([\d.]+)(us|ms|s|m)", text)
    value, unit = float(m.group(1)), m.group(2)
    return value * {"us": 1e-6, "ms": 1e-3, "s": 1, "m": 60}[unit]


def check(url, size):
    """A figure for error pages would be worthless: every candidate must serve the real body first."""
    out = subprocess.run(["curl", "-sk", "-o", "/dev/null", "-w", "%{http_code} %{size_download}", url],
                         capture_output=True, text=True, timeout=30).stdout
    if out != f"200 {size}":
        raise RuntimeError(f"{url} answered '{out}', expected '200 {size}'")


def upload_mib_s(url, path):
    start_t = time.time()
    subprocess.run(["taskset", "-c", CLIENT_CPU, "curl", "-sk", "--http1.1", "-o", "/dev/null", "-T", path, url], check=True, timeout=300)
    return 50 / (time.time() - start_t)


def main():
    terminator, runs, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    if os.cpu_count() < 2:
        sys.exit("needs at least 2 cores (proxy on one, backend and client on the other)")
    work = tempfile.mkdtemp(prefix="bench-terminator-")
    # nginx workers run as nobody when started by root: they must be able to read the files.
    os.chmod(work, 0o755)
    procs = []
    try:
        # One certificate for everyone.
        cert, key = os.path.join(work, "tls.crt"), os.path.join(work, "tls.key")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-keyout", key, "-out", cert, "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                        "-days", "2"], check=True, capture_output=True)
        with open(os.path.join(work, "pem"), "w") as pem:
            pem.write(open(key).read() + open(cert).read())

        html = os.path.join(work, "html")
        os.makedirs(html)
        for name, size in SIZES:
            with open(os.path.join(html, name), "wb") as f:
                f.write(b"x" * size)
        upload = os.path.join(work, "upload.bin")
        with open(upload, "wb") as f:
            f.truncate(50 << 20)

        backend_port = free_port()
        conf = os.path.join(work, "backend.conf")
        with open(conf, "w") as f:
            f.write(nginx_conf(work, f"""
  server {{
    listen 127.0.0.1:{backend_port} backlog=4096;
    root {html};
    location /upload {{ client_max_body_size 0; return 200 "ok\\n"; }}
  }}""").replace("{name}", "backend"))
        procs.append(start(["nginx", "-p", work, "-c", conf], CLIENT_CPU))
        wait_port(backend_port)

        candidates = {}

        def run_terminator(event_loop=False):
            port = free_port()
            env = dict(os.environ,
                       TERMINATOR_LISTEN=f"127.0.0.1:{port}", TERMINATOR_ADMIN_ADDR="127.0.0.1:0",
                       TERMINATOR_UPSTREAM=f"http://127.0.0.1:{backend_port}", TERMINATOR_CERT_FILE=cert, TERMINATOR_KEY_FILE=key,
                       TERMINATOR_EVENT_LOOP="true" if event_loop else "false", LOG_LEVEL="warn")
            return start([terminator], PROXY_CPU, env), port

        def run_nginx():
            port = free_port()
            conf = os.path.join(work, "proxy.conf")
            with open(conf, "w") as f:
                f.write(nginx_conf(work, f"""
  upstream app {{ server 127.0.0.1:{backend_port}; keepalive 64; }}
  server {{
    listen 127.0.0.1:{port} ssl http2 backlog=4096;
    ssl_certificate {cert};
    ssl_certificate_key {key};
    ssl_protocols TLSv1.2 TLSv1.3;
    client_max_body_size 0;
    location / {{
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_set_header X-Forwarded-Proto https;
    }}
  }}""").replace("{name}", "proxy"))
            return start(["nginx", "-p", work, "-c", conf], PROXY_CPU), port

        def run_hitch():
            port = free_port()
            return start(["hitch", "--frontend", f"[127.0.0.1]:{port}", "--backend", f"[127.0.0.1]:{backend_port}",
                          "--workers", "1", "--alpn-protos", "http/1.1", "--tls-protos", "TLSv1.2 TLSv1.3",
                          "--user", "nobody", "--group", "nogroup",
                          os.path.join(work, "pem")], PROXY_CPU), port

        candidates = {"terminator": run_terminator, "event-loop": lambda: run_terminator(event_loop=True), "nginx": run_nginx, "hitch": run_hitch}
        results = {}  # (candidate, metric) -> [values]
        loads = []

        def record(candidate, metric, value):
            results.setdefault((candidate, metric), []).append(value)

        for run in range(runs):
            for name, launch in candidates.items():
                proc, port = launch()
                try:
                    wait_port(port)
                    base = f"https://127.0.0.1:{port}"
                    time.sleep(1)
                    record(name, "rss_idle_mib", tree_rss_kib(proc.pid) / 1024)
                    for label, size in SIZES:
                        check(f"{base}/{label}", size)
                    # Warm-up: the JIT tiers up and pools fill before anything is measured.
                    wrk(base + "/1KiB", max(2, seconds // 2))
                    for label, _ in SIZES:
                        rps, p99, bad = wrk(f"{base}/{label}", seconds)
                        record(name, f"h1_rps_{label}", rps)
                        record(name, f"h1_p99_ms_{label}", p99 * 1000)
                        record(name, f"h1_errors_{label}", bad)
                        if name != "hitch":
                            h2 = h2load(f"{base}/{label}", seconds, work)
                            if h2:
                                record(name, f"h2_rps_{label}", h2[0])
                                record(name, f"h2_p99_ms_{label}", h2[1] * 1000)
                                record(name, f"h2_errors_{label}", h2[2])
                    record(name, "rss_load_mib", tree_rss_kib(proc.pid) / 1024)
                    rps, p99, bad = wrk(f"{base}/0B", seconds, ("-H", "Connection: close"))
                    record(name, "handshakes_per_s", rps)
                    record(name, "handshake_p99_ms", p99 * 1000)
                    record(name, "upload_50mib_mib_s", upload_mib_s(f"{base}/upload", upload))
                    # What stays resident once the load is over (the terminator gives memory back after 5-10 s idle).
                    time.sleep(15)
                    record(name, "rss_after_idle_mib", tree_rss_kib(proc.pid) / 1024)
                    loads.append(load_average())
                finally:
                    stop(proc)
            print(f"run {run + 1}/{runs} done, load average {loads[-1]:.2f}", file=sys.stderr, flush=True)

        report(results, runs, seconds, loads)
    finally:
        for p in procs:
            stop(p)
        shutil.rmtree(work, ignore_errors=True)


def report(results, runs, seconds, loads):
    def med(candidate, metric):
        values = results.get((candidate, metric))
        return statistics.median(values) if values else None

    rows = [("HTTP/1.1 keep-alive req/s, " + label, f"h1_rps_{label}", True) for label, _ in SIZES]
    rows += [("HTTP/1.1 p99 ms, " + label, f"h1_p99_ms_{label}", False) for label, _ in SIZES]
    rows += [("h2 (-m10) req/s, " + label, f"h2_rps_{label}", True) for label, _ in SIZES]
    rows += [("h2 p99 ms, " + label, f"h2_p99_ms_{label}", False) for label, _ in SIZES]
    # wrk reconnects with the same OpenSSL object, which offers the previous session: where the server allows it,
    # these are resumed (abbreviated) handshakes.
    rows += [("reconnects/s, TLS session resumed where offered (Connection: close)", "handshakes_per_s", True),
             ("reconnect p99 ms", "handshake_p99_ms", False),
             ("50 MiB upload MiB/s", "upload_50mib_mib_s", True),
             ("RSS idle MiB", "rss_idle_mib", False),
             ("RSS after load MiB", "rss_load_mib", False),
             ("RSS 15 s after the last load MiB", "rss_after_idle_mib", False)]

    nginx_version = subprocess.run(["nginx", "-v"], capture_output=True, text=True).stderr.strip().split("/")[-1]
    hitch_version = subprocess.run(["hitch", "--version"], capture_output=True, text=True).stdout.split()[-1:] or ["?"]
    print(f"\n{machine()}; proxy pinned to CPU {PROXY_CPU}, backend nginx and client on CPU {CLIENT_CPU}")
    print(f"nginx {nginx_version}, hitch {hitch_version[0]}; wrk -t1 -c32, h2load -c32 -m10; {seconds} s per figure, median of {runs} runs")
    print(f"load average at the end of each round: {', '.join(f'{l:.2f}' for l in loads)}")
    if max(loads) > 2.5:
        print("WARNING: other work was running on this machine (load average above the 2 benchmark processes): figures are noisy")
    for candidate in ("terminator", "event-loop", "nginx", "hitch"):
        errors = {m: sum(v) for (c, m), v in results.items() if c == candidate and "errors" in m and sum(v)}
        if errors:
            print(f"WARNING: {candidate} had failed requests (non-2xx or socket errors): {errors}")
    print()
    print("| figure | terminator | terminator, event loop | nginx | hitch | terminator/nginx | event loop/nginx |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for title, metric, higher_better in rows:
        t, e, n, h = med("terminator", metric), med("event-loop", metric), med("nginx", metric), med("hitch", metric)

        def fmt(v):
            return "—" if v is None else (f"{v:,.0f}" if v >= 100 else f"{v:.2f}")

        def ratio(v):
            return "—" if not v or not n else f"{v / n:.2f}" + ("" if higher_better else " (lower is better)")

        print(f"| {title} | {fmt(t)} | {fmt(e)} | {fmt(n)} | {fmt(h)} | {ratio(t)} | {ratio(e)} |")


if __name__ == "__main__":
    main()
