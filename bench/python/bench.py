"""CPython's concurrent.futures measured like the Node subjects (see bench/scenarios/).

    python3 bench.py --executor thread|process --scenario tiny|map|roundtrip|mixed|behind|cpu|first|rss|mp --sizes JSON

The mp scenario measures multiprocessing.Queue and Pipe, and one large item
through two Queues (the executor flag is ignored there), like bench/scenarios/mp.ts.

The sizes are the runner's own (bench/lib/config.ts), passed as JSON so both
languages always run the same counts, rounds and budgets. The result is one
stdout line: RESULT_PREFIX followed by a JSON object (bench/lib/protocol.ts).
"""

import argparse
import json
import math
import multiprocessing
import os
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

RESULT_PREFIX = "@@bench-result "
WORKERS_WARM_TASKS = 4


# The task functions, the same as bench/tasks.ts. Module level, so the process
# pool can pickle them by name.
def add(a, b):
    return a + b


def noop(x):
    return x


def is_prime(n):
    # The course chapter's is_prime, unchanged.
    if n < 2:
        return False
    if n == 2:
        return True
    if n % 2 == 0:
        return False
    sqrt_n = int(math.floor(math.sqrt(n)))
    for i in range(3, sqrt_n + 1, 2):
        if n % i == 0:
            return False
    return True


def spin(us, tag):
    """Busy-waits us microseconds on the monotonic clock, then returns tag (bench/tasks.ts spin)."""
    end = time.perf_counter() + us / 1e6
    while time.perf_counter() < end:
        pass
    return tag


def spin_stamped(us):
    """Busy-waits like spin; returns when it began, in ms since the epoch (bench/tasks.ts spinStamped)."""
    started = time.time() * 1000
    end = time.perf_counter() + us / 1e6
    while time.perf_counter() < end:
        pass
    return started


def now_ms():
    return time.perf_counter() * 1000.0


# The child side of the mp scenario, the same four functions as bench/workers/mp-targets.ts.
def queue_sender(q, n):
    for i in range(n):
        q.put(i)


def queue_receiver(q, n, result):
    """Times its own receiving, first message to last, and reports (ms, sum)."""
    total = q.get()
    t0 = now_ms()
    for _ in range(n - 1):
        total += q.get()
    result.put((now_ms() - t0, total))


def pipe_sender(conn, n):
    for i in range(n):
        conn.send(i)


def pipe_echo(conn, n):
    for _ in range(n):
        conn.send(conn.recv())


def echo_items(src, dst):
    """Echoes items from src to dst until None (the large-item run)."""
    item = src.get()
    while item is not None:
        dst.put(item)
        item = src.get()


def big_pattern(n):
    """Bytes 0, 1, ... 250, 0, 1 ...: the pattern bench/scenarios/mp.ts checks."""
    period = bytes(range(251))
    return (period * (n // 251 + 1))[:n]


# Same rules as bench/lib/measure.ts runRounds.
DISTURBED_CORES = 0.2
DISTURBED_MIN_MS = 60
EXTRA_ROUNDS = 4
ROUND_LOG = {"measured": 0, "discarded": 0, "keptForeign": [], "noisy": False}


def machine_busy_ms():
    """Busy time of all cores since boot (user, nice, system, irq, softirq), ms."""
    try:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
        return (fields[0] + fields[1] + fields[2] + fields[5] + fields[6]) * 10
    except (OSError, ValueError, IndexError):
        return None


def run_rounds(spec, warmup, one_round):
    """One discarded warm-up, then rounds; past minRounds, stop once budgetMs is spent.

    Rounds during which other programs kept a CPU busy are set aside and
    replaced (up to EXTRA_ROUNDS more); with too few quiet rounds, the least
    disturbed are kept and the cell is marked noisy.
    """
    warmup()
    rounds = []
    start = now_ms()
    time_cap = 2 * spec["budgetMs"] + 30_000

    def quiet():
        return [r for r in rounds if r[1] <= DISTURBED_CORES]

    while len(rounds) < spec["rounds"] + spec.get("extraRounds", EXTRA_ROUNDS):
        busy0, own0, t0 = machine_busy_ms(), tree_cpu_ms(), now_ms()
        value = one_round()
        wall = now_ms() - t0
        busy1 = machine_busy_ms()
        foreign_ms = 0 if busy0 is None or busy1 is None else max(0, busy1 - busy0 - (tree_cpu_ms() - own0))
        foreign = foreign_ms / max(wall, 1) if foreign_ms > DISTURBED_MIN_MS else 0
        rounds.append((value, foreign, len(rounds)))
        kept, elapsed = len(quiet()), now_ms() - start
        if kept >= spec["rounds"]:
            break
        if kept >= spec["minRounds"] and elapsed > spec["budgetMs"]:
            break
        if elapsed > time_cap and len(rounds) >= spec["minRounds"]:
            break
    kept = quiet()
    if len(kept) < min(spec["minRounds"], len(rounds)):
        ROUND_LOG["noisy"] = True
        kept = sorted(sorted(rounds, key=lambda r: r[1])[: spec["minRounds"]], key=lambda r: r[2])
    ROUND_LOG["measured"] += len(rounds)
    ROUND_LOG["discarded"] += len(rounds) - len(kept)
    ROUND_LOG["keptForeign"] += [r[1] for r in kept]
    return [r[0] for r in kept]


def quantile(values, q):
    ordered = sorted(values)
    rank = min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))
    return ordered[rank]


