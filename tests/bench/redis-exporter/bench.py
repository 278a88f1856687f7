"""Benchmark: our redis-exporter against the peer, prometheus-redis-exporter (oliver006/redis_exporter 1.45).

One redis-server holds 10,000 keys in 4 databases and has run 100 distinct commands, so INFO's cmdstat and
latency sections are as long as on a busy production Redis. Both exporters scrape it with default settings.
Scrapes alternate between them, one HTTP GET of /metrics each on a kept-alive connection, so both see the
same Redis at the same time. CPU is each exporter's utime+stime (from /proc) over the measured scrapes; RSS is
VmRSS after them.
"""
import http.client
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from procstats import free_port, cpu_seconds, rss_bytes, percentile, machine  # noqa: E402

# 100 distinct entries of Redis' cmdstat (subcommands count apart: config|get, client|list, ...).
COMMANDS = """
SET s:1 1
GET s:1
INCR s:1
INCRBY s:1 2
DECR s:1
DECRBY s:1 2
INCRBYFLOAT s:f 1.5
APPEND s:2 abc
STRLEN s:2
GETRANGE s:2 0 1
SETRANGE s:2 0 x
MSET s:3 a s:4 b
MGET s:3 s:4
SETNX s:5 a
SETEX s:6 100 a
PSETEX s:7 100000 a
GETSET s:8 a
GETDEL s:8
GETEX s:3 EX 100
LPUSH l:1 a b c
RPUSH l:1 d
LPOP l:1
RPOP l:1
LLEN l:1
LRANGE l:1 0 -1
LINDEX l:1 0
LSET l:1 0 z
LINSERT l:1 BEFORE z y
LREM l:1 1 y
LTRIM l:1 0 10
RPOPLPUSH l:1 l:2
LMOVE l:2 l:1 LEFT RIGHT
LPOS l:1 z
HSET h:1 a 1 b 2
HGET h:1 a
HMGET h:1 a b
HGETALL h:1
HDEL h:1 b
HLEN h:1
HEXISTS h:1 a
HINCRBY h:1 a 1
HINCRBYFLOAT h:1 a 1.5
HKEYS h:1
HVALS h:1
HSETNX h:1 c 3
HSTRLEN h:1 a
HRANDFIELD h:1
SADD z:s a b c
SREM z:s c
SMEMBERS z:s
SISMEMBER z:s a
SCARD z:s
SPOP z:s
SRANDMEMBER z:s
SUNION z:s z:t
SINTER z:s z:t
SDIFF z:s z:t
SMISMEMBER z:s a b
ZADD z:1 1 a 2 b
ZSCORE z:1 a
ZRANGE z:1 0 -1
ZREVRANGE z:1 0 -1
ZRANK z:1 a
ZREVRANK z:1 a
ZCARD z:1
ZCOUNT z:1 0 10
ZINCRBY z:1 1 a
ZREM z:1 b
ZRANGEBYSCORE z:1 0 10
ZPOPMIN z:1
ZMSCORE z:1 a
EXISTS s:1
DEL s:7
UNLINK s:6
EXPIRE s:1 1000
PEXPIRE s:2 1000000
TTL s:1
PTTL s:1
PERSIST s:1
TYPE s:1
RENAME s:3 s:33
RANDOMKEY
TOUCH s:1
OBJECT ENCODING s:1
MEMORY USAGE s:1
DBSIZE
PING
ECHO hi
TIME
LASTSAVE
CONFIG GET maxmemory
CLIENT LIST
CLIENT GETNAME
CLIENT ID
COMMAND COUNT
SLOWLOG LEN
LATENCY LATEST
SCAN 0
HSCAN h:1 0
SSCAN z:s 0
ZSCAN z:1 0
XADD x:1 * a 1
XLEN x:1
XRANGE x:1 - +
PFADD p:1 a b
PFCOUNT p:1
SETBIT b:1 7 1
GETBIT b:1 7
BITCOUNT b:1
"""


def wait_http(port, path, deadline=30):
    end = time.time() + deadline
    while time.time() < end:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            c.request("GET", path)
            if c.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"nothing answered on port {port} within {deadline} s")


def cli(port, *args, stdin=None):
    return subprocess.run(["redis-cli", "-p", str(port), *args], input=stdin, capture_output=True, text=True, check=True).stdout


def start_busy_redis(port, workdir):
    """The benchmark's Redis: 10,000 keys in 4 databases and the distinct commands of COMMANDS in its stats."""
    redis = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", workdir],
                             stdout=subprocess.DEVNULL)
    try:
        end = time.time() + 30
        while True:
            try:
                if cli(port, "PING").strip() == "PONG":
                    break
            except subprocess.CalledProcessError:
                pass
            if time.time() > end:
                raise SystemExit("redis-server did not start")
            time.sleep(0.1)
        for db in range(4):
            cli(port, "-n", str(db), "EVAL", "for i=1,2500 do redis.call('SET','key:'..i,i) end return 1", "0")
        cli(port, stdin=COMMANDS.strip() + "\n")
    except BaseException:
        redis.kill()
        raise
    return redis


