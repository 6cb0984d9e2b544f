#!/usr/bin/env python3
"""riskstream's benchmark harness: one command, real local Kafka and Redis.

Phases (each on fresh topics, consumer groups and Redis key prefix, all
deleted at the end unless --keep):

  1. fill     the four input topics with --events generated events of
              --customers customers (Zipf key skew), event times over the
              past year
  2. raw      consume them with riskstream's consumer settings, no processing
  3. rs       the real `riskstream run` daemon (all detectors, Redis state)
              from its start until the group's committed offsets reach the
              end (or --rs-max-seconds): rate, CPU seconds of riskstream and
              redis-server, Redis commands, memory per customer
  3b. scale  --instances daemons (default 2, one per core here) in one
              consumer group over the same topics, with a fresh group and
              key prefix: their rate from the start of the first until the
              group's committed offsets reach the end, and their CPU
              seconds together; beside it, as many raw consumers side by
              side, each on its share of the partitions. The targets are judged on phase 3 (one
              instance); this is what scale-out on the same machine gives
  4. latency  a fresh daemon on fresh topics; events at 50 % and 80 % of the
              measured riskstream rate with event_time = now, bankruptcy
              probes among them; event time -> alert consumed. Then the same
              for the no-op forwarder (transactional, commit every 20 ms,
              riskstream's default commit.interval.ms)
  5. big      --big-customers customers (one event each by default) into a
              fresh daemon: memory per customer at 1M; then the daemon is
              stopped, a few new events are produced, and restarted: seconds
              from the restart until the group commits new progress

Writes bench/results/latest.json, latest.md and latency.svg; prints the
ratio lines first. Only the Python standard library is used.
"""
import argparse
import json
import os
import platform
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TICK = os.sysconf("SC_CLK_TCK")
RSS_SETTLE_SECONDS = 2  # see measure_daemon

TARGETS = [
    # key, description, comparison, threshold
    ("rate_ratio", "riskstream rate / raw consume rate", ">=", 0.5),
    ("events_per_cpu_second", "events per CPU-second of riskstream", ">=", 200000),
    ("redis_commands_per_event", "Redis commands per event", "<=", 0.3),
    ("latency_p99_50", "event -> alert p99 at 50 % load (ms)", "<=", 25),
    ("latency_p99_80", "event -> alert p99 at 80 % load (ms)", "<=", 100),
    ("bytes_per_customer_1m", "bytes per tracked customer at 1M", "<=", 256),
    ("restart_resume_seconds", "restart with 1M customers: resume (s)", "<", 2),
]


