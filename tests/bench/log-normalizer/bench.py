"""Benchmark: log-normalizer end to end, tail -> parse -> normalize -> Forward (acks), against a receiver that acks.

Throughput: one file of LINES lines, generated here deterministically (nginx combined, or syslog RFC 3164 and 5424
mixed), read from its beginning by a fresh log-normalizer (NativeAOT, as the image ships it, with the image's runtime
settings) with a fresh state and buffer directory, shipping to a fresh receiver (ForwardBench's `receive`, which acks
every chunk at once and counts records). The clock runs from the start of the process until the receiver has
counted every line (so start-up and the last ack are in); then, before the process is stopped:
  CPU s       utime+stime of the log-normalizer process, all threads (/proc/<pid>/stat)
  peak RSS    its VmHWM
  lines/CPU-s LINES / CPU s, the per-core figure;  MiB/CPU-s: the file's bytes / CPU s
  lines/s     LINES / wall seconds;                 MiB/s: the file's bytes / wall seconds
Each configuration runs RUNS times, taking turns, and the table shows medians. "1 core" runs the log-normalizer under
`taskset -c 0` (and the receiver on the other core), as the reference was run.

Fluent Bit is not run here (no package on this machine): its figures are a REFERENCE measured elsewhere, printed as
such with the ratios against them (nginx only: the reference has no syslog run). Everything of ours is measured.

Latency: a writer appends nginx lines at 10,000 lines/s for about 10 s, each carrying its write time (CLOCK_REALTIME,
ns) in its path (/t/<ns>); a Python Forward receiver (in this file, `receive-latency`) acks every chunk and takes each
record's arrival time: delay = arrival - write. The record's observed_timestamp (when log-normalizer read the line)
splits it into write -> read (tailing) and read -> arrival (commit, disk buffer, chunking, the wire).
"""
import datetime
import gzip
import http.client
import json
import re
import os
import random
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from procstats import free_port, cpu_seconds, percentile, machine  # noqa: E402

DATA_DIR = "artifacts/bench/log-normalizer"
GENERATOR_VERSION = 2

# Fluent Bit 5.1.1, measured elsewhere on a 2-core machine: 1,000,000 nginx combined lines (156 MiB), tail -> nginx
# regex parser -> forward with Require_ack_response into a second Fluent Bit, pinned to one core.
REFERENCE = dict(name="Fluent Bit 5.1.1", lines=1_000_000, mib=156, cpu=4.2, lines_per_cpu=238_000, mib_per_cpu=37,
                 wall=7.6, lines_per_s=131_000, rss=57)

# Bounded waits: a run may take this long per million lines before it counts as hung; start-up and stop are bounded.
RUN_SECONDS_PER_MILLION = 300
RUN_MIN_SECONDS = 60
READY_SECONDS = 30
STOP_SECONDS = 30
LATENCY_RATE = 10_000
LATENCY_SECONDS = 10
LATENCY_DRAIN_SECONDS = 60


# ---------------------------------------------------------------------------------------------------------- data

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

