#!/usr/bin/env python3
"""Per-request evidence of what a Tiled server of start-tiled.sh's prod profile spends on a
client's writes: which worker answered each request, Tiled's `Server-Timing: app;dur`, the
request's upload and the server's turnaround (a capture on the loopback), the SQL statements
in each request's window (when PostgreSQL's `log_statement=all` is on), and the server's CPU
(workers, PostgreSQL, Redis; /proc, sampled every 50 ms and interpolated).

  tiled_trace.py run LABEL OUTDIR -- CMD ...     # runs CMD, writes OUTDIR/LABEL.json
  tiled_trace.py show OUTDIR/LABEL.json SUBSTRING [--sql]   # figures for the PATCHes whose URL has it

Needs the environment of `eval "$(TILED_PROFILE=prod scripts/start-tiled.sh)"`, tcpdump and
ss (root, for the capture and the sockets' owners). For the SQL, turn the statement log on
first (and off after; it costs the server CPU):
  psql -h 127.0.0.1 -p "$TILED_PG_PORT" -U postgres -d catalog -c "ALTER SYSTEM SET
    log_statement='all'" -c "ALTER SYSTEM SET log_line_prefix='%m [%p] '" -c "SELECT pg_reload_conf()" The capture is deleted once read; the
stored request heads leave out the Authorization header. The CPU of a window is only as good
as the samples around its ends: give the client enough patches (100+) that the requests just
before and after the window do not count.
"""
import collections
import datetime
import json
import os
import re
import statistics as st
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from proc_cpu import descendants, stat  # noqa: E402


def run(argv):
    label, outdir = argv[0], argv[1]
    cmd = argv[argv.index("--") + 1:]
    E = os.environ
    port = int(E["TILED_URL"].rsplit(":", 1)[1].strip("/"))
    data = E["TILED_DATA_DIR"]
    tiled_pid = int(E["TILED_PID"])
    pg_pid = int(open(f"{data}/pg/postmaster.pid").readline())
    redis_pid = int(open(f"{data}/redis/redis.pid").read())
    CLK = os.sysconf("SC_CLK_TCK")


    def cpu_of(pids):
        res = {}
        for p in pids:
            s = stat(p)
            if s:
                res[p] = (int(s[11]) + int(s[12])) / CLK
        return res


    workers = sorted(descendants([tiled_pid]))
    groups = {"tiled": descendants([tiled_pid]), "pg": descendants([pg_pid]), "redis": descendants([redis_pid])}

    samples = []  # (t, {group: cpu}, {worker: cpu})
    conn_worker = {}  # client port -> worker pid
    stop = [False]


    def sampler():
        while not stop[0]:
            t = time.time()
            g = {}
            allp = {}
            for name, ps in groups.items():
                # PostgreSQL forks a backend per connection: refresh its tree.
                if name == "pg":
                    ps = groups["pg"] = descendants([pg_pid])
                c = cpu_of(ps)
                allp.update(c)
                g[name] = sum(c.values())
            samples.append((t, g, {p: allp.get(p, 0) for p in groups["tiled"]}))
            time.sleep(0.05)


    def ss_poller():
        rx = re.compile(r"127\.0\.0\.1:(\d+)\s+127\.0\.0\.1:(\d+)\s+users:\(\(\"[^\"]*\",pid=(\d+)")
        while not stop[0]:
            out = subprocess.run(["ss", "-tnpH", "state", "established", f"( sport = :{port} )"],
                                 capture_output=True, text=True).stdout
            for line in out.splitlines():
                m = rx.search(line)
                if m:
                    conn_worker.setdefault(int(m.group(2)), int(m.group(3)))
            time.sleep(0.1)


    pglog = f"{data}/pg/server.log"
    pg_off = os.path.getsize(pglog)
    os.makedirs(outdir, exist_ok=True)
    cap = f"{outdir}/{label}.pcap"
    td = subprocess.Popen(["tcpdump", "-i", "lo", "-s", "1000", "-w", cap, "-U", f"tcp port {port}"],
                          stderr=subprocess.DEVNULL)
    time.sleep(1)
    th = [threading.Thread(target=sampler), threading.Thread(target=ss_poller)]
    for t in th:
        t.start()
    t0 = time.time()
    r = subprocess.run(cmd, capture_output=True, text=True)
    t1 = time.time()
    time.sleep(0.5)
    stop[0] = True
    for t in th:
        t.join()
    td.terminate()
    td.wait()
    open(f"{outdir}/{label}.out", "w").write(r.stdout + r.stderr)

    # ---- parse the capture
    txt = subprocess.run(["tcpdump", "-r", cap, "-tt", "-nn", "-A"], capture_output=True, text=True,
                         errors="replace").stdout
    hdr = re.compile(r"^(\d+\.\d+) IP 127\.0\.0\.1\.(\d+) > 127\.0\.0\.1\.(\d+): Flags \[([^\]]*)\].*length (\d+)")
    pkts = []
    cur = None
    for line in txt.splitlines():
        m = hdr.match(line)
        if m:
            cur = {"t": float(m.group(1)), "src": int(m.group(2)), "dst": int(m.group(3)),
                   "len": int(m.group(5)), "text": []}
            pkts.append(cur)
        elif cur is not None:
            cur["text"].append(line)
    reqs = []
    open_req = {}
    for p in pkts:
        body = "\n".join(p["text"])
        if p["dst"] == port and p["len"] > 0:
            cport = p["src"]
            m = re.search(r"(GET|PATCH|PUT|POST|DELETE) (\S+) HTTP/1\.1", body)
            if m:
                rq = {"conn": cport, "method": m.group(1), "url": m.group(2), "t_first": p["t"],
                      "t_last": p["t"], "head": re.sub(r"(?im)^authorization:.*$", "authorization: ***", body[m.start():m.start() + 900])}
                reqs.append(rq)
                open_req[cport] = rq
            elif cport in open_req:
                open_req[cport]["t_last"] = p["t"]
        elif p["src"] == port and p["len"] > 0:
            cport = p["dst"]
            m = re.search(r"HTTP/1\.1 (\d+)", body)
            if m and cport in open_req:
                rq = open_req.pop(cport)
                rq["status"] = int(m.group(1))
                rq["t_resp"] = p["t"]
                d = re.search(r"app;dur=([\d.]+)", body, re.I)
                rq["app_ms"] = float(d.group(1)) if d else None
    for rq in reqs:
        rq["worker"] = conn_worker.get(rq["conn"])

    # ---- PostgreSQL statements
    stmts = []
    with open(pglog, errors="replace") as f:
        f.seek(pg_off)
        rx = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) UTC \[(\d+)\] LOG:  (statement|execute [^:]*): (.*)")
        for line in f:
            m = rx.match(line)
            if m:
                ts = datetime.datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S.%f").replace(
                    tzinfo=datetime.timezone.utc).timestamp()
                stmts.append((ts, int(m.group(2)), m.group(4)[:160]))
    for rq in reqs:
        if "t_resp" in rq:
            rq["sql"] = [s[2] for s in stmts if rq["t_first"] - 0.002 <= s[0] <= rq["t_resp"] + 0.002]


    json.dump({"label": label, "t0": t0, "t1": t1, "requests": reqs,
               "samples": [(s[0], s[1]) for s in samples], "workers": sorted(groups["tiled"]),
               "worker_samples": [(s[0], s[2]) for s in samples]},
              open(f"{outdir}/{label}.json", "w"))
    os.remove(cap)
    print(f"{label}: {len(reqs)} requests, rc={r.returncode}, {t1 - t0:.2f} s")