def log(msg):
    sys.stderr.write("[bench %s] %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stderr.flush()


class Redis:
    """A minimal RESP client: enough for INFO, SCAN, MEMORY USAGE, UNLINK."""

    def __init__(self, host, port):
        self.sock = socket.create_connection((host, port), timeout=30)
        self.buf = b""

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise IOError("redis closed the connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _read(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise IOError("redis: " + rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                self.buf += self.sock.recv(1 << 16)
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return data
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self._read() for _ in range(n)]
        raise IOError("redis: bad reply %r" % line)

    def pipeline(self, cmds):
        out = []
        for c in cmds:
            parts = [x if isinstance(x, bytes) else str(x).encode() for x in c]
            out.append(b"*%d\r\n" % len(parts) + b"".join(
                b"$%d\r\n%s\r\n" % (len(p), p) for p in parts))
        self.sock.sendall(b"".join(out))
        return [self._read() for _ in cmds]

    def cmd(self, *args):
        return self.pipeline([args])[0]

    def info(self, section="all"):
        text = self.cmd("INFO", section).decode()
        d = {}
        for line in text.splitlines():
            if ":" in line and not line.startswith("#"):
                k, v = line.split(":", 1)
                d[k] = v
        return d

    def scan_keys(self, pattern, limit=None):
        cursor, keys = b"0", []
        while True:
            cursor, batch = self.cmd("SCAN", cursor, "MATCH", pattern,
                                     "COUNT", 5000)
            keys.extend(batch)
            if cursor == b"0" or (limit and len(keys) >= limit):
                return keys

    def count_customers(self, prefix):
        """Customers in Redis: the fields of every task's state hash."""
        keys = self.scan_keys(prefix + ":*:s")
        return sum(self.cmd("HLEN", k) for k in keys)

    def delete_prefix(self, prefix):
        n = 0
        while True:
            keys = self.scan_keys(prefix + ":*", limit=20000)
            if not keys:
                return n
            for i in range(0, len(keys), 1000):
                self.cmd("UNLINK", *keys[i:i + 1000])
            n += len(keys)


def proc_cpu(pid):
    """utime + stime of all threads of pid, in seconds."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            rest = f.read().rsplit(")", 1)[1].split()
        return (int(rest[11]) + int(rest[12])) / TICK
    except OSError:
        return None


def proc_rss(pid, field="VmRSS"):
    """The process's resident set (or VmHWM: its peak), in bytes."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def commandstats(info):
    out = {}
    for k, v in info.items():
        if k.startswith("cmdstat_"):
            m = re.search(r"calls=(\d+)", v)
            out[k[8:]] = int(m.group(1))
    return out


def percent_table(a, b):
    diff = {k: b.get(k, 0) - a.get(k, 0) for k in b}
    return {k: v for k, v in sorted(diff.items(), key=lambda kv: -kv[1]) if v > 0}


class Bench:
    def __init__(self, args):
        self.a = args
        self.build = os.path.abspath(args.build)
        self.rs_bin = os.path.join(self.build, "riskstream")
        self.tool = os.path.join(self.build, "bench", "rsbench")
        self.stamp = "%s-%d" % (time.strftime("%Y%m%d%H%M%S"), os.getpid())
        self.name = "bench-" + self.stamp
        self.logdir = os.path.join(self.build, "bench-logs", self.stamp)
        os.makedirs(self.logdir, exist_ok=True)
        self.redis = Redis(args.redis_host, args.redis_port)
        self.redis_pid = int(self.redis.info("server")["process_id"])
        self.topic_sets = []
        self.groups = []
        self.prefixes = []
        self.results = {}
        self.daemons = []

    # ---- configuration -------------------------------------------------
    def sets(self, tag, app=None):
        """riskstream -s settings of one topic set (tag) and app id."""
        t = "%s-%s" % (self.name, tag)
        kv = {
            "kafka.bootstrap.servers": self.a.kafka,
            "schema.dir": os.path.join(ROOT, "schemas"),
            "topic.invoices": t + "-invoices",
            "topic.payments": t + "-payments",
            "topic.bureau": t + "-bureau",
            "topic.communications": t + "-communications",
            "topic.alerts": t + "-alerts",
            "topic.deadletter": t + "-deadletter",
            "redis.host": self.a.redis_host,
            "redis.port": str(self.a.redis_port),
            "app.id": "%s-%s" % (t, app or "rs"),
            "redis.prefix": "%s-%s" % (t, app or "rs"),
            "instance.id": "bench",
        }
        for s in self.a.set:
            k, v = s.split("=", 1)
            kv[k] = v
        return kv

    @staticmethod
    def argv(kv, keys=None):
        out = []
        for k, v in kv.items():
            if keys is None or k in keys or k.startswith("kafka."):
                out += ["-s", "%s=%s" % (k, v)]
        return out

    def topics_of(self, kv):
        return [kv["topic." + k] for k in
                ("invoices", "payments", "bureau", "communications",
                 "alerts", "deadletter")]

    def create_topics(self, tag, extra=()):
        kv = self.sets(tag)
        topics = self.topics_of(kv) + list(extra)
        self.topic_sets.append(topics)
        self.run_tool(["admin", "-s", "kafka.bootstrap.servers=" + self.a.kafka,
                       "create", ",".join(topics), str(self.a.partitions)])
        return kv

    # ---- processes -----------------------------------------------------
    def run_tool(self, argv, timeout=900):
        log("rsbench " + " ".join(a for a in argv if not a.startswith("-s")
                                  and "=" not in a)[:160])
        p = subprocess.run([self.tool] + argv, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout, text=True)
        with open(os.path.join(self.logdir, "rsbench.log"), "a") as f:
            f.write("$ rsbench %s\n%s%s\n" % (" ".join(argv), p.stderr,
                                                p.stdout))
        if p.returncode != 0:
            raise RuntimeError("rsbench %s failed (%d): %s" %
                               (argv[0], p.returncode, p.stderr[-2000:]))
        lines = [l for l in p.stdout.splitlines() if l.startswith("{")]
        return json.loads(lines[-1]) if lines else None

    def start_daemon(self, kv, name):
        path = os.path.join(self.logdir, name + ".log")
        f = open(path, "a")
        keys = set(kv)
        p = subprocess.Popen([self.rs_bin, "run"] + self.argv(kv, keys),
                             stdout=f, stderr=subprocess.STDOUT)
        p.logpath = path
        self.daemons.append(p)
        if kv["app.id"] not in self.groups:
            self.groups.append(kv["app.id"])
        if kv["redis.prefix"] not in self.prefixes:
            self.prefixes.append(kv["redis.prefix"])
        return p

    def wait_assigned(self, p, timeout=60):
        """RSS once every task is assigned (the per-run baseline)."""
        end = time.time() + timeout
        while time.time() < end:
            with open(p.logpath) as f:
                n = sum(1 for l in f if "assigned (epoch" in l)
            if n >= self.a.partitions:
                return proc_rss(p.pid)
            if p.poll() is not None:
                raise RuntimeError("riskstream exited: see " + p.logpath)
            time.sleep(0.02)
        raise RuntimeError("riskstream got no tasks in %d s" % timeout)

    def stop_daemon(self, p):
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(60)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if p in self.daemons:
            self.daemons.remove(p)

    def redis_snapshot(self):
        info = self.redis.info("all")
        return {
            "time": time.time(),
            "commands": int(info["total_commands_processed"]),
            "used_memory": int(info["used_memory"]),
            "cmdstats": commandstats(info),
            "cpu": proc_cpu(self.redis_pid),
        }

    # ---- phases --------------------------------------------------------
    def phase_fill(self):
        a = self.a
        kv = self.create_topics("main")
        r = self.run_tool(["fill"] + self.argv(kv) +
                          ["--events", str(a.events), "--customers",
                           str(a.customers), "--zipf", str(a.zipf),
                           "--seed", str(a.seed), "--days", "365",
                           "--time-to", str(int(time.time() * 1000) - 3600000),
                           "--check", "100000", "--tag", "E"])
        log("fill: %d events in %.1f s (%.0f/s)" %
            (r["events"], r["seconds"], r["rate"]))
        self.results["fill"] = r
        return kv

    def phase_raw(self, kv):
        raw = dict(kv)
        raw["app.id"] = kv["app.id"] + "-raw"
        self.groups.append(raw["app.id"])
        r = self.run_tool(["raw"] + self.argv(raw) +
                          ["--expect", str(self.a.events)])
        log("raw: %.0f events/s (%.0f/s from the first message)" %
            (r["rate"], r["rate_from_first"]))
        self.results["raw"] = r
        return r["rate"]

    def measure_daemon(self, kv, name, max_seconds):
        """Starts riskstream and waits until it committed the end."""
        before = self.redis_snapshot()
        t0 = time.time()
        p = self.start_daemon(kv, name)
        rss0 = self.wait_assigned(p)
        lag = self.run_tool(["lag"] + self.argv(kv) +
                            ["--timeout", str(max_seconds)],
                            timeout=max_seconds + 120)
        t1 = time.time()
        cpu = proc_cpu(p.pid)
        # Memory per customer is a daemon at rest holding them: the input
        # backlog it has just worked off (fetch queue, orderer) is freed,
        # and the daemon gives freed pages back once its input is quiet
        # for a moment. The peak is recorded beside it.
        time.sleep(RSS_SETTLE_SECONDS)
        rss1 = proc_rss(p.pid)
        rss_peak = proc_rss(p.pid, "VmHWM")
        after = self.redis_snapshot()
        events = lag["committed_offsets"] - lag["start_offsets"]
        seconds = t1 - t0
        customers = self.redis.count_customers(kv["redis.prefix"])
        r = {
            "complete": lag["complete"],
            "events": events,
            "seconds": round(seconds, 3),
            "rate": events / seconds,
            "first_progress_seconds": lag["first_progress_seconds"],
            "cpu_seconds": cpu,
            "redis_cpu_seconds": after["cpu"] - before["cpu"],
            "redis_commands": after["commands"] - before["commands"],
            "redis_commands_by_name": percent_table(before["cmdstats"],
                                                    after["cmdstats"]),
            "redis_used_memory_delta": after["used_memory"] - before["used_memory"],
            "rss_start": rss0,
            "rss_end": rss1,
            "rss_peak": rss_peak,
            "customers_in_redis": customers,
        }
        r["redis_sampled_bytes_per_customer"] = self.sample_memory(
            kv["redis.prefix"], customers)
        return p, r

    def sample_memory(self, prefix, customers):
        """MEMORY USAGE of the tasks' state, summary and timer keys, per
        customer (a cross-check of the used_memory delta, which other users
        of the Redis blur). SAMPLES 0 walks every field."""
        if not customers:
            return None
        total = 0
        for suffix in (":*:s", ":*:sum", ":*:tdays", ":*:td:*",
                       ":*:timers"):
            for k in self.redis.scan_keys(prefix + suffix):
                total += self.redis.cmd("MEMORY", "USAGE", k,
                                        "SAMPLES", "0") or 0
        return round(total / customers, 1)

    def phase_rs(self, kv):
        p, r = self.measure_daemon(kv, "rs-main", self.a.rs_max_seconds)
        self.stop_daemon(p)
        log("riskstream: %d events in %.1f s = %.0f/s%s; cpu %.1f s" %
            (r["events"], r["seconds"], r["rate"],
             "" if r["complete"] else " (stopped at --rs-max-seconds)",
             r["cpu_seconds"]))
        self.results["riskstream"] = r
        return r["rate"]

    def raw_shared(self, kv, n):
        """N raw consumers side by side, each on its share of the
        partitions (rsbench raw --share i/N): their rate together."""
        raw = dict(kv)
        raw["app.id"] = kv["app.id"] + "-raw%d" % n
        argv = [self.tool, "raw"] + self.argv(raw)
        t0 = time.time()
        ps = [subprocess.Popen(argv + ["--share", "%d/%d" % (i, n)],
                               stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
              for i in range(n)]
        outs = [p.communicate(timeout=600) for p in ps]
        for p, (out, err) in zip(ps, outs):
            if p.returncode != 0:
                raise RuntimeError("rsbench raw --share failed: " + err[-2000:])
        rs = [json.loads([l for l in out.splitlines()
                          if l.startswith("{")][-1]) for out, _ in outs]
        msgs = sum(r["messages"] for r in rs)
        secs = max(r["seconds"] for r in rs)
        r = {"consumers": n, "messages": msgs, "seconds": secs,
             "rate": msgs / secs, "wall_seconds": round(time.time() - t0, 3)}
        log("raw x%d: %.0f events/s" % (n, r["rate"]))
        return r

    def phase_scale(self, kv):
        n = self.a.instances
        raw_n = self.raw_shared(kv, n)
        skv = dict(kv)
        skv["app.id"] = "%s-x%d" % (kv["app.id"], n)
        skv["redis.prefix"] = "%s-x%d" % (kv["redis.prefix"], n)
        before = self.redis_snapshot()
        t0 = time.time()
        ps = []
        for i in range(n):
            ikv = dict(skv)
            ikv["instance.id"] = "bench-%d" % (i + 1)
            ps.append(self.start_daemon(ikv, "rs-x%d-%d" % (n, i + 1)))
        lag = self.run_tool(["lag"] + self.argv(skv) +
                            ["--timeout", str(self.a.rs_max_seconds)],
                            timeout=self.a.rs_max_seconds + 120)
        t1 = time.time()
        cpu = sum(proc_cpu(p.pid) for p in ps)
        after = self.redis_snapshot()
        for p in ps:
            self.stop_daemon(p)
        events = lag["committed_offsets"] - lag["start_offsets"]
        r = {
            "instances": n,
            "complete": lag["complete"],
            "events": events,
            "seconds": round(t1 - t0, 3),
            "rate": events / (t1 - t0),
            "first_progress_seconds": lag["first_progress_seconds"],
            "cpu_seconds": cpu,
            "redis_cpu_seconds": after["cpu"] - before["cpu"],
            "redis_commands": after["commands"] - before["commands"],
            "raw": raw_n,
        }
        log("riskstream x%d: %d events in %.1f s = %.0f/s%s; cpu %.1f s" %
            (n, events, r["seconds"], r["rate"],
             "" if r["complete"] else " (stopped at --rs-max-seconds)", cpu))
        self.results["scale"] = r

    def settle_aof(self):
        """Compacts Redis's append-only file and waits for it: each latency
        load then starts from the same Redis, and a rewrite owed to the
        writes of the phases before does not land in its 20 s window.
        Returns Redis's count of rewrites so far."""
        if self.redis.info("persistence").get("aof_enabled") == "1":
            try:
                self.redis.cmd("BGREWRITEAOF")
            except IOError:
                pass  # one is under way already: wait for it
            end = time.time() + 300
            while time.time() < end:
                info = self.redis.info("persistence")
                if (info.get("aof_rewrite_in_progress") == "0" and
                        info.get("aof_rewrite_scheduled") == "0"):
                    break
                time.sleep(0.2)
        return int(self.redis.info("persistence").get("aof_rewrites", 0))

    def probe(self, kv, rate, tag, out_topic=None, seconds=None):
        a = self.a
        rewrites = self.settle_aof()
        argv = ["probe"] + self.argv(kv) + [
            "--rate", "%.0f" % rate, "--probe-rate",
            "%.0f" % min(a.probe_rate, rate / 2), "--seconds",
            str(seconds or a.latency_seconds), "--warmup", str(a.warmup),
            "--customers", str(a.customers), "--zipf", str(a.zipf),
            "--tag", tag, "--samples", os.path.join(self.logdir, tag + ".txt")]
        if out_topic:
            argv += ["--out-topic", out_topic]
        r = self.run_tool(argv)
        r["aof_rewrites"] = int(self.redis.info("persistence").get(
            "aof_rewrites", 0)) - rewrites
        with open(os.path.join(self.logdir, tag + ".txt")) as f:
            r["samples"] = [float(x) for x in f]
        log("latency %s at %.0f/s: p50 %.1f ms, p99 %.1f ms, p99.9 %.1f ms "
            "(%d probes, %d missing, %d AOF rewrites during the load)" %
            (tag, rate, r["p50"], r["p99"], r["p999"], r["probes"],
             r["missing"], r["aof_rewrites"]))
        return r

    def phase_latency(self, max_rate):
        a = self.a
        kv = self.create_topics("lat", extra=[])
        fwd_out = "%s-lat-forwarded" % self.name
        self.run_tool(["admin", "-s", "kafka.bootstrap.servers=" + a.kafka,
                       "create", fwd_out, str(a.partitions)])
        self.topic_sets.append([fwd_out])
        lat = {"riskstream": {}, "forwarder": {}}
        p = self.start_daemon(kv, "rs-latency")
        self.wait_assigned(p)
        for pct in (50, 80):
            lat["riskstream"][str(pct)] = self.probe(
                kv, max_rate * pct / 100, "L%d" % pct)
        lat["riskstream_cpu_seconds"] = proc_cpu(p.pid)
        self.stop_daemon(p)
        fkv = dict(kv)
        fkv["app.id"] = kv["app.id"] + "-fwd"
        fkv["kafka.consumer.auto.offset.reset"] = "latest"
        self.groups.append(fkv["app.id"])
        for pct in (50, 80):
            path = os.path.join(self.logdir, "forward-%d.log" % pct)
            with open(path, "w") as f:
                fp = subprocess.Popen(
                    [self.tool, "forward"] + self.argv(fkv) +
                    ["--out-topic", fwd_out, "--interval-ms",
                     str(a.forward_interval_ms), "--seconds", "300"],
                    stdout=f, stderr=subprocess.STDOUT)
                end = time.time() + 60
                while time.time() < end:
                    with open(path) as g:
                        if "ready" in g.read():
                            break
                    time.sleep(0.05)
                try:
                    lat["forwarder"][str(pct)] = self.probe(
                        kv, max_rate * pct / 100, "F%d" % pct, fwd_out)
                finally:
                    fp.send_signal(signal.SIGTERM)
                    fp.wait(60)
        self.results["latency"] = lat

    def phase_big(self):
        a = self.a
        kv = self.create_topics("big")
        events = int(a.big_customers * a.big_events_per_customer)
        r = self.run_tool(["fill"] + self.argv(kv) +
                          ["--events", str(events), "--customers",
                           str(a.big_customers), "--zipf", "-1",
                           "--seed", str(a.seed + 1), "--days", "30",
                           "--time-to", str(int(time.time() * 1000) - 3600000),
                           "--tag", "B"])
        log("big fill: %d events of %d customers in %.1f s" %
            (r["events"], a.big_customers, r["seconds"]))
        p, m = self.measure_daemon(kv, "rs-big", a.big_max_seconds)
        m["fill"] = r
        log("big: %d events in %.1f s = %.0f/s, %d customers in Redis" %
            (m["events"], m["seconds"], m["rate"], m["customers_in_redis"]))
        self.stop_daemon(p)
        # Restart: a few new events wait; time from the restart until the
        # group commits progress past them (the daemon loaded no state up
        # front if this is short).
        self.run_tool(["probe"] + self.argv(kv) +
                      ["--rate", "20", "--probe-rate", "10", "--seconds", "1",
                       "--warmup", "0", "--drain", "0", "--customers",
                       str(a.big_customers), "--tag", "R"])
        base = self.run_tool(["lag"] + self.argv(kv) + ["--timeout", "0"])
        t0 = time.time()
        p = self.start_daemon(kv, "rs-big-restart")
        lag = self.run_tool(["lag"] + self.argv(kv) +
                            ["--first", "--interval-ms", "20", "--timeout",
                             "120", "--baseline",
                             str(base["committed_offsets"])])
        if lag["first_progress_seconds"] < 0:
            raise RuntimeError("no progress within 120 s of the restart")
        restart = time.time() - t0
        self.stop_daemon(p)
        m["restart_resume_seconds"] = round(restart, 3)
        m["restart_backlog"] = not m["complete"]
        log("restart with %d customers in Redis: progress after %.2f s" %
            (m["customers_in_redis"], restart))
        self.results["big"] = m

    def cleanup(self):
        for p in list(self.daemons):
            self.stop_daemon(p)
        if self.a.keep:
            log("--keep: topics, groups and keys left in place (name %s)" %
                self.name)
            return
        for topics in self.topic_sets:
            try:
                self.run_tool(["admin", "-s",
                               "kafka.bootstrap.servers=" + self.a.kafka,
                               "delete", ",".join(topics)])
            except Exception as e:  # keep cleaning
                log("cleanup: %s" % e)
        if self.groups:
            try:
                self.run_tool(["admin", "-s",
                               "kafka.bootstrap.servers=" + self.a.kafka,
                               "delete-groups", ",".join(self.groups)])
            except Exception as e:
                log("cleanup: %s" % e)
        for pre in self.prefixes:
            n = self.redis.delete_prefix(pre)
            log("cleanup: %d Redis keys of '%s' deleted" % (n, pre))


# ---- report ----------------------------------------------------------------

def machine():
    model, mem = "?", 0
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal"):
                mem = int(line.split()[1]) * 1024
    return {"nproc": os.cpu_count(), "model": model, "memory_bytes": mem,
            "kernel": platform.release(), "loadavg": os.getloadavg()}


def kafka_version():
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                cmd = f.read().decode(errors="replace")
        except OSError:
            continue
        if "kafka.Kafka" in cmd:
            m = re.search(r"kafka[-_][0-9.]*?-?(\d+\.\d+\.\d+)", cmd)
            return m.group(1) if m else "?"
    return "?"


def strip_build(argv):
    out, skip = [], False
    for x in argv:
        if skip:
            skip = False
        elif x == "--build":
            skip = True
        elif not x.startswith("--build="):
            out.append(x)
    return out


def summarize(b, a):
    R = b.results
    raw = R["raw"]["rate"]
    rs = R["riskstream"]
    out = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "command": " ".join(["bench/run.sh"] + strip_build(sys.argv[1:])),
        "raw_rate": round(raw),
        "riskstream_rate": round(rs["rate"]),
        "rate_ratio": round(rs["rate"] / raw, 4),
        "riskstream_complete": rs["complete"],
        "events_per_cpu_second": round(rs["events"] / rs["cpu_seconds"]),
        "riskstream_cpu_us_per_event": round(rs["cpu_seconds"] / rs["events"] * 1e6, 2),
        "redis_cpu_us_per_event": round(rs["redis_cpu_seconds"] / rs["events"] * 1e6, 2),
        "redis_commands_per_event": round(rs["redis_commands"] / rs["events"], 3),
    }
    if "scale" in R:
        sc = R["scale"]
        out["scale_out"] = {
            "instances": sc["instances"],
            "rate": round(sc["rate"]),
            "rate_ratio": round(sc["rate"] / raw, 4),
            "raw_rate_shared": round(sc["raw"]["rate"]),
            "rate_ratio_to_shared_raw": round(sc["rate"] / sc["raw"]["rate"], 4),
            "complete": sc["complete"],
            "events_per_cpu_second": round(sc["events"] / max(sc["cpu_seconds"], 1e-9)),
            "redis_commands_per_event": round(sc["redis_commands"] / max(sc["events"], 1), 3),
        }
    if "latency" in R:
        lm = {}
        for who in ("riskstream", "forwarder"):
            for pct, r in R["latency"][who].items():
                lm.setdefault(who, {})[pct] = {
                    "rate": r["rate"], "p50": r["p50"], "p99": r["p99"],
                    "p999": r["p999"], "max": r["max"], "probes": r["probes"],
                    "missing": r["missing"],
                    "aof_rewrites": r.get("aof_rewrites", 0)}
        out["latency_ms"] = lm
    bpc = {}
    main_total = (rs["redis_used_memory_delta"] +
                  (rs["rss_end"] - rs["rss_start"]))
    bpc["100k"] = {
        "customers": rs["customers_in_redis"],
        "total": round(main_total / max(rs["customers_in_redis"], 1)),
        "redis": round(rs["redis_used_memory_delta"] / max(rs["customers_in_redis"], 1)),
        "process": round((rs["rss_end"] - rs["rss_start"]) / max(rs["customers_in_redis"], 1)),
        "redis_sampled": rs["redis_sampled_bytes_per_customer"],
    }
    if "big" in R:
        bg = R["big"]
        c = max(bg["customers_in_redis"], 1)
        bpc["1M"] = {
            "customers": bg["customers_in_redis"],
            "total": round((bg["redis_used_memory_delta"] +
                            bg["rss_end"] - bg["rss_start"]) / c),
            "redis": round(bg["redis_used_memory_delta"] / c),
            "process": round((bg["rss_end"] - bg["rss_start"]) / c),
            "redis_sampled": bg["redis_sampled_bytes_per_customer"],
        }
        out["restart_resume_seconds"] = bg["restart_resume_seconds"]
    out["bytes_per_customer"] = bpc
    out["machine"] = machine()
    out["versions"] = {
        "riskstream": subprocess.run(
            [b.rs_bin, "--version"], text=True,
            stdout=subprocess.PIPE).stdout.strip().replace("riskstream ", ""),
        "librdkafka": subprocess.run([b.tool, "admin", "version"], text=True,
                                     stdout=subprocess.PIPE).stdout.strip(),
        "kafka": kafka_version(),
        "redis": b.redis.info("server")["redis_version"],
    }
    out["parameters"] = {
        "events": a.events, "customers": a.customers, "zipf": a.zipf,
        "partitions": a.partitions, "seed": a.seed,
        "rs_max_seconds": a.rs_max_seconds,
        "latency_seconds": a.latency_seconds, "warmup_seconds": a.warmup,
        "probe_rate": a.probe_rate,
        "forward_interval_ms": a.forward_interval_ms,
        "big_customers": a.big_customers,
        "big_events_per_customer": a.big_events_per_customer,
        "big_max_seconds": a.big_max_seconds,
        "instances": a.instances,
        "riskstream_settings": a.set,
    }
    # Raw phase results, without the latency samples.
    details = json.loads(json.dumps(R))
    for who in ("riskstream", "forwarder"):
        for r in details.get("latency", {}).get(who, {}).values():
            r.pop("samples", None)
    out["details"] = details
    return out


def target_values(s):
    lm = s.get("latency_ms", {}).get("riskstream", {})
    return {
        "rate_ratio": s["rate_ratio"],
        "events_per_cpu_second": s["events_per_cpu_second"],
        "redis_commands_per_event": s["redis_commands_per_event"],
        "latency_p99_50": lm.get("50", {}).get("p99"),
        "latency_p99_80": lm.get("80", {}).get("p99"),
        "bytes_per_customer_1m": s["bytes_per_customer"].get("1M", {}).get("total"),
        "restart_resume_seconds": s.get("restart_resume_seconds"),
    }


def met(v, op, t):
    if v is None:
        return None
    return v >= t if op == ">=" else v <= t if op == "<=" else v < t


def ratio_lines(s):
    vals = target_values(s)
    lines = ["rate_ratio %.4f (riskstream %d/s / raw %d/s)" %
             (s["rate_ratio"], s["riskstream_rate"], s["raw_rate"])]
    if "scale_out" in s:
        so = s["scale_out"]
        lines.append("rate_ratio %.4f with %d instances (%d/s / raw %d/s; "
                     "%.4f of %d raw consumers' %d/s; %d events per "
                     "CPU-second)" %
                     (so["rate_ratio"], so["instances"], so["rate"],
                      s["raw_rate"], so["rate_ratio_to_shared_raw"],
                      so["instances"], so["raw_rate_shared"],
                      so["events_per_cpu_second"]))
    for key, desc, op, t in TARGETS:
        v = vals[key]
        m = met(v, op, t)
        lines.append("%-28s %-12s target %s %s: %s" %
                     (key, "-" if v is None else v, op, t,
                      "not measured" if m is None else "MET" if m else "NOT MET"))
    return lines


def markdown(s):
    vals = target_values(s)
    out = ["# riskstream benchmark, %s" % s["date"], "",
           "`%s` on %d × %s, %.0f GiB; riskstream %s, librdkafka %s, "
           "Kafka %s, Redis %s." % (
               s["command"], s["machine"]["nproc"], s["machine"]["model"],
               s["machine"]["memory_bytes"] / 2**30,
               s["versions"]["riskstream"], s["versions"]["librdkafka"],
               s["versions"]["kafka"], s["versions"]["redis"]), "",
           "| target | measured | goal | met |", "|---|---|---|---|"]
    for key, desc, op, t in TARGETS:
        v = vals[key]
        m = met(v, op, t)
        out.append("| %s | %s | %s %s | %s |" % (
            desc, "–" if v is None else v, op, t,
            "–" if m is None else "yes" if m else "**no**"))
    out += ["", "| figure | value |", "|---|---|",
            "| raw consume rate | %d events/s |" % s["raw_rate"],
            "| riskstream rate | %d events/s%s |" % (
                s["riskstream_rate"],
                "" if s["riskstream_complete"] else
                " (time cap reached before the end)"),
            "| riskstream CPU per event | %.2f µs |" % s["riskstream_cpu_us_per_event"],
            "| redis-server CPU per event | %.2f µs |" % s["redis_cpu_us_per_event"],
            "| Redis commands per event | %.3f |" % s["redis_commands_per_event"]]
    if "scale_out" in s:
        so = s["scale_out"]
        out.append("| %d instances in one group (scale-out) | %d events/s = "
                   "%.3f × raw (%.3f × %d raw consumers side by side, "
                   "%d events/s)%s; %d events per CPU-second |" % (
                       so["instances"], so["rate"], so["rate_ratio"],
                       so["rate_ratio_to_shared_raw"], so["instances"],
                       so["raw_rate_shared"],
                       "" if so["complete"] else " (time cap reached)",
                       so["events_per_cpu_second"]))
    for k, v in s["bytes_per_customer"].items():
        out.append("| bytes per customer at %s (%d customers) | %d total = "
                   "%d Redis + %d process (Redis sampled: %s) |" % (
                       k, v["customers"], v["total"], v["redis"], v["process"],
                       v["redis_sampled"]))
    if "restart_resume_seconds" in s:
        out.append("| restart to first progress, 1M customers | %.2f s |" %
                   s["restart_resume_seconds"])
    if "latency_ms" in s:
        out += ["", "| latency (ms) | rate | p50 | p99 | p99.9 | max | probes |",
                "|---|---|---|---|---|---|---|"]
        for who, by in s["latency_ms"].items():
            for pct, r in by.items():
                out.append("| %s at %s %% | %.0f/s | %.1f | %.1f | %.1f | %.1f | %d |" % (
                    who, pct, r["rate"], r["p50"], r["p99"], r["p999"],
                    r["max"], r["probes"]))
    out.append("")
    return "\n".join(out)


def svg_cdf(series, path):
    """Latency CDFs on a log-scaled x axis, hand-written SVG."""
    import math
    W, H, L, B, T, Rm = 720, 420, 70, 50, 30, 170
    allv = [v for _, vs in series for v in vs if v > 0]
    if not allv:
        return
    lo = 10 ** math.floor(math.log10(max(min(allv), 0.1)))
    hi = 10 ** math.ceil(math.log10(max(allv)))
    lx = lambda v: L + (math.log10(max(v, lo)) - math.log10(lo)) / (
        math.log10(hi) - math.log10(lo)) * (W - L - Rm)
    # y: the tail stretched, -log10(1 - q), so p99 and p99.9 are readable
    ly = lambda q: H - B - min(-math.log10(max(1 - q, 1e-4)), 4) / 4 * (H - B - T)
    colors = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e"]
    o = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
         'font-family="sans-serif" font-size="12">' % (W, H),
         '<rect width="100%" height="100%" fill="white"/>',
         '<text x="%d" y="18" font-size="14">event time → output consumed '
         '(read_committed): share of probes below, tail stretched</text>' % L]
    d = lo
    while d <= hi * 1.0001:
        x = lx(d)
        o.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/>'
                 % (x, T, x, H - B))
        o.append('<text x="%.1f" y="%d" text-anchor="middle">%g</text>'
                 % (x, H - B + 16, d))
        d *= 10
    for q in (0, 0.5, 0.9, 0.99, 0.999, 0.9999):
        o.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>'
                 % (L, ly(q), W - Rm, ly(q)))
        o.append('<text x="%d" y="%.1f" text-anchor="end">%g</text>'
                 % (L - 6, ly(q) + 4, q))
    o.append('<text x="%d" y="%d" text-anchor="middle">latency (ms, log scale)'
             '</text>' % ((L + W - Rm) // 2, H - 12))
    for i, (name, vs) in enumerate(series):
        vs = sorted(vs)
        if not vs:
            continue
        step = max(1, len(vs) // 400)
        idx = sorted(set(list(range(0, len(vs), step)) +
                         list(range(max(0, len(vs) - 200), len(vs)))))
        pts = ["%.1f,%.1f" % (lx(vs[j]), ly((j + 0.5) / len(vs)))
               for j in idx]
        c = colors[i % len(colors)]
        o.append('<polyline fill="none" stroke="%s" stroke-width="2" '
                 'points="%s"/>' % (c, " ".join(pts)))
        o.append('<rect x="%d" y="%d" width="12" height="3" fill="%s"/>'
                 % (W - Rm + 12, T + 10 + 18 * i, c))
        o.append('<text x="%d" y="%d">%s</text>' % (W - Rm + 28, T + 15 + 18 * i, name))
    o.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(o) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=5000000)
    ap.add_argument("--customers", type=int, default=100000)
    ap.add_argument("--zipf", type=float, default=0.8,
                    help="key skew exponent (0: uniform)")
    ap.add_argument("--partitions", type=int, default=4)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rs-max-seconds", type=float, default=110,
                    help="stop measuring riskstream after this long even if "
                         "it has not reached the end")
    ap.add_argument("--latency-seconds", type=float, default=20)
    ap.add_argument("--warmup", type=float, default=3)
    ap.add_argument("--probe-rate", type=float, default=200)
    ap.add_argument("--forward-interval-ms", type=int, default=20,
                    help="no-op forwarder's transaction interval (0: plain)")
    ap.add_argument("--big-customers", type=int, default=1000000)
    ap.add_argument("--big-events-per-customer", type=float, default=1)
    ap.add_argument("--big-max-seconds", type=float, default=270,
                    help="stop the 1M phase after this long (the figures "
                         "are then per customer reached)")
    ap.add_argument("--large", action="store_true",
                    help="20M events of 1M customers, 3 events per customer "
                         "in the 1M phase, no time caps below 30 minutes")
    ap.add_argument("--latency-max-rate", type=float, default=0,
                    help="the rate the latency loads are 50 %% and 80 %% of "
                         "(default: the riskstream rate just measured); fix "
                         "it to compare builds at the same loads")
    ap.add_argument("--instances", type=int, default=2,
                    help="daemons of the scale-out phase (0 or 1: skip it)")
    ap.add_argument("--skip-latency", action="store_true")
    ap.add_argument("--skip-big", action="store_true")
    ap.add_argument("-s", "--set", action="append", default=[],
                    help="KEY=VALUE for riskstream (and its consumer "
                         "settings in the raw and forwarder runs)")
    ap.add_argument("--kafka", default="127.0.0.1:19092")
    ap.add_argument("--redis-host", default="127.0.0.1")
    ap.add_argument("--redis-port", type=int, default=16379)
    ap.add_argument("--build", default=os.path.join(ROOT, "build-rel"))
    ap.add_argument("--out", default=os.path.join(HERE, "results"))
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    if a.large:
        a.events, a.customers = 20000000, 1000000
        a.big_events_per_customer = 3
        a.rs_max_seconds = a.big_max_seconds = 1800
    b = Bench(a)
    t_start = time.time()
    log("name %s, logs in %s" % (b.name, b.logdir))
    try:
        kv = b.phase_fill()
        b.phase_raw(kv)
        rate = b.phase_rs(kv)
        if a.instances > 1:
            b.phase_scale(kv)
        if not a.skip_latency:
            b.phase_latency(a.latency_max_rate or rate)
        if not a.skip_big:
            b.phase_big()
    finally:
        b.cleanup()
    s = summarize(b, a)
    s["wall_seconds"] = round(time.time() - t_start, 1)
    os.makedirs(a.out, exist_ok=True)
    series = []
    for who, short in (("riskstream", "riskstream"), ("forwarder", "forwarder")):
        for pct, r in b.results.get("latency", {}).get(who, {}).items():
            series.append(("%s %s %%" % (short, pct), r["samples"]))
    svg_cdf(series, os.path.join(a.out, "latency.svg"))
    with open(os.path.join(a.out, "latest.json"), "w") as f:
        json.dump(s, f, indent=2)
        f.write("\n")
    with open(os.path.join(a.out, "latest.md"), "w") as f:
        f.write(markdown(s))
    print("\n".join(ratio_lines(s)))
    print("wrote %s/latest.json, latest.md, latency.svg (%.0f s)" %
          (a.out, s["wall_seconds"]))


if __name__ == "__main__":
    main()