USER_AGENTS = [
    # (weight, user agent): browsers of realistic length, and the short clients that make up much of a real log
    (10, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"),
    (4, "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15"),
    (4, "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"),
    (5, "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36"),
    (4, "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"),
    (3, "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"),
    (10, "kube-probe/1.30"),
    (10, "Prometheus/2.51.2"),
    (10, "Go-http-client/1.1"),
    (8, "curl/8.5.0"),
    (8, "okhttp/4.12.0"),
    (6, "python-requests/2.31.0"),
    (4, "Shop/5.12.1 (iPhone; iOS 17.4.1; Scale/3.00)"),
    (3, "ELB-HealthChecker/2.0"),
]
PATHS = ["/", "/healthz", "/metrics", "/api/v1/products", "/api/v1/products/{id}", "/api/v1/cart", "/api/v1/orders/{id}",
         "/api/v2/search", "/static/js/app.{hex}.js", "/static/css/main.{hex}.css", "/images/p/{id}.webp", "/login",
         "/account/orders", "/favicon.ico", "/robots.txt", "/checkout"]
PATH_WEIGHTS = [6, 10, 8, 10, 12, 6, 5, 8, 7, 4, 10, 2, 2, 3, 1, 2]
QUERIES = ["", "", "", "", "?page={n}", "?q=shoes&page={n}", "?sort=price&order=asc", "?utm_source=newsletter&utm_medium=email",
           "?id={id}", "?lang=en-US"]
STATUSES = [200] * 80 + [304] * 6 + [301, 302] + [404] * 6 + [401, 403, 499] + [500, 502, 503]
METHODS = ["GET"] * 90 + ["POST"] * 7 + ["PUT", "DELETE", "HEAD"]
REFERERS = ["-"] * 6 + ["https://shop.example.com/", "https://shop.example.com/api/v1/products", "https://www.google.com/",
                        "https://shop.example.com/checkout"]


def nginx_lines(n, rng):
    """n nginx combined lines, one a second apart from a fixed start (the parser needs no order, but a log has it)."""
    agents = [a for _, a in USER_AGENTS]
    weights = [w for w, _ in USER_AGENTS]
    t = datetime.datetime(2026, 3, 2, 6, 0, 0, tzinfo=datetime.timezone.utc)
    second = t.timestamp()
    stamp, stamp_at = None, None
    for i in range(n):
        now = int(second + i * 86400 / max(n, 1))
        if now != stamp_at:
            d = datetime.datetime.fromtimestamp(now, datetime.timezone.utc)
            stamp = f"{d.day:02d}/{MONTHS[d.month - 1]}/{d.year}:{d.hour:02d}:{d.minute:02d}:{d.second:02d} +0000"
            stamp_at = now
        ip = f"{rng.choice((10, 172, 192, 203, 198, 81, 94))}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        path = rng.choices(PATHS, PATH_WEIGHTS)[0]
        path = path.replace("{id}", str(rng.randrange(1, 100000))).replace("{hex}", f"{rng.getrandbits(32):08x}")
        query = rng.choice(QUERIES).replace("{n}", str(rng.randrange(1, 40))).replace("{id}", str(rng.randrange(1, 100000)))
        status = rng.choice(STATUSES)
        size = 0 if status in (304, 301, 302) else rng.randrange(40, 60000)
        user = "-" if rng.random() < 0.97 else "alice"
        yield (f'{ip} - {user} [{stamp}] "{rng.choice(METHODS)} {path}{query} HTTP/1.1" {status} {size} '
               f'"{rng.choice(REFERERS)}" "{rng.choices(agents, weights)[0]}"\n')


HOSTS = ["web-1", "web-2", "db-1", "cache-1", "lb-1.prod.example.com"]
SYSLOG_MESSAGES = [
    ("sshd", "Accepted publickey for deploy from 10.1.{a}.{b} port {port} ssh2: ED25519 SHA256:{hex}"),
    ("sshd", "Connection closed by authenticating user root 203.0.113.{b} port {port} [preauth]"),
    ("CRON", "(root) CMD (/usr/local/bin/backup.sh --incremental > /dev/null 2>&1)"),
    ("systemd", "Started user@{n}.service - User Manager for UID {n}."),
    ("kernel", "[{n}.{port}] TCP: request_sock_TCP: Possible SYN flooding on port 443. Sending cookies."),
    ("postfix/smtp", "{hex}: to=<user{n}@example.org>, relay=mx.example.org[198.51.100.{b}]:25, delay=0.{a}, status=sent (250 OK)"),
    ("dockerd", "level=info msg=\"ignoring event\" container={hex}{hex} module=libcontainerd namespace=moby"),
    ("nginx", "worker process {port} exited on signal 9"),
]


def syslog_lines(n, rng):
    """n syslog lines, half RFC 3164 (with priority) and half RFC 5424 (with and without structured data)."""
    start = datetime.datetime(2026, 3, 2, 6, 0, 0, tzinfo=datetime.timezone.utc).timestamp()
    for i in range(n):
        t = start + i * 86400 / max(n, 1)
        d = datetime.datetime.fromtimestamp(t, datetime.timezone.utc)
        app, text = rng.choice(SYSLOG_MESSAGES)
        text = (text.replace("{a}", str(rng.randrange(256))).replace("{b}", str(rng.randrange(1, 255)))
                .replace("{port}", str(rng.randrange(1024, 65536))).replace("{hex}", f"{rng.getrandbits(40):010x}")
                .replace("{n}", str(rng.randrange(1, 100000))))
        pri = rng.choice((4, 1, 3, 10)) * 8 + rng.choice((6, 6, 6, 5, 4, 3))
        host = rng.choice(HOSTS)
        pid = rng.randrange(100, 40000)
        if i % 2 == 0:
            yield f"<{pri}>{MONTHS[d.month - 1]} {d.day:2d} {d.hour:02d}:{d.minute:02d}:{d.second:02d} {host} {app}[{pid}]: {text}\n"
        else:
            sd = "-" if rng.random() < 0.6 else f'[meta@32473 seq="{i}" region="eu-west-1"]'
            yield (f"<{pri}>1 {d.year}-{d.month:02d}-{d.day:02d}T{d.hour:02d}:{d.minute:02d}:{d.second:02d}.{d.microsecond // 1000:03d}Z "
                   f"{host} {app.replace('/', '-')} {pid} ID{rng.randrange(1, 99)} {sd} {text}\n")


def data_file(kind, n):
    """The data file of this kind and size, generated once (same seed, same bytes) and reused."""
    os.makedirs(DATA_DIR, exist_ok=True)
    path = os.path.abspath(os.path.join(DATA_DIR, f"{kind}-v{GENERATOR_VERSION}-{n}.log"))
    if not os.path.exists(path):
        rng = random.Random(f"{kind}-{GENERATOR_VERSION}")
        lines = nginx_lines(n, rng) if kind == "nginx" else syslog_lines(n, rng)
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="ascii") as f:
            batch = []
            for line in lines:
                batch.append(line)
                if len(batch) == 10000:
                    f.write("".join(batch))
                    batch.clear()
            f.write("".join(batch))
        os.replace(tmp, path)
    return path


