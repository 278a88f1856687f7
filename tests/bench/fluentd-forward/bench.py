"""Benchmark: the Forward client (libs/Sidecars.Fluentd) against fluent-logger-golang 1.9.0, the client Docker's
fluentd log driver uses.

One producer process posts the same log record (level, message, template, component and a few string and number
properties, about 280 bytes of msgpack) RECORDS times as fast as it can, then waits until the last record is
delivered: acknowledged when it asks for acks, written otherwise. The receiver is another process on 127.0.0.1
(ForwardBench's `receive`) that acks every chunk that asks at once, so the figures are the clients' and not a
Fluentd's. A fresh receiver serves each producer run; the configurations take turns in every round, so all see the
same machine. Figures per run:
  records/s   RECORDS / time from the first post to the last delivery (the producer measures it itself)
  MiB/s       of record payload: RECORDS x the msgpack length of the record map alone (no time, no framing)
  CPU s/1M    the producer's utime+stime, whole process, start-up included (getrusage of the child)
  peak RSS    the producer's ru_maxrss
  delivered   seconds from the first post to the last delivery
  wire MiB    bytes the receiver read, all framing and compression included
The receiver must count at least RECORDS records per run (at-least-once: more are duplicates, reported), or the
benchmark fails.
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from procstats import free_port, cpu_seconds, machine  # noqa: E402

# Bounded waits: a producer may take this long per million records before it counts as hung (the peer's sync mode
# needs about 80 s per million here), and the receiver this long to count what a finished producer sent.
PRODUCER_SECONDS_PER_MILLION = 600
PRODUCER_MIN_SECONDS = 60
RECEIVER_SETTLE_SECONDS = 30


class Receiver:
    def __init__(self, binary, mode):
        self.port = free_port()
        self.proc = subprocess.Popen([binary, "receive", str(self.port), mode], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if json.loads(line or "{}").get("listening") != self.port:
            self.proc.kill()
            raise SystemExit(f"the receiver did not start: {line!r}")

    def counts(self):
        self.proc.stdin.write("count\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def settle(self, records):
        """Counts once the producer's connections are closed and every record is in, or when the wait runs out."""
        deadline = time.monotonic() + RECEIVER_SETTLE_SECONDS
        while True:
            c = self.counts()
            if (c["open"] == 0 and c["records"] >= records) or time.monotonic() > deadline:
                return c
            time.sleep(0.05)

    def stop(self):
        cpu = cpu_seconds(self.proc.pid)
        self.proc.stdin.close()
        self.proc.wait(timeout=30)
        return cpu


def produce(argv, records):
    """Runs one producer to its end; returns its JSON line and its rusage."""
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err)
        limit = max(PRODUCER_MIN_SECONDS, PRODUCER_SECONDS_PER_MILLION * records / 1e6)
        killer = threading.Timer(limit, proc.kill)
        killer.start()
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        killer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}, limit {limit:.0f} s): {err.read().decode()[-2000:]}")
    return json.loads(out), usage


def main():
    ours, peer, records, runs, peer_records = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    mode = os.environ.get("BENCH_RECEIVER", "count")
    configs = [
        ("ours, PackedForward + ack", records, lambda a: [ours, "produce", a, str(records), "ack", "plain"]),
        ("ours, CompressedPackedForward (gzip) + ack", records, lambda a: [ours, "produce", a, str(records), "ack", "gzip"]),
        ("ours, PackedForward, no ack", records, lambda a: [ours, "produce", a, str(records), "noack", "plain"]),
        ("fluent-logger-golang, sync + ack", peer_records, lambda a: [peer, a, str(peer_records), "sync"]),
        ("fluent-logger-golang, async + ack", peer_records, lambda a: [peer, a, str(peer_records), "async"]),
    ]
    results = {name: [] for name, _, _ in configs}
    record_bytes = {}
    for _ in range(runs):
        for name, n, argv in configs:
            receiver = Receiver(ours, mode)
            try:
                line, usage = produce(argv(f"127.0.0.1:{receiver.port}"), n)
                counts = receiver.settle(n)
            finally:
                receiver_cpu = receiver.stop()
            if counts["records"] < n or counts["errors"] != 0:
                raise SystemExit(f"{name}: the receiver counted {counts['records']} of {n} records, {counts['errors']} errors: {counts}")
            record_bytes[name] = line["record_bytes"]
            elapsed = line["delivered_seconds"]
            results[name].append(dict(
                records=n,
                rate=n / elapsed,
                mibs=n * line["record_bytes"] / elapsed / 2**20,
                cpu=(usage.ru_utime + usage.ru_stime) / n * 1e6,
                rss=usage.ru_maxrss / 1024,
                delivered=elapsed,
                wire=counts["wire_bytes"] / 2**20,
                receiver_cpu=receiver_cpu,
                duplicates=counts["records"] - n,
                gc=line.get("allocated_bytes", 0) / n, gen2=line.get("gen2_collections", 0),
            ))

    sizes = sorted(set(record_bytes.values()))
    # Encoders may pick different integer widths for the same value (200 is a uint8 to MessagePack-CSharp, an int16
    # to msgp): a byte or two apart is the same record; more means the records differ.
    if sizes[-1] - sizes[0] > 2:
        raise SystemExit(f"the clients post different records: {record_bytes}")

    med = statistics.median
    print(f"machine: {machine()}, load average before the last run {os.getloadavg()[0]:.2f}")
    print(f"record: {sizes[0]}-{sizes[-1]} bytes of msgpack (the map alone; MiB/s counts these bytes); "
          f"medians of {runs} runs, a fresh receiver ({mode}) per run\n")
    print("| client, configuration | records | records/s | MiB/s | CPU s / 1M records | peak RSS MiB | delivered s | wire MiB | receiver CPU s | duplicates |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    rows = {}
    for name, n, _ in configs:
        rs = results[name]
        row = {k: med(r[k] for r in rs) for k in ("rate", "mibs", "cpu", "rss", "delivered", "wire", "receiver_cpu")}
        row["duplicates"] = sum(r["duplicates"] for r in rs)
        rows[name] = row
        print(f"| {name} | {n:,} | {row['rate']:,.0f} | {row['mibs']:.1f} | {row['cpu']:.2f} | {row['rss']:.1f} | "
              f"{row['delivered']:.2f} | {row['wire']:.1f} | {row['receiver_cpu']:.2f} | {row['duplicates']} |")
    print()
    for name, _, _ in configs[:3]:
        rs = results[name]
        print(f"{name}: {med(r['gc'] for r in rs):,.0f} bytes allocated per record, {med(r['gen2'] for r in rs):.0f} gen2 collections per run")
    print("\nratios, ours / peer (records/s: higher is better; CPU and RSS: lower is better)\n")
    print("| ours | against | records/s | CPU s / 1M records | peak RSS |")
    print("|---|---|---|---|---|")
    for name, _, _ in configs[:3]:
        for peer_name, _, _ in configs[3:]:
            o, p = rows[name], rows[peer_name]
            print(f"| {name} | {peer_name} | {o['rate'] / p['rate']:.1f} | {o['cpu'] / p['cpu']:.3f} | {o['rss'] / p['rss']:.2f} |")
    if peer_records != records:
        print(f"\nthe peer posted {peer_records:,} records per run against our {records:,} (its per-record ack makes a million take "
              f"minutes); rates and CPU per record compare, delivered seconds and RSS do not directly")


if __name__ == "__main__":
    main()
