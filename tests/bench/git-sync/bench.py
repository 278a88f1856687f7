"""Benchmark: git-sync against the git CLI on a large repository served over smart HTTP.

The repository (FILES files in its first commit, COMMITS commits in all, each later commit changing one file) is
generated with `git fast-import` and served by gitserver.py (git http-backend behind a small Python HTTP server) in a
process of its own, so the server's work is never in a measured process.

(a) First sync to a published link, each candidate into an empty directory, RUNS runs each, medians:
    - git-sync, one-time mode (GITSYNC_ONE_TIME=true): from its start to its exit with the link in place;
    - the peer's steps replayed with the git CLI, as kubernetes/git-sync v4 runs them on an empty root: git init,
      git ls-remote, git fetch --depth 1, git worktree add --detach --no-checkout, git reset --hard in the worktree,
      then a symlink made beside the link and renamed over it;
    - plain `git clone --depth 1`.
    Peak RSS: the process tree of each candidate is sampled every SAMPLE_S (the sum of VmRSS over its processes,
    highest sample); for git-sync, also its own VmHWM read just before it exits.
(b) Push to published: a long-running git-sync with the first sync done; a commit is pushed (written into the served
    repository) at a random point of the period, and the link is polled with readlink until it names the new commit.
    With GITSYNC_PERIOD=1s, and with a long period plus POST /sync right after the push (GITSYNC_TRIGGER_TOKEN).
    The reference is one update by the git CLI along the peer's path (fetch --depth 1, worktree add, reset, swap).
"""
import http.client
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from procstats import free_port, machine  # noqa: E402

FILES = int(os.environ.get("BENCH_FILES", "20000"))
COMMITS = int(os.environ.get("BENCH_COMMITS", "5000"))
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
PUSHES = RUNS
SAMPLE_S = 0.01
LINK = "current"
TOKEN = "bench-trigger-token"
TIMEOUT_S = 300
HERE = os.path.dirname(os.path.abspath(__file__))


def git_env(home):
    return dict(os.environ, HOME=home, GIT_CONFIG_NOSYSTEM="1", GIT_TERMINAL_PROMPT="0")