# ------------------------------------------------------------------------------------------ log-normalizer process

def image_runtime_settings():
    """The image's own runtime settings: the ContainerEnvironmentVariable items of log-normalizer's project file
    (BENCH_GCGEN0SIZE, when set, replaces its DOTNET_GCgen0size, to compare budgets)."""
    project = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "adapters", "log-normalizer", "log-normalizer.csproj")
    with open(project, encoding="utf-8") as f:
        text = f.read()
    settings = dict(re.findall(r'<ContainerEnvironmentVariable Include="([^"]+)" Value="([^"]*)"', text))
    if os.environ.get("BENCH_GCGEN0SIZE"):
        settings["DOTNET_GCgen0size"] = os.environ["BENCH_GCGEN0SIZE"]
    return settings


def lognorm_env(inputs, fluentd_port, state, admin_port):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LOGNORM_", "LOG_", "DOTNET_"))}
    env.update({
        # The image's runtime settings (Directory.Build.props: ContainerEnvironmentVariable).
        "DOTNET_EnableDiagnostics": "0", "DOTNET_gcServer": "0", **image_runtime_settings(),
        "LOGNORM_INPUTS": inputs,
        "LOGNORM_START_AT": "beginning",
        "LOGNORM_OUTPUTS": "fluentd",
        "LOGNORM_FLUENTD_ADDR": f"127.0.0.1:{fluentd_port}",
        "LOGNORM_STATE_DIR": os.path.join(state, "state"),
        "LOGNORM_BUFFER_DIR": os.path.join(state, "buffer"),
        "LOGNORM_ADMIN_ADDR": f"127.0.0.1:{admin_port}",
        "LOG_LEVEL": "warn",
    })
    return env