def hwm_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def descendants(root):
    parent_of = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
            parent_of[int(entry)] = int(stat[stat.rindex(")") + 2 :].split(" ")[1])
        except (OSError, ValueError):
            pass
    found, frontier = [], [root]
    while frontier:
        parent = frontier.pop()
        for pid, ppid in parent_of.items():
            if ppid == parent:
                found.append(pid)
                frontier.append(pid)
    return found


def peak_rss_mib():
    """This process's peak RSS plus its live descendants' (the pool's workers)."""
    kib = hwm_kib("self")
    if kib == 0:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for pid in descendants(os.getpid()):
        kib += hwm_kib(pid)
    return kib / 1024


def cpu_ticks(pid):
    """utime + stime + cutime + cstime of a process, in clock ticks (1/100 s)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
        fields = stat[stat.rindex(")") + 2 :].split(" ")
        return sum(int(x) for x in fields[11:15])
    except (OSError, ValueError):
        return 0


def tree_cpu_ms():
    """CPU time of this process, its reaped children and its live descendants, ms."""
    ticks = cpu_ticks("self")
    if ticks == 0:
        t = os.times()
        return (t.user + t.system + t.children_user + t.children_system) * 1000
    for pid in descendants(os.getpid()):
        ticks += cpu_ticks(pid)
    return ticks * 10


def check(ok, what):
    if not ok:
        raise RuntimeError(f"wrong results: {what}")


class Scenarios:
    def __init__(self, executor_class, sizes):
        self.executor_class = executor_class
        self.sizes = sizes
        self.workers = sizes["workers"]

    def warm_pool(self):
        ex = self.executor_class(max_workers=self.workers)
        for f in [ex.submit(add, i, 1) for i in range(WORKERS_WARM_TASKS * self.workers)]:
            f.result()
        return ex

    def tiny_batch(self, ex, n):
        futures = [ex.submit(add, i, 1) for i in range(n)]
        return sum(f.result() for f in futures)

    def tiny(self):
        spec = self.sizes["tiny"]
        n = spec["n"]
        with self.warm_pool() as ex:

            def one_round():
                start = now_ms()
                total = self.tiny_batch(ex, n)
                ms = now_ms() - start
                check(total == n * (n - 1) // 2 + n, f"sum {total}")
                return n / ms * 1000

            rates = run_rounds(spec, lambda: self.tiny_batch(ex, spec["warmupN"]), one_round)
        return {"tiny": statistics.median(rates)}, {"tasksPerSec": rates}, len(rates)

    def map(self):
        spec = self.sizes["map"]
        n, chunksize = spec["n"], spec["chunksize"]
        items = list(range(n))
        warm_items = items[: spec["warmupN"]]

        def consume(xs):
            matched = 0
            for i, r in enumerate(ex.map(noop, xs, chunksize=chunksize)):
                if r == xs[i]:
                    matched += 1
            return matched

        with self.warm_pool() as ex:

            def one_round():
                start = now_ms()
                matched = consume(items)
                ms = now_ms() - start
                check(matched == n, f"{matched} of {n} in order")
                return n / ms * 1000

            rates = run_rounds(spec, lambda: consume(warm_items), one_round)
        return {"map": statistics.median(rates)}, {"itemsPerSec": rates}, len(rates)

    def roundtrip(self, prefix="rt"):
        spec = self.sizes["roundtrip"]
        n = spec["n"]
        latencies = [0.0] * n

        def sequential(count):
            for i in range(count):
                start = now_ms()
                r = ex.submit(add, i, 1).result()
                latencies[i] = (now_ms() - start) * 1000
                check(r == i + 1, f"add({i}, 1) = {r}")

        with self.warm_pool() as ex:

            def one_round():
                sequential(n)
                return statistics.median(latencies), quantile(latencies, 0.99)

            rounds = run_rounds(spec, lambda: sequential(spec["warmupN"]), one_round)
        medians = [r[0] for r in rounds]
        p99s = [r[1] for r in rounds]
        return (
            {prefix + "Median": statistics.median(medians), prefix + "P99": statistics.median(p99s)},
            {"medianUs": medians, "p99Us": p99s},
            len(rounds),
        )

    def roundtrip_1cpu(self):
        # The runner starts this process under taskset -c 0 (see scenarios/roundtrip.ts).
        return self.roundtrip("rt1")

    def mixed(self):
        # As bench/scenarios/mixed.ts: the runner's list of long-task indices, so both
        # languages run the same tasks in the same order.
        spec = self.sizes["mixed"]
        us = [spec["shortUs"]] * spec["n"]
        for i in spec["longAt"]:
            us[i] = spec["longUs"]

        def ideal_ms(count):
            return sum(us[:count]) / 1000 / self.workers

        def run(count):
            start = now_ms()
            futures = [ex.submit(spin, us[i], i) for i in range(count)]
            results = [f.result() for f in futures]
            ms = now_ms() - start
            matched = sum(1 for i, r in enumerate(results) if r == i)
            check(matched == count, f"{matched} of {count} spin results equal their tag")
            floor = ideal_ms(count)
            check(ms + 1 >= floor, f"makespan {ms:.1f} ms under the ideal {floor:.1f} ms")
            return ms

        with self.warm_pool() as ex:
            makespans = run_rounds(spec, lambda: run(spec["warmupN"]), lambda: run(spec["n"]))
        ms = statistics.median(makespans)
        ideal = ideal_ms(spec["n"])
        return {"mixed": ms, "mixedIdeal": ms / ideal}, {"makespanMs": makespans, "idealMs": [ideal]}, len(makespans)

    def behind(self):
        # As bench/scenarios/behind.ts: the long task is submitted, the first tiny task is sent
        # startDelayMs later, and the long task's own start time (time.time(), shared by every
        # process) must come before it.
        spec = self.sizes["behind"]
        delay_ms = spec["startDelayMs"]

        def once(long_us):
            long_ms = long_us / 1000
            submitted = now_ms()
            long = ex.submit(spin_stamped, long_us)
            time.sleep(delay_ms / 1000)
            first_sent = time.time() * 1000
            deadline = submitted + long_ms - delay_ms
            latencies = []
            i = 0
            # At least one tiny task, even when a busy machine stretched the delay past the deadline.
            while not long.done() and (i == 0 or now_ms() < deadline):
                start = now_ms()
                r = ex.submit(add, i, 1).result()
                latencies.append((now_ms() - start) * 1000)
                check(r == i + 1, f"add({i}, 1) = {r}")
                i += 1
            started = long.result()
            elapsed = now_ms() - submitted
            check(elapsed >= long_ms, f"the long task returned after {elapsed:.0f} ms, under its {long_ms} ms")
            check(started <= first_sent, f"the long task began {started - first_sent:.0f} ms after the first tiny task was sent")
            check(len(latencies) > 0, "no tiny task was sent while the long task ran")
            return statistics.median(latencies), quantile(latencies, 0.99), len(latencies)

        with self.warm_pool() as ex:
            rounds = run_rounds(spec, lambda: once(spec["warmupLongUs"]), lambda: once(spec["longUs"]))
        p50s = [r[0] for r in rounds]
        p99s = [r[1] for r in rounds]
        return (
            {"behindP50": statistics.median(p50s), "behindP99": statistics.median(p99s)},
            {"p50Us": p50s, "p99Us": p99s, "tinyTasks": [r[2] for r in rounds]},
            len(rounds),
        )

    def scaling(self, ns):
        # As on the Node side: each round times the batch single-threaded and then on a fresh
        # pool, back to back; the speedup is the median of the rounds' ratios.
        spec = self.sizes["cpu"]
        expected = [is_prime(n) for n in ns]

        def warm():
            with self.executor_class(max_workers=self.workers) as ex:
                ex.submit(add, 1, 2).result()

        def paired():
            start = now_ms()
            single = [is_prime(n) for n in ns]
            single_ms = now_ms() - start
            check(single == expected, f"is_prime results {single}")
            # Start-up included: the pool is created inside the timed region.
            start = now_ms()
            ex = self.executor_class(max_workers=self.workers)
            futures = [ex.submit(is_prime, n) for n in ns]
            results = [f.result() for f in futures]
            pool_ms = now_ms() - start
            ex.shutdown()
            check(results == expected, f"is_prime results {results}")
            return single_ms, pool_ms

        rounds = run_rounds(spec, warm, paired)
        single_ms = [s for s, _ in rounds]
        pool_ms = [p for _, p in rounds]
        return statistics.median(s / p for s, p in rounds), single_ms, pool_ms

    def cpu(self):
        spec = self.sizes["cpu"]
        speedup_batch, single_batch, pool_batch = self.scaling(spec["python"])
        speedup_course, single_course, pool_course = self.scaling(spec["course"])
        return (
            {"cpuBatch": speedup_batch, "cpuCourse": speedup_course},
            {"singleMsBatch": single_batch, "poolMsBatch": pool_batch, "singleMsCourse": single_course, "poolMsCourse": pool_course},
            len(pool_batch),
        )

    def first(self):
        def once():
            start = now_ms()
            ex = self.executor_class(max_workers=self.workers)
            r = ex.submit(add, 1, 2).result()
            ms = now_ms() - start
            ex.shutdown()
            check(r == 3, f"add(1, 2) = {r}")
            return ms

        times = run_rounds(self.sizes["first"], once, once)
        return {"first": statistics.median(times)}, {"ms": times}, len(times)

    def rss(self):
        n = self.sizes["rss"]["n"]
        with self.warm_pool() as ex:
            total = self.tiny_batch(ex, n)
            check(total == n * (n - 1) // 2 + n, f"sum {total}")
            # Read before the with-block ends: the worker processes must still be alive.
            mib = peak_rss_mib()
        return {"rss": mib}, {"peakRssMiB": [mib]}, 1


class Multiprocessing:
    """multiprocessing.Queue and Pipe, measured as bench/scenarios/mp.ts measures concurrent-ts."""

    def __init__(self, sizes):
        self.sizes = sizes
        # fork: the Linux default of 3.11, named so a newer Python measures the same thing.
        self.ctx = multiprocessing.get_context("fork")

    def started(self, target, *args):
        p = self.ctx.Process(target=target, args=args)
        p.start()
        return p

    @staticmethod
    def joined(*processes):
        for p in processes:
            p.join()
        check(all(p.exitcode == 0 for p in processes), "a child process failed")

    @staticmethod
    def receive_timed(n, get):
        total = get()
        t0 = now_ms()
        for _ in range(n - 1):
            total += get()
        ms = now_ms() - t0
        check(total == n * (n - 1) // 2, f"received sum {total}")
        return (n - 1) / ms * 1000

    def queue_one_way(self, n):
        q = self.ctx.Queue()
        sender = self.started(queue_sender, q, n)
        rate = self.receive_timed(n, q.get)
        self.joined(sender)
        return rate

    def queue_child_to_child(self, n):
        q, result = self.ctx.Queue(), self.ctx.Queue()
        receiver = self.started(queue_receiver, q, n, result)
        sender = self.started(queue_sender, q, n)
        ms, total = result.get()
        self.joined(sender, receiver)
        check(total == n * (n - 1) // 2, f"child received sum {total}")
        return (n - 1) / ms * 1000

    def pipe_one_way(self, n):
        mine, theirs = self.ctx.Pipe()
        sender = self.started(pipe_sender, theirs, n)
        rate = self.receive_timed(n, mine.recv)
        self.joined(sender)
        return rate

    def pipe_round_trips(self, trips):
        mine, theirs = self.ctx.Pipe()
        echo = self.started(pipe_echo, theirs, trips + 1)
        mine.send(-1)
        check(mine.recv() == -1, "first echo")
        t0 = now_ms()
        for i in range(trips):
            mine.send(i)
            check(mine.recv() == i, f"echo of {i}")
        rate = trips / (now_ms() - t0) * 1000
        self.joined(echo)
        return rate

    def big_item(self, n):
        there, back = self.ctx.Queue(), self.ctx.Queue()
        echo = self.started(echo_items, there, back)
        there.put(1)
        check(back.get() == 1, "small echo before the large item")
        item = big_pattern(n)
        t0 = now_ms()
        there.put(item)
        got = back.get()
        ms = now_ms() - t0
        check(len(got) == n, f"large item came back with {len(got)} bytes")
        for at in (0, 1, 250, 251, 12345, n // 2, n - 1):
            if at < n:
                check(got[at] == at % 251, f"large item byte {at} is {got[at]}")
        there.put(None)
        self.joined(echo)
        return ms

    def mp(self):
        spec = self.sizes["mp"]

        def once(messages, trips, nbytes):
            return {
                "queue": self.queue_one_way(messages),
                "queueC2C": self.queue_child_to_child(messages),
                "pipe": self.pipe_one_way(messages),
                "pipeRt": self.pipe_round_trips(trips),
                "big": self.big_item(nbytes),
            }

        rounds = run_rounds(spec, lambda: once(spec["messages"] // 10, spec["roundTrips"] // 10, spec["bigBytes"] // 16),
                            lambda: once(spec["messages"], spec["roundTrips"], spec["bigBytes"]))
        of = {key: [r[key] for r in rounds] for key in ("queue", "queueC2C", "pipe", "pipeRt", "big")}
        metrics = {"mpQueue": statistics.median(of["queue"]), "mpQueueC2C": statistics.median(of["queueC2C"]), "mpPipe": statistics.median(of["pipe"]),
                   "mpPipeRt": statistics.median(of["pipeRt"]), "mpBig": statistics.median(of["big"])}
        samples = {"queuePerSec": of["queue"], "queueC2CPerSec": of["queueC2C"], "pipePerSec": of["pipe"], "pipeRoundTripsPerSec": of["pipeRt"], "bigItemMs": of["big"]}
        return metrics, samples, len(rounds)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executor", choices=["thread", "process"], required=True)
    parser.add_argument("--scenario", choices=["tiny", "map", "roundtrip", "roundtrip-1cpu", "mixed", "behind", "cpu", "first", "rss", "mp"], required=True)
    parser.add_argument("--sizes", required=True, help="the runner's sizes as JSON")
    parser.add_argument("--subject", required=True, help="subject id echoed in the result")
    args = parser.parse_args()
    sizes = json.loads(args.sizes)
    executor_class = ThreadPoolExecutor if args.executor == "thread" else ProcessPoolExecutor
    result = {"subject": args.subject, "scenario": args.scenario}
    try:
        scenarios = Multiprocessing(sizes) if args.scenario == "mp" else Scenarios(executor_class, sizes)
        metrics, samples, rounds = getattr(scenarios, args.scenario.replace("-", "_"))()
        result.update(status="ok", metrics=metrics, samples=samples, rounds=rounds)
    except Exception as error:  # reported as the cell's error, the run goes on
        result.update(status="error", metrics={}, reason=f"{type(error).__name__}: {error}")
    result["peakRssMiB"] = peak_rss_mib()
    result["cpuMs"] = tree_cpu_ms()
    if ROUND_LOG["keptForeign"]:
        result["foreignCores"] = sum(ROUND_LOG["keptForeign"]) / len(ROUND_LOG["keptForeign"])
        result["discardedRounds"] = ROUND_LOG["discarded"]
        result["noisy"] = ROUND_LOG["noisy"]
    sys.stdout.write(RESULT_PREFIX + json.dumps(result) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