def git(env, *args, cwd=None):
    return subprocess.run(["git", *args], env=env, cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def content(i, version):
    """About 600 bytes of text that differ per file and per version (so they compress like source, not like zeros)."""
    rnd = random.Random(i * 1_000_003 + version)
    words = ["alpha", "beta", "gamma", "delta", "sync", "tree", "commit", "value", "index", "buffer", "return", "if"]
    return (f"// file {i} version {version}\n" + "\n".join(
        " ".join(rnd.choice(words) for _ in range(8)) for _ in range(12)) + "\n").encode()


def path_of(i):
    return f"src/m{i // 200:03}/f{i:05}.txt"


class Writer:
    """Commits into the bare repository through git fast-import: what a push leaves on the server."""

    def __init__(self, bare, env):
        self.bare, self.env, self.when = bare, env, 1_704_067_200

    def commit_stream(self, out, message, changes, parent):
        self.when += 1
        out.write(f"commit refs/heads/main\ncommitter Bench <bench@example.invalid> {self.when} +0000\n".encode())
        msg = message.encode()
        out.write(b"data %d\n%s\n" % (len(msg), msg))
        if parent:
            out.write(b"from refs/heads/main^0\n")
        for i, version in changes:
            data = content(i, version)
            out.write(f"M 100644 inline {path_of(i)}\n".encode() + b"data %d\n%s\n" % (len(data), data))
        out.write(b"\n")

    def run(self, write):
        p = subprocess.Popen(["git", "--git-dir", self.bare, "fast-import", "--quiet", "--done"], env=self.env,
                             stdin=subprocess.PIPE)
        write(p.stdin)
        p.stdin.write(b"done\n")
        p.stdin.close()
        if p.wait() != 0:
            raise SystemExit("git fast-import failed")

    def push(self, n):
        """One new commit changing one file; returns its SHA."""
        self.run(lambda out: self.commit_stream(out, f"push {n}", [(n % FILES, COMMITS + n)], parent=True))
        return git(self.env, "--git-dir", self.bare, "rev-parse", "refs/heads/main")


def generate(bare, env):
    git(env, "init", "--quiet", "--bare", "--initial-branch=main", bare)
    writer = Writer(bare, env)

    def write(out):
        writer.commit_stream(out, "initial", [(i, 0) for i in range(FILES)], parent=False)
        for n in range(1, COMMITS):
            writer.commit_stream(out, f"commit {n}", [((n * 7919) % FILES, n)], parent=False)

    writer.run(write)
    # A served repository is packed the way git gc packs it, deltas included.
    git(env, "--git-dir", bare, "repack", "-a", "-d", "-q")
    return writer


def tree_pids(root):
    pids, stack = [], [root]
    while stack:
        pid = stack.pop()
        pids.append(pid)
        try:
            for tid in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{tid}/children") as f:
                    stack.extend(int(c) for c in f.read().split())
        except OSError:
            pass
    return pids


def status_kib(pid, field):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class Sampler:
    """Highest sum of VmRSS over a process and its descendants, and the process's own VmHWM, sampled until it ends."""

    def __init__(self, process):
        self.process, self.peak_kib, self.hwm_kib = process, 0, 0
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def loop(self):
        while self.process.poll() is None:
            self.peak_kib = max(self.peak_kib, sum(status_kib(p, "VmRSS") for p in tree_pids(self.process.pid)))
            self.hwm_kib = max(self.hwm_kib, status_kib(self.process.pid, "VmHWM"))
            time.sleep(SAMPLE_S)  # the sampling interval, not a wait for a condition

    def join(self):
        self.thread.join()
        return self.peak_kib / 1024, self.hwm_kib / 1024


def run_sampled(args, env, cwd=None):
    start = time.perf_counter()
    p = subprocess.Popen(args, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    sampler = Sampler(p)
    _, err = p.communicate(timeout=TIMEOUT_S)
    elapsed = time.perf_counter() - start
    peak, hwm = sampler.join()
    if p.returncode != 0:
        raise SystemExit(f"{args[0]} {' '.join(args[1:3])} exited with {p.returncode}: {err.decode()[-2000:]}")
    return elapsed, peak, hwm


def published_sha(root):
    try:
        return os.path.basename(os.readlink(os.path.join(root, LINK)))
    except OSError:
        return None


def swap_link(root, target):
    tmp = os.path.join(root, f".{LINK}.tmp")
    if os.path.lexists(tmp):
        os.remove(tmp)
    os.symlink(target, tmp)
    os.rename(tmp, os.path.join(root, LINK))


def peer_sync(root, url, env):
    """One sync along kubernetes/git-sync v4's path, with the git CLI; returns (seconds, peak RSS MiB of any step)."""
    total, peak = 0.0, 0.0
    steps = []
    if not os.path.isdir(os.path.join(root, ".git")):
        steps.append(["git", "init", "--quiet", root])
    steps += [["git", "-C", root, "ls-remote", "-q", url, "HEAD"],
              ["git", "-C", root, "fetch", url, "HEAD", "--no-progress", "--prune", "--no-auto-gc", "--depth", "1"]]
    for step in steps:
        elapsed, step_peak, _ = run_sampled(step, env)
        total, peak = total + elapsed, max(peak, step_peak)
    start = time.perf_counter()
    sha = git(env, "-C", root, "rev-parse", "FETCH_HEAD")
    total += time.perf_counter() - start
    worktree = os.path.join(root, ".worktrees", sha)
    for step in (["git", "-C", root, "worktree", "add", "--force", "--detach", "--no-checkout", worktree, sha],
                 ["git", "-C", worktree, "reset", "--hard", sha]):
        elapsed, step_peak, _ = run_sampled(step, env)
        total, peak = total + elapsed, max(peak, step_peak)
    start = time.perf_counter()
    swap_link(root, os.path.join(".worktrees", sha))
    total += time.perf_counter() - start
    return total, peak, sha


def gitsync_env(base, root, url, **extra):
    env = dict(base, GITSYNC_REPO=url, GITSYNC_ROOT=root, GITSYNC_LINK=LINK, GITSYNC_DEPTH="1",
               GITSYNC_HTTP_BIND=f"127.0.0.1:{free_port()}", LOG_LEVEL="warn")
    env.update(extra)
    return env


def first_sync(binary, url, work, env, expected):
    """(a): every candidate RUNS times into a fresh directory; lists of (seconds, peak MiB, own VmHWM MiB)."""
    rows = {"git-sync (one-time)": [], "git CLI, the peer's steps": [], "git clone --depth 1": []}
    for _ in range(RUNS):
        if binary:
            root = tempfile.mkdtemp(prefix="gitsync-", dir=work)
            rows["git-sync (one-time)"].append(run_sampled([binary], gitsync_env(env, root, url, GITSYNC_ONE_TIME="true")))
            if published_sha(root) != expected:
                raise SystemExit(f"git-sync published {published_sha(root)}, not {expected}")
            shutil.rmtree(root)
        root = tempfile.mkdtemp(prefix="peer-", dir=work)
        elapsed, peak, sha = peer_sync(root, url, env)
        if published_sha(root) != expected or sha != expected:
            raise SystemExit(f"the peer's steps published {published_sha(root)}, not {expected}")
        rows["git CLI, the peer's steps"].append((elapsed, peak, 0.0))
        shutil.rmtree(root)
        root = tempfile.mkdtemp(prefix="clone-", dir=work)
        rows["git clone --depth 1"].append(run_sampled(["git", "clone", "--quiet", "--depth", "1", url,
                                                        os.path.join(root, "repo")], env))
        shutil.rmtree(root)
    return rows


def wait_published(root, sha, since):
    deadline = since + 60
    while published_sha(root) != sha:
        if time.perf_counter() > deadline:
            raise SystemExit(f"{sha} not published within 60 s")
        time.sleep(0.002)  # the polling interval of the reader, bounded by the deadline
    return time.perf_counter() - since


def push_to_published(binary, url, work, env, writer, pushed, trigger):
    """(b): a long-running git-sync; PUSHES commits, each at a random point of the period; seconds per push."""
    root = tempfile.mkdtemp(prefix="loop-", dir=work)
    extra = dict(GITSYNC_PERIOD="1h", GITSYNC_TRIGGER_TOKEN=TOKEN) if trigger else dict(GITSYNC_PERIOD="1s")
    genv = gitsync_env(env, root, url, **extra)
    port = int(genv["GITSYNC_HTTP_BIND"].rsplit(":", 1)[1])
    process = subprocess.Popen([binary], env=genv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_published(root, git(env, "ls-remote", url, "refs/heads/main").split()[0], time.perf_counter())
        latencies = []
        for _ in range(PUSHES):
            time.sleep(random.uniform(0, 1))  # a push lands anywhere in the period
            pushed[0] += 1
            sha = writer.push(pushed[0])
            since = time.perf_counter()
            if trigger:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                conn.request("POST", "/sync", headers={"Authorization": f"Bearer {TOKEN}"})
                status = conn.getresponse().status
                if status >= 300:
                    raise SystemExit(f"POST /sync answered {status}")
            latencies.append(wait_published(root, sha, since))
        return latencies
    finally:
        process.terminate()
        process.wait(timeout=20)
        shutil.rmtree(root, ignore_errors=True)


def peer_updates(url, work, env, writer, pushed):
    """The reference for (b): after each push, one update along the peer's path with the git CLI."""
    root = tempfile.mkdtemp(prefix="peer-loop-", dir=work)
    peer_sync(root, url, env)
    times = []
    for _ in range(PUSHES):
        pushed[0] += 1
        sha = writer.push(pushed[0])
        elapsed, _, got = peer_sync(root, url, env)
        if got != sha:
            raise SystemExit(f"the peer's update fetched {got}, not {sha}")
        times.append(elapsed)
    shutil.rmtree(root, ignore_errors=True)
    return times


def memory():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 2**20:.1f} GiB memory"
    return "memory unknown"


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 and os.path.isfile(sys.argv[1]) else None
    work = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else tempfile.mkdtemp(prefix="git-sync-bench-"))
    os.makedirs(work, exist_ok=True)
    home = tempfile.mkdtemp(prefix="home-", dir=work)
    env = git_env(home)
    # Generating takes minutes on a busy machine: the repository is kept in the work folder and reused while its
    # parameters match, its main reset to the generated tip (the pushes of an earlier run left behind).
    served = os.path.join(work, f"served-{FILES}-{COMMITS}")
    bare = os.path.join(served, "big.git")
    marker = os.path.join(served, "generated")
    start = time.perf_counter()
    if os.path.exists(marker):
        writer = Writer(bare, env)
        with open(marker) as f:
            tip, writer.when = f.read().split()
        writer.when = max(int(writer.when), int(time.time()))  # later than the pushes of an earlier run
        git(env, "--git-dir", bare, "update-ref", "refs/heads/main", tip)
        how = "reused"
    else:
        shutil.rmtree(served, ignore_errors=True)
        os.makedirs(served)
        writer = generate(bare, env)
        with open(marker, "w") as f:
            f.write(f"{git(env, '--git-dir', bare, 'rev-parse', 'refs/heads/main')} {writer.when}\n")
        how = "generated"
    generated = time.perf_counter() - start
    size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(os.path.join(bare, "objects", "pack")) for f in fs)
    port = free_port()
    server = subprocess.Popen([sys.executable, os.path.join(HERE, "gitserver.py"), served, str(port)],
                              stdout=subprocess.PIPE, text=True)
    try:
        server.stdout.readline()  # "listening"
        url = f"http://127.0.0.1:{port}/big.git"
        expected = git(env, "ls-remote", url, "refs/heads/main").split()[0]
        print(f"machine: {machine()}, {memory()}, load average {os.getloadavg()[0]:.2f}")
        print(f"repository: {FILES} files, {COMMITS} commits, {size / 2**20:.1f} MiB packed, {how} in {generated:.1f} s; "
              f"served by git http-backend ({subprocess.run(['git', '--version'], capture_output=True, text=True).stdout.strip()}) "
              f"behind a Python CGI bridge in its own process")
        if binary is None:
            print("git-sync: no binary given; its rows are pending")
        med = statistics.median

        rows = first_sync(binary, url, work, env, expected)
        print()
        print(f"(a) first sync to a published link, {RUNS} runs each, medians")
        print(f"{'candidate':<30}{'time ms':>10}{'peak RSS MiB (tree)':>21}{'own VmHWM MiB':>15}   runs (ms)")
        for name, results in rows.items():
            if not results:
                print(f"{name:<30}{'pending':>10}")
                continue
            own = med(r[2] for r in results)
            print(f"{name:<30}{med(r[0] for r in results) * 1000:10.0f}{med(r[1] for r in results):21.1f}"
                  f"{f'{own:.1f}' if own else '-':>15}   " + " ".join(f"{r[0] * 1000:.0f}" for r in results))
        pushed = [0]
        peer = peer_updates(url, work, env, writer, pushed)
        loops = {}
        if binary:
            loops["git-sync, GITSYNC_PERIOD=1s"] = push_to_published(binary, url, work, env, writer, pushed, trigger=False)
            loops["git-sync, POST /sync"] = push_to_published(binary, url, work, env, writer, pushed, trigger=True)
        print()
        print(f"(b) push to published, {PUSHES} pushes each, medians")
        print(f"{'candidate':<30}{'time ms':>10}   pushes (ms)")
        for name in ("git-sync, GITSYNC_PERIOD=1s", "git-sync, POST /sync"):
            if name not in loops:
                print(f"{name:<30}{'pending':>10}")
                continue
            print(f"{name:<30}{med(loops[name]) * 1000:10.0f}   " + " ".join(f"{t * 1000:.0f}" for t in loops[name]))
        print(f"{'git CLI update, peer steps':<30}{med(peer) * 1000:10.0f}   " + " ".join(f"{t * 1000:.0f}" for t in peer))

        if binary:
            ours = rows["git-sync (one-time)"]
            print()
            print("ratios (git-sync / git CLI; below 1 means git-sync is faster or smaller)")
            for name in ("git CLI, the peer's steps", "git clone --depth 1"):
                theirs = rows[name]
                print(f"  first sync vs {name}: time {med(r[0] for r in ours) / med(r[0] for r in theirs):.2f}, "
                      f"peak RSS {med(r[1] for r in ours) / med(r[1] for r in theirs):.2f}")
            print(f"  push to published with POST /sync vs one git CLI update: "
                  f"{med(loops['git-sync, POST /sync']) / med(peer):.2f}")
    finally:
        server.terminate()
        server.wait(timeout=20)
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