def vm_hwm(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def http_get(port, path, timeout=5):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


def metric(text, name):
    """Sum of a metric's samples (all label sets) in a Prometheus text page."""
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name) and line[len(name):len(name) + 1] in ("{", " "):
            total += float(line.rsplit(" ", 1)[1])
    return total


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=STOP_SECONDS)


def stderr_tail(err):
    err.seek(0)
    return err.read().decode(errors="replace")[-2000:]


@contextmanager
def deadline(seconds, what):
    """Bounds a block that may block in a read (a receiver that hangs): SIGALRM raises, and the finally blocks stop
    the processes."""
    def expired(signum, frame):
        raise SystemExit(f"{what}: still running after {seconds:.0f} s, given up")
    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# ----------------------------------------------------------------------------------------------- throughput

class Receiver:
    """ForwardBench's `receive`: acks every chunk at once, counts records; `count` on stdin prints its counters."""

    def __init__(self, binary, cpu=None):
        self.port = free_port()
        argv = (["taskset", "-c", cpu] if cpu else []) + [binary, "receive", str(self.port), "count"]
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if json.loads(line or "{}").get("listening") != self.port:
            self.proc.kill()
            raise SystemExit(f"the receiver did not start: {line!r}")

    def counts(self):
        self.proc.stdin.write("count\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def stop(self):
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def throughput_run(binary, receiver_binary, path, fmt, lines, pinned):
    receiver = Receiver(receiver_binary, cpu="1" if pinned else None)
    state = tempfile.mkdtemp(prefix="lognorm-bench-")
    admin = free_port()
    env = lognorm_env(f"{path}|{fmt}", receiver.port, state, admin)
    argv = (["taskset", "-c", "0"] if pinned else []) + [binary]
    limit = max(RUN_MIN_SECONDS, RUN_SECONDS_PER_MILLION * lines / 1e6)
    with tempfile.TemporaryFile() as err:
        start = time.monotonic()
        proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
        try:
            while True:
                counts = receiver.counts()
                if counts["records"] >= lines:
                    break
                if proc.poll() is not None:
                    raise SystemExit(f"log-normalizer exited ({proc.returncode}) with {counts['records']} of {lines} "
                                     f"records received: {stderr_tail(err)}")
                if time.monotonic() - start > limit:
                    raise SystemExit(f"{fmt}: only {counts['records']} of {lines} records after {limit:.0f} s: {stderr_tail(err)}")
                time.sleep(0.02)
            wall = time.monotonic() - start
            cpu = cpu_seconds(proc.pid)
            hwm = vm_hwm(proc.pid)
            status, page = http_get(admin, "/metrics")
            if status != 200:
                raise SystemExit(f"/metrics answered {status}")
        finally:
            stop(proc)
            receiver.stop()
            subprocess.run(["rm", "-rf", state], check=False)
    size = os.path.getsize(path)
    parse_errors = metric(page, "lognorm_parse_errors_total")
    return dict(wall=wall, cpu=cpu, rss=hwm / 2**20, lines_per_cpu=lines / cpu, mib_per_cpu=size / 2**20 / cpu,
                lines_per_s=lines / wall, mib_per_s=size / 2**20 / wall, parse_errors=parse_errors,
                backpressure=metric(page, "lognorm_backpressure_seconds_total"),
                duplicates=counts["records"] - lines, wire=counts["wire_bytes"] / 2**20, chunks=counts["chunks"])


# -------------------------------------------------------------------------------------------------- latency

def event_time_hook(code, data):
    if code == 0 and len(data) == 8:
        return struct.unpack(">II", data)
    import msgpack
    return msgpack.ExtType(code, data)


def rfc3339_nanos(text):
    """2026-12-07T08:00:00.123456789Z -> Unix ns (the record's observed_timestamp)."""
    base, _, fraction = text.rstrip("Z").partition(".")
    seconds = datetime.datetime.strptime(base, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc).timestamp()
    return int(seconds) * 1_000_000_000 + int((fraction + "000000000")[:9])


def receive_latency():
    """A Forward server for the latency run: acks every chunk, keeps (write, read, arrival) ns of each record whose
    url.path is /t/<write ns>. Prints {"listening": port}; "count" on stdin prints the count; end of stdin, the result."""
    import msgpack
    lock = threading.Lock()
    samples = []
    other = [0]
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    port = server.getsockname()[1]

    def records(message):
        if message is None or not isinstance(message, list) or len(message) < 2:
            return [], None
        option = message[-1] if isinstance(message[-1], dict) else None
        body = message[1]
        if isinstance(body, (bytes, str)):
            data = body.encode("latin-1") if isinstance(body, str) else body
            if option and option.get("compressed") == "gzip":
                data = gzip.decompress(data)
            unpacker = msgpack.Unpacker(raw=False, ext_hook=event_time_hook, strict_map_key=False)
            unpacker.feed(data)
            entries = [entry[1] for entry in unpacker]
        elif isinstance(body, list):
            entries = [entry[1] for entry in body]
        else:
            entries = [message[2]]
        return entries, option

    def serve(conn):
        unpacker = msgpack.Unpacker(raw=False, ext_hook=event_time_hook, strict_map_key=False, max_buffer_size=64 << 20)
        with conn:
            while True:
                data = conn.recv(1 << 20)
                arrival = time.time_ns()
                if not data:
                    return
                unpacker.feed(data)
                for message in unpacker:
                    entries, option = records(message)
                    batch = []
                    for record in entries:
                        path = (record.get("attributes") or {}).get("url.path", "")
                        if path.startswith("/t/"):
                            batch.append((int(path[3:]), rfc3339_nanos(record["observed_timestamp"]), arrival))
                    with lock:
                        samples.extend(batch)
                        other[0] += len(entries) - len(batch)
                    if option and "chunk" in option:
                        conn.sendall(msgpack.packb({"ack": option["chunk"]}))

    def accept():
        while True:
            conn, _ = server.accept()
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    print(json.dumps({"listening": port}), flush=True)
    for line in sys.stdin:
        if line.strip() == "count":
            with lock:
                print(json.dumps({"records": len(samples), "other": other[0]}), flush=True)
    with lock:
        delays = [(a - w) / 1e6 for w, _, a in samples]
        tail = [(r - w) / 1e6 for w, r, _ in samples]
        ship = [(a - r) / 1e6 for _, r, a in samples]
    summary = dict(records=len(samples), other=other[0])
    for name, values in (("delay", delays), ("read", tail), ("ship", ship)):
        if values:
            summary[name] = dict(p50=percentile(values, 50), p99=percentile(values, 99), max=max(values), min=min(values),
                                 mean=statistics.fmean(values))
    print(json.dumps(summary), flush=True)


def latency_run(binary):
    receiver = subprocess.Popen(["/usr/bin/python3", os.path.abspath(__file__), "receive-latency"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True)
    line = receiver.stdout.readline()
    port = json.loads(line or "{}").get("listening")
    if not port:
        receiver.kill()
        raise SystemExit(f"the latency receiver did not start: {line!r}")
    state = tempfile.mkdtemp(prefix="lognorm-latency-")
    log = os.path.join(state, "access.log")
    open(log, "w").close()
    admin = free_port()
    total = LATENCY_RATE * LATENCY_SECONDS
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([binary], env=lognorm_env(f"{log}|nginx", port, state, admin), stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=err)
        try:
            deadline = time.monotonic() + READY_SECONDS
            while True:
                try:
                    if http_get(admin, "/readyz", timeout=1)[0] == 200:
                        break
                except OSError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"log-normalizer was not ready within {READY_SECONDS} s: {stderr_tail(err)}")
                time.sleep(0.05)
            cpu_before = cpu_seconds(proc.pid)
            written = write_paced(log, total)
            deadline = time.monotonic() + LATENCY_DRAIN_SECONDS
            while True:
                receiver.stdin.write("count\n")
                receiver.stdin.flush()
                counts = json.loads(receiver.stdout.readline())
                if counts["records"] >= written:
                    break
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"latency: {counts['records']} of {written} records arrived: {stderr_tail(err)}")
                time.sleep(0.05)
            cpu = cpu_seconds(proc.pid) - cpu_before
            hwm = vm_hwm(proc.pid)
        finally:
            stop(proc)
            subprocess.run(["rm", "-rf", state], check=False)
    receiver.stdin.close()
    try:
        summary = json.loads(receiver.stdout.readline())
        receiver.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        receiver.kill()
        raise SystemExit("the latency receiver did not stop")
    summary.update(written=written, cpu=cpu, rss=hwm / 2**20)
    return summary