def show(argv):
    d = json.load(open(argv[0]))
    sub = argv[1]
    rs = [r for r in d["requests"] if r["method"] == "PATCH" and sub in r["url"] and "t_resp" in r]
    if not rs:
        sys.exit("no requests")
    a, b = rs[0]["t_first"], rs[-1]["t_resp"]
    S = d["samples"]
    W = d["worker_samples"]


    def near(ss, t):
        # linear interpolation between the samples around t
        for i in range(len(ss) - 1):
            if ss[i][0] <= t <= ss[i + 1][0]:
                a, b = ss[i], ss[i + 1]
                f = (t - a[0]) / (b[0] - a[0]) if b[0] > a[0] else 0
                return {k: a[1][k] + f * (b[1].get(k, 0) - a[1][k]) for k in a[1]}
        return min(ss, key=lambda s: abs(s[0] - t))[1]


    ca, cb = near(S, a), near(S, b)
    cpu = {k: cb[k] - ca[k] for k in ca}
    wa, wb = near(W, a), near(W, b)
    wcpu = {p: round(wb[p] - wa.get(p, 0), 2) for p in wb}
    n = len(rs)
    med = st.median
    app = [r["app_ms"] for r in rs if r.get("app_ms") is not None]
    turn = [(r["t_resp"] - r["t_last"]) * 1e3 for r in rs]
    upload = [(r["t_last"] - r["t_first"]) * 1e3 for r in rs]
    gaps = [(rs[i + 1]["t_first"] - rs[i]["t_resp"]) * 1e3 for i in range(n - 1)]
    total = [(r["t_resp"] - r["t_first"]) * 1e3 for r in rs]
    sqln = [len(r.get("sql", [])) for r in rs]
    print(f"{d['label']} [{sub}]: {n} PATCHes over {b - a:.2f} s = {(b - a) / n * 1e3:.1f} ms/patch")
    print(f"  server CPU ms/patch: " + ", ".join(f"{k} {v / n * 1e3:.1f}" for k, v in cpu.items())
          + f", all {sum(cpu.values()) / n * 1e3:.1f}")
    print(f"  worker CPU s: {wcpu}")
    print(f"  workers answering: {collections.Counter(r['worker'] for r in rs)}; connections {len(set(r['conn'] for r in rs))}")
    print(f"  app ms med {med(app):.1f} mean {st.mean(app):.1f}; req first->last byte med {med(upload):.1f}; "
          f"last byte->resp med {med(turn):.1f}; first->resp med {med(total):.1f}; gap med {med(gaps):.1f} mean {st.mean(gaps):.1f}")
    print(f"  sql statements per patch: med {med(sqln)} total {sum(sqln)}")
    extend = collections.Counter(("extend=true" in r["url"]) for r in rs)
    print(f"  extend=true: {extend[True]}, false {extend[False]}")
    if "--sql" in argv:
        c = collections.Counter(s.split(" ")[0] + " " + " ".join(s.split()[1:4]) for r in rs for s in r.get("sql", []))
        for k, v in c.most_common(30):
            print(f"    {v:5d} {k}")
        print(rs[1]["head"])


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in ("run", "show"):
        sys.exit(__doc__)
    (run if sys.argv[1] == "run" else show)(sys.argv[2:])