def main():
    ours_binary, scrapes = sys.argv[1], int(sys.argv[2])
    workdir = tempfile.mkdtemp(prefix="redis-bench-")
    redis_port, peer_port, ours_port = free_port(), free_port(), free_port()
    procs = [start_busy_redis(redis_port, workdir)]
    try:
        info = cli(redis_port, "INFO", "commandstats")
        distinct = sum(1 for line in info.splitlines() if line.startswith("cmdstat_"))
        keys = sum(int(cli(redis_port, "-n", str(db), "DBSIZE")) for db in range(4))

        addr = f"redis://127.0.0.1:{redis_port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("REDIS_")}
        peer = subprocess.Popen(["prometheus-redis-exporter"], env={**env, "REDIS_ADDR": addr, "REDIS_EXPORTER_WEB_LISTEN_ADDRESS": f"127.0.0.1:{peer_port}"},
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(peer)
        # BENCH_OURS_ENV="NAME=value,..." tries settings on ours alone (what does a feature cost?).
        extra = dict(kv.split("=", 1) for kv in os.environ.get("BENCH_OURS_ENV", "").split(",") if kv)
        ours = subprocess.Popen([ours_binary], env={**env, **extra, "REDIS_ADDR": addr, "REDIS_EXPORTER_WEB_LISTEN_ADDRESS": f"127.0.0.1:{ours_port}", "LOG_LEVEL": "warn"},
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(ours)
        # The same binary with a 2 MB gen0 budget, which only an environment variable sets (NativeAOT has no
        # runtimeconfig knob for it): what an image that sets DOTNET_GCgen0size gets.
        small_port = free_port()
        small = subprocess.Popen([ours_binary], env={**env, **extra, "DOTNET_GCgen0size": "200000", "REDIS_ADDR": addr,
                                 "REDIS_EXPORTER_WEB_LISTEN_ADDRESS": f"127.0.0.1:{small_port}", "LOG_LEVEL": "warn"},
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(small)
        wait_http(peer_port, "/health")
        wait_http(ours_port, "/health")
        wait_http(small_port, "/health")

        subjects = {"reference": (peer, peer_port), "ours": (ours, ours_port), "ours, DOTNET_GCgen0size=200000": (small, small_port)}
        conns = {name: http.client.HTTPConnection("127.0.0.1", port, timeout=30) for name, (_, port) in subjects.items()}
        sizes = {}

        def scrape(name):
            c = conns[name]
            t = time.perf_counter()
            c.request("GET", "/metrics")
            r = c.getresponse()
            body = r.read()
            elapsed = time.perf_counter() - t
            if r.status != 200 or b"redis_up 1" not in body:
                raise SystemExit(f"{name}: bad scrape ({r.status})")
            sizes[name] = len(body)
            return elapsed

        for _ in range(50):  # warm-up: JIT, connection set-up, Go's GC sizing
            for name in subjects:
                scrape(name)
        latencies = {name: [] for name in subjects}
        cpu_before = {name: cpu_seconds(p.pid) for name, (p, _) in subjects.items()}
        for _ in range(scrapes):
            for name in subjects:
                latencies[name].append(scrape(name))
        cpu = {name: cpu_seconds(p.pid) - cpu_before[name] for name, (p, _) in subjects.items()}
        rss = {name: rss_bytes(p.pid) for name, (p, _) in subjects.items()}

        rows = []
        for name in subjects:
            rows.append((name, statistics.median(latencies[name]) * 1e3, percentile(latencies[name], 99) * 1e3,
                         cpu[name] / scrapes * 1000, rss[name] / 2**20, sizes[name] / 1024))
        print(f"machine: {machine()}")
        print(f"redis: {keys} keys in 4 databases, {distinct} distinct commands in INFO commandstats; {scrapes} scrapes each, alternating\n")
        print("| exporter | median ms | p99 ms | CPU s / 1000 scrapes | RSS MiB | body KiB |")
        print("|---|---|---|---|---|---|")
        for r in rows:
            print(f"| {r[0]} | {r[1]:.2f} | {r[2]:.2f} | {r[3]:.2f} | {r[4]:.1f} | {r[5]:.1f} |")
        ref = rows[0]
        for mine in rows[1:]:
            print(f"| {mine[0]} / reference | {mine[1] / ref[1]:.2f} | {mine[2] / ref[2]:.2f} | {mine[3] / ref[3]:.2f} | {mine[4] / ref[4]:.2f} | {mine[5] / ref[5]:.2f} |")
    finally:
        for p in procs:
            p.kill()
            p.wait()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