def write_paced(path, total):
    """Appends `total` nginx lines at LATENCY_RATE lines/s, in 1 ms steps; each line carries the ns it is written at."""
    rng = random.Random("latency")
    user_agent = USER_AGENTS[0][1]
    written = 0
    start = time.monotonic()
    with open(path, "a", encoding="ascii") as f:
        while written < total:
            due = min(total, int((time.monotonic() - start) * LATENCY_RATE) + 1)
            if due > written:
                now = time.time_ns()
                d = datetime.datetime.fromtimestamp(now / 1e9, datetime.timezone.utc)
                stamp = f"{d.day:02d}/{MONTHS[d.month - 1]}/{d.year}:{d.hour:02d}:{d.minute:02d}:{d.second:02d} +0000"
                batch = [f'10.0.{rng.randrange(256)}.{rng.randrange(1, 255)} - - [{stamp}] "GET /t/{now}?page={i % 40} HTTP/1.1" '
                         f'200 {rng.randrange(40, 60000)} "-" "{user_agent}"\n' for i in range(written, due)]
                f.write("".join(batch))
                f.flush()
                written = due
            time.sleep(0.001)
    return written


# ----------------------------------------------------------------------------------------------------- main

def main():
    binary, receiver_binary, lines, runs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    binary, receiver_binary = os.path.abspath(binary), os.path.abspath(receiver_binary)
    files = {kind: data_file(kind, lines) for kind in ("nginx", "syslog")}
    configs = [
        ("nginx, 2 cores", "nginx", False),
        ("nginx, 1 core (taskset -c 0)", "nginx", True),
        ("syslog, 2 cores", "syslog", False),
        ("syslog, 1 core (taskset -c 0)", "syslog", True),
    ]
    results = {name: [] for name, _, _ in configs}
    loads = []
    for _ in range(runs):
        for name, kind, pinned in configs:
            load = os.getloadavg()[0]
            loads.append(load)
            limit = max(RUN_MIN_SECONDS, RUN_SECONDS_PER_MILLION * lines / 1e6) + 2 * STOP_SECONDS + READY_SECONDS
            with deadline(limit, f"the run {name}"):
                results[name].append(throughput_run(binary, receiver_binary, files[kind], kind, lines, pinned) | {"load": load})
    load_latency = os.getloadavg()[0]
    with deadline(READY_SECONDS + LATENCY_SECONDS + LATENCY_DRAIN_SECONDS + 3 * STOP_SECONDS, "the latency run"):
        latency = latency_run(binary)

    med = statistics.median
    print(f"machine: {machine()}")
    print(f"load average (1 min) before the throughput runs: {min(loads):.2f} to {max(loads):.2f}; before the latency run: {load_latency:.2f}")
    for kind, path in files.items():
        size = os.path.getsize(path)
        print(f"{kind}: {lines:,} lines, {size / 2**20:.1f} MiB ({size / lines:.0f} bytes a line), {os.path.basename(path)}")
    print(f"medians of {runs} runs; a fresh receiver, state and buffer per run; clock from process start to the last record counted\n")
    print("| configuration | lines | wall s | CPU s | lines / CPU-s | MiB / CPU-s | lines/s | MiB/s | peak RSS MiB | parse errors | duplicates | backpressure s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    rows = {}
    for name, _, _ in configs:
        rs = results[name]
        row = {k: med(r[k] for r in rs) for k in rs[0] if k != "load"}
        row["duplicates"] = sum(r["duplicates"] for r in rs)
        rows[name] = row
        print(f"| {name} | {lines:,} | {row['wall']:.2f} | {row['cpu']:.2f} | {row['lines_per_cpu']:,.0f} | {row['mib_per_cpu']:.1f} | "
              f"{row['lines_per_s']:,.0f} | {row['mib_per_s']:.1f} | {row['rss']:.1f} | {row['parse_errors']:.0f} | {row['duplicates']} | {row['backpressure']:.2f} |")
    print("\nevery run (lines / CPU-s, wall, the 1-min load average before it):")
    for name, _, _ in configs:
        print(f"  {name}: " + ", ".join(f"{r['lines_per_cpu'] / 1000:.0f}k {r['wall']:.1f} s (load {r['load']:.1f})" for r in results[name]))

    ref = REFERENCE
    print(f"\nREFERENCE, not run here (no package on this machine): {ref['name']}, measured elsewhere on a 2-core machine, pinned to one core, "
          f"{ref['lines']:,} nginx combined lines ({ref['mib']} MiB), tail -> nginx regex parser -> forward with Require_ack_response "
          f"into a second Fluent Bit: {ref['cpu']} CPU s, {ref['lines_per_cpu']:,} lines / CPU-s, {ref['mib_per_cpu']} MiB / CPU-s, "
          f"{ref['wall']} s wall, {ref['lines_per_s']:,} lines/s, {ref['rss']} MiB peak RSS")
    print("\nratios, ours / the reference (nginx; lines and MiB per CPU-s, lines/s: higher is better; RSS: lower is better)\n")
    print("| ours | lines / CPU-s | MiB / CPU-s | lines/s | peak RSS |")
    print("|---|---|---|---|---|")
    for name, kind, _ in configs:
        if kind != "nginx":
            continue
        o = rows[name]
        print(f"| {name} | {o['lines_per_cpu'] / ref['lines_per_cpu']:.2f} | {o['mib_per_cpu'] / ref['mib_per_cpu']:.2f} | "
              f"{o['lines_per_s'] / ref['lines_per_s']:.2f} | {o['rss'] / ref['rss']:.2f} |")

    print(f"\nlatency: nginx lines written at {LATENCY_RATE:,} lines/s for {LATENCY_SECONDS} s ({latency['written']:,} lines), "
          f"{latency['records']:,} records received with their write time; log-normalizer used {latency['cpu']:.2f} CPU s "
          f"({latency['cpu'] / LATENCY_SECONDS * 100:.0f}% of a core), peak RSS {latency['rss']:.1f} MiB\n")
    print("| ms | p50 | p99 | max | min | mean |")
    print("|---|---|---|---|---|---|")
    for key, label in (("delay", "write -> arrival (end to end)"), ("read", "write -> read (observed_timestamp)"), ("ship", "read -> arrival")):
        s = latency.get(key)
        if s:
            print(f"| {label} | {s['p50']:.0f} | {s['p99']:.0f} | {s['max']:.0f} | {s['min']:.0f} | {s['mean']:.0f} |")


if __name__ == "__main__":
    if sys.argv[1:2] == ["receive-latency"]:
        receive_latency()
    else:
        main()
