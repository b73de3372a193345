#!/usr/bin/env python3
"""Validates perfgate's baseline comparison on real runs of the mock.

Driven by bench/stats_validation.sh (which finds the binary and sets up the
work directory); runnable alone with --perfgate and --suite. Standard
library only.

1. Pools of runs: for each run-to-run noise level (the mock's run_noise, a
   lognormal sigma of a per-run speed factor drawn from the seed), a pool A
   of runs at speed 1 and one pool B per slowdown (speed 1.05, 1.10, 1.20),
   every run a `perfgate run --no-baseline` with its own seed. The runs of
   all pools are made in one shuffled order, so that a change of machine
   load over the session falls on every pool alike.
2. Comparisons: for each noise level and repeat count R, a history of K
   runs drawn from pool A and R current runs drawn from the rest of pool A
   (A/A: there is no change, any regression is a false alarm) or from a B
   pool (A/B: a real slowdown, a regression is a detection). OLD and NEW
   are results documents whose scenario holds the chosen runs' "runs";
   `perfgate compare --suite S --json OUT OLD NEW` judges them. When any
   metric is a regression, the comparison is confirmed as `perfgate run`
   does (baseline.confirm): max(2R, 5) - R more current runs are drawn from
   the same pool, disjoint from the history and the current runs, and
   `perfgate compare` judges the history against all max(2R, 5); its
   verdicts are the final ones. Both are reported; the targets are judged
   on the final verdicts.
3. The same samples are judged by a naive rule: a regression when the first
   current run is more than 10% worse than the last history run.
4. Diagnostics: each run's mock factor is recomputed from its seed, so the
   machine's own part of the noise can be separated out, and runs the
   machine slowed down a lot ("disturbed") are marked; the A/A rates are
   also given without the comparisons whose current runs include one.

Prints the tables and the issue's targets (PASS/MISS) on stdout, progress
on stderr; exits 1 when a target is missed, 2 on an error.
"""

import argparse
import concurrent.futures
import copy
import json
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import threading
import time

METRICS = ("ttft.p95", "throughput.rps")
# +1: higher is worse (latency); -1: lower is worse (throughput)
BAD_DIRECTION = {"ttft.p95": 1, "throughput.rps": -1}
NAIVE_THRESHOLD = 0.10
SEVERITY = {"regression": 0, "inconclusive": 1, "improvement": 2, "pass": 3}
MOCK_BASE = "ttft_ms=20&decode_ms=2&prefill_us=0&jitter=0.05&slots=64"

log_lock = threading.Lock()


def log(msg):
    with log_lock:
        print("[stats_validation] " + msg, file=sys.stderr, flush=True)


def die(msg):
    log("error: " + msg)
    sys.exit(2)


def pct(x):
    return "-" if x is None else "%.1f%%" % (100.0 * x)


def rate(num, den):
    return None if den == 0 else num / den


def parse_list(text, kind):
    try:
        return [kind(x) for x in text.split(",") if x.strip()]
    except ValueError:
        die("bad list '%s'" % text)


# ---- phase 1: pools of runs -------------------------------------------------


class Run:
    """One perfgate run: its pool, seed and directory; its scenario's runs
    entry once made."""

    def __init__(self, noise, speed, seed, workdir):
        self.noise = noise
        self.speed = speed
        self.seed = seed
        self.dir = os.path.join(workdir, "runs", "noise%g" % noise, "speed%g" % speed,
                                "seed%d" % seed)
        self.entry = None  # scenarios[0].runs[0] of its results.json
        self.disturbed = False  # set by mark_disturbed

    def url(self):
        return "mock://?%s&speed=%g&run_noise=%g&seed=%d" % (MOCK_BASE, self.speed,
                                                            self.noise, self.seed)

    def value(self, metric):
        v = self.entry["estimates"].get(metric, {}).get("value")
        return v if isinstance(v, (int, float)) and math.isfinite(v) else None

    def factor(self):
        """The time multiplier the mock used for this run: speed x its
        run-noise factor, drawn as in pg_mock_run_speed (framework/
        mock_model.c): a splitmix64 stream seeded from seed ^ NOISE_SALT, a
        Box-Muller normal clamped to +-3, exp(run_noise x z). Diagnostics
        only: if the mock changes its draw, the machine CVs printed grow to
        the pools' raw CVs, which shows."""
        mask = (1 << 64) - 1
        golden = 0x9E3779B97F4A7C15

        def mix64(z):
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
            return z ^ (z >> 31)

        state = mix64((self.seed ^ 0x13198A2E03707344) ^ mix64(golden))
        u = []
        for _ in range(2):
            state = (state + golden) & mask
            u.append((mix64(state) >> 11) * 2.0 ** -53)
        z = math.sqrt(-2.0 * math.log(1.0 - u[0])) * math.cos(2.0 * math.pi * u[1])
        return self.speed * math.exp(self.noise * max(-3.0, min(3.0, z)))

    def machine(self, metric):
        """The metric with the mock's factor divided out: what is left is
        the machine's (and perfgate's) own part of the run-to-run noise.
        Latency scales with the factor, throughput with its inverse."""
        f = self.factor()
        return self.value(metric) / f if BAD_DIRECTION[metric] > 0 else self.value(metric) * f


def make_run(args, run):
    """Runs perfgate once for `run` unless its results exist (a resumed work
    directory). Returns the results document."""
    res = os.path.join(run.dir, "results.json")
    if not os.path.exists(res):
        tmp = run.dir + ".tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        cmd = args.run_prefix + [args.perfgate, "run", args.suite, "--no-baseline", "--no-color",
                                 "--out", tmp, "--workers", str(args.workers),
                                 "--set", "target.url=" + run.url()] + args.run_set
        for attempt in (1, 2):
            try:
                p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
                rc, err = p.returncode, p.stderr
            except subprocess.TimeoutExpired:
                rc, err = "timeout", "(no answer within 120 s)"
            if rc == 0 and os.path.exists(os.path.join(tmp, "results.json")):
                break
            log("run %s failed (exit %s, attempt %d): %s" % (run.url(), rc, attempt,
                                                              err.strip()[-500:]))
        else:
            die("perfgate run failed twice for %s" % run.url())
        os.makedirs(os.path.dirname(run.dir), exist_ok=True)
        os.replace(tmp, run.dir)
    with open(res) as f:
        doc = json.load(f)
    scs = doc.get("scenarios") or []
    if len(scs) != 1 or len(scs[0].get("runs") or []) != 1:
        die("%s: expected one scenario with one run" % res)
    run.entry = scs[0]["runs"][0]
    for m in METRICS:
        if run.value(m) is None:
            die("%s: no value for %s" % (res, m))
    return doc


def make_pools(args):
    """All runs, made in a shuffled order; returns (pools, template) where
    pools[noise][speed] is a list of Runs."""
    # mock seeds 1001, 1002, ... for --seed 1; other --seed values get
    # other runs (and a work directory can hold several)
    pools, todo, seed = {}, [], 1000 + 100000 * (args.seed - 1)
    for noise in args.noises:
        pools[noise] = {}
        for speed in [1.0] + args.slowdowns:
            size = args.pool_a if speed == 1.0 else args.pool_b
            pools[noise][speed] = []
            for _ in range(size):
                seed += 1
                r = Run(noise, speed, seed, args.work)
                pools[noise][speed].append(r)
                todo.append(r)
    random.Random("%d:order" % args.seed).shuffle(todo)
    made = sum(os.path.exists(os.path.join(r.dir, "results.json")) for r in todo)
    log("%d runs of %s (%s), in %s: %d there already, %d to make" %
        (len(todo), args.suite, " ".join(args.run_set) or "as the suite says", args.work, made,
         len(todo) - made))
    template, t0 = None, time.monotonic()
    for i, r in enumerate(todo):
        doc = make_run(args, r)
        if template is None:
            template = doc
        if (i + 1) % 10 == 0 or i + 1 == len(todo):
            el = time.monotonic() - t0
            log("runs: %d of %d (%.0f s, about %.0f s left)" %
                (i + 1, len(todo), el, el / (i + 1) * (len(todo) - i - 1)))
    return pools, template


# A run is disturbed when, with the mock's factor divided out, it lost
# more than 10% of the median throughput or its TTFT p95 rose more than 25%
# over the median: the machine, not the mock, made it slow.
DISTURBED_RPS = 0.90
DISTURBED_TTFT = 1.25


def mark_disturbed(pools):
    for by_speed in pools.values():
        runs = [r for rs in by_speed.values() for r in rs]
        med = {m: statistics.median(r.machine(m) for r in runs) for m in METRICS}
        for r in runs:
            r.disturbed = (r.machine("throughput.rps") < DISTURBED_RPS * med["throughput.rps"] or
                           r.machine("ttft.p95") > DISTURBED_TTFT * med["ttft.p95"])


def cv(vals):
    mean = statistics.mean(vals)
    return statistics.stdev(vals) / mean if len(vals) > 1 and mean else float("nan")


def pool_summary(pools):
    """Lines describing each pool: per metric the median relative to pool
    A's, the run-to-run CV, and the CV of the machine's part alone over the
    undisturbed runs; and the number of disturbed runs."""
    lines = []
    for noise, by_speed in pools.items():
        base = {m: statistics.median(r.value(m) for r in by_speed[1.0]) for m in METRICS}
        for speed, runs in by_speed.items():
            parts = []
            for m in METRICS:
                med = statistics.median(r.value(m) for r in runs)
                parts.append("x%.3f  CV %4.1f%%  (machine %4.1f%%)" %
                             (med / base[m], 100 * cv([r.value(m) for r in runs]),
                              100 * cv([r.machine(m) for r in runs if not r.disturbed])))
            lines.append("  %4.0f%%  %-7s %4d | %-31s | %-31s | %d" %
                         (100 * noise, "A" if speed == 1.0 else "B x%.2f" % speed, len(runs),
                          parts[0], parts[1], sum(r.disturbed for r in runs)))
    return lines


# ---- phase 2: comparisons ---------------------------------------------------


def results_doc(template, runs):
    """The template results document with its scenario's runs replaced by
    those of `runs`, in order."""
    doc = copy.copy(template)
    sc = copy.copy(template["scenarios"][0])
    sc["runs"] = [r.entry for r in runs]
    doc["scenarios"] = [sc]
    return doc


def naive(hist, cur):
    """The naive rule per metric: the first current run more than 10% worse
    than the last history run."""
    out = {}
    for m in METRICS:
        last, now = hist[-1].value(m), cur[0].value(m)
        out[m] = BAD_DIRECTION[m] * (now - last) / last > NAIVE_THRESHOLD
    return out


def confirm_target(reps):
    """The runs `perfgate run` confirms a regression with (framework/
    cli_run.c, confirm_regressions): max(2R, 5)."""
    return max(2 * reps, 5)


def run_compare(args, template, tag, hist, cur):
    """Runs `perfgate compare` of OLD = hist against NEW = cur; returns
    (verdicts, changes, baseline object) of its one scenario."""
    d = os.path.join(args.work, "cmp", tag)
    os.makedirs(d, exist_ok=True)
    old, new, out = (os.path.join(d, n) for n in ("old.json", "new.json", "out.json"))
    try:
        for path, runs in ((old, hist), (new, cur)):
            with open(path, "w") as f:
                json.dump(results_doc(template, runs), f)
        cmd = [args.perfgate, "compare", "--suite", args.suite, "--no-color", "--json", out,
               old, new]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if p.returncode not in (0, 1) or not os.path.exists(out):
            die("perfgate compare exited %d: %s" % (p.returncode, (p.stderr or p.stdout)[-800:]))
        with open(out) as f:
            sc = json.load(f)["scenarios"][0]
    finally:
        shutil.rmtree(d, ignore_errors=True)
    base = sc.get("baseline") or {}
    if base.get("status") != "compared":
        die("comparison %s not compared: %s" % (tag, base.get("reason")))
    verdicts = {c["metric"]: c["verdict"] for c in sc.get("comparisons") or []}
    changes = {c["metric"]: c.get("change_pct") for c in sc.get("comparisons") or []}
    for m in METRICS:
        if m not in verdicts:
            die("comparison %s has no verdict for %s" % (tag, m))
    if (p.returncode == 1) != any(v == "regression" for v in verdicts.values()):
        die("comparison %s: exit %d does not match the verdicts %s" %
            (tag, p.returncode, verdicts))
    return verdicts, changes, base


def compare(args, template, job):
    """One comparison as `perfgate run` makes it: compare the R current runs
    with the history; when any metric is a regression, add the job's
    confirmation runs (up to max(2R, 5) current runs in all) and compare
    again, the second verdicts being the final ones. Returns its record."""
    first, first_changes, base = run_compare(args, template, "%d" % job["id"], job["hist"],
                                             job["cur"])
    verdicts, changes, used = first, first_changes, job["cur"]
    confirmed = any(v == "regression" for v in first.values())
    if confirmed:
        used = job["cur"] + job["more"]
        verdicts, changes, _ = run_compare(args, template, "%d-confirm" % job["id"],
                                           job["hist"], used)
    rec = base.get("recommended_repeats")
    return {
        "noise": job["noise"], "repeats": job["repeats"], "speed": job["speed"],
        "verdicts": verdicts, "change_pct": changes,
        "first_verdicts": first, "first_change_pct": first_changes,
        "confirm_runs": len(used) if confirmed else None,
        # absent when no metric had a figure; -1: no count up to 100 is enough
        "recommended": rec if isinstance(rec, int) else None,
        "naive": naive(job["hist"], job["cur"]),
        "disturbed_cur": any(r.disturbed for r in job["cur"]),
        "disturbed_used": any(r.disturbed for r in used),
        "disturbed_hist": sum(r.disturbed for r in job["hist"]),
        "hist_seeds": [r.seed for r in job["hist"]], "cur_seeds": [r.seed for r in job["cur"]],
        "confirm_seeds": [r.seed for r in job["more"]] if confirmed else [],
    }


def make_jobs(args, pools):
    """The comparisons: per setting, a history from pool A, R current runs
    from the rest of A (A/A) or a B pool, and the runs a confirmation would
    add, disjoint from both. The confirmation runs come from a stream of
    their own, so the history and current runs are the same draws as
    without confirmation (and as in sessions made before it existed)."""
    jobs = []
    for noise in args.noises:
        a = pools[noise][1.0]
        for reps in args.repeats:
            for speed in [1.0] + args.slowdowns:
                key = "%d:%g:%d:%g" % (args.seed, noise, reps, speed)
                rng, rng_more = random.Random(key), random.Random(key + ":confirm")
                for _ in range(args.comparisons):
                    hist = rng.sample(a, args.history)
                    rest = [r for r in a if r not in hist] if speed == 1.0 else pools[noise][speed]
                    cur = rng.sample(rest, reps)
                    left = [r for r in rest if r not in cur]
                    more = rng_more.sample(left, confirm_target(reps) - reps)
                    jobs.append({"id": len(jobs), "noise": noise, "repeats": reps,
                                 "speed": speed, "hist": hist, "cur": cur, "more": more})
    return jobs


def run_comparisons(args, pools, template):
    jobs = make_jobs(args, pools)
    log("%d comparisons (%d jobs at a time)" % (len(jobs), args.jobs))
    records, t0 = [None] * len(jobs), time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as ex:
        futs = {ex.submit(compare, args, template, j): j["id"] for j in jobs}
        for k, fut in enumerate(concurrent.futures.as_completed(futs)):
            records[futs[fut]] = fut.result()
            if (k + 1) % 200 == 0 or k + 1 == len(jobs):
                el = time.monotonic() - t0
                log("comparisons: %d of %d (%.0f s, about %.0f s left)" %
                    (k + 1, len(jobs), el, el / (k + 1) * (len(jobs) - k - 1)))
    return records


# ---- phase 3: figures -------------------------------------------------------


def worst(verdicts):
    return min(verdicts.values(), key=lambda v: SEVERITY[v])


def summarize(args, records):
    """Rates per setting: summary[(noise, R, speed)] = dict of figures. The
    verdicts are the final ones (after a confirmation, as a build sees
    them) unless the name says "first" (the first comparison alone, as
    without confirmation)."""
    groups = {}
    for r in records:
        groups.setdefault((r["noise"], r["repeats"], r["speed"]), []).append(r)
    out = {}
    for key, rs in groups.items():
        n = len(rs)
        s = {"n": n}
        for v in SEVERITY:
            s["worst_" + v] = rate(sum(worst(r["verdicts"]) == v for r in rs), n)
        for m in METRICS:
            s["reg_" + m] = rate(sum(r["verdicts"][m] == "regression" for r in rs), n)
            s["inc_" + m] = rate(sum(r["verdicts"][m] == "inconclusive" for r in rs), n)
            s["naive_" + m] = rate(sum(r["naive"][m] for r in rs), n)
        s["naive_any"] = rate(sum(any(r["naive"].values()) for r in rs), n)
        s["reg_count"] = sum(worst(r["verdicts"]) == "regression" for r in rs)
        s["first_reg_count"] = sum(worst(r["first_verdicts"]) == "regression" for r in rs)
        s["first_regression"] = rate(s["first_reg_count"], n)
        # confirmations made: how often a build pays the extra runs
        s["confirmed"] = rate(sum(r["confirm_runs"] is not None for r in rs), n)
        quiet = [r for r in rs if not r["disturbed_used"]]
        s["quiet_n"] = len(quiet)
        s["quiet_reg_count"] = sum(worst(r["verdicts"]) == "regression" for r in quiet)
        s["quiet_regression"] = rate(s["quiet_reg_count"], len(quiet))
        s["pass_or_improvement"] = s["worst_pass"] + s["worst_improvement"]
        s["recommended"] = [r["recommended"] for r in rs]
        out[key] = s
    return out


def repeats_figure(vals):
    """The recommended repeat counts of some comparisons in a few words: the
    median of those with a count, and the share of -1 (more history
    needed) and of none at all."""
    if not vals:
        return "-"
    counts = [v for v in vals if v is not None and v >= 0]
    text = "median %s" % (statistics.median_low(counts) if counts else "-")
    text += ", -1 in %s" % pct(sum(v is not None and v < 0 for v in vals) / len(vals))
    missing = sum(v is None for v in vals)
    if missing:
        text += ", none in %s" % pct(missing / len(vals))
    return text


def report(args, pools, records):
    s = summarize(args, records)
    print("stats_validation: K=%d history runs, tolerance 5%%, confidence 99%%; "
          "pools A=%d, B=%d runs per noise level; %d comparisons per setting; a regression "
          "is confirmed with max(2R, 5) runs as perfgate run does" %
          (args.history, args.pool_a, args.pool_b, args.comparisons))
    print()
    print("pools: per metric the median relative to pool A's, the run-to-run CV (sd / mean),")
    print("and the CV of the machine's part alone (the mock's known run factor divided out)")
    print("over the undisturbed runs; disturbed = runs that lost > 10% throughput or gained")
    print("> 25% TTFT to the machine")
    print("  noise  pool    runs | %-31s | %-31s | disturbed" % METRICS)
    for line in pool_summary(pools):
        print(line)
    print()
    print("A/A (no change), by the worst verdict over both metrics after the confirmation:")
    print("false regressions (the build fails); the same unconfirmed (the first comparison")
    print("alone); the same without the comparisons whose current runs include a disturbed")
    print("run; confirmed = share of comparisons that made the extra runs; inconclusive;")
    print("pass (or improvement); per-metric false regressions; the naive rule (the first")
    print("repeat more than 10% worse than the last history run) on the same samples")
    print("  noise   R | false-reg      unconfirmed    undisturbed    | confirmed inconcl"
          "    pass | reg ttft     rps | naive   ttft     rps")
    for noise in args.noises:
        for reps in args.repeats:
            x = s[(noise, reps, 1.0)]
            print("  %4.0f%% %3d | %6s %3d/%-3d %6s %3d/%-3d %6s %3d/%-3d | %9s %7s %7s |"
                  " %8s %7s | %5s %6s %7s" %
                  (100 * noise, reps, pct(x["worst_regression"]), x["reg_count"], x["n"],
                   pct(x["first_regression"]), x["first_reg_count"], x["n"],
                   pct(x["quiet_regression"]), x["quiet_reg_count"], x["quiet_n"],
                   pct(x["confirmed"]), pct(x["worst_inconclusive"]),
                   pct(x["pass_or_improvement"]), pct(x["reg_ttft.p95"]),
                   pct(x["reg_throughput.rps"]), pct(x["naive_any"]), pct(x["naive_ttft.p95"]),
                   pct(x["naive_throughput.rps"])))
    print()
    print("A/B (the current runs slowed down): power = share found as a regression after the")
    print("confirmation, and without it (the first comparison alone); per metric after it;")
    print("the share inconclusive per metric; the naive rule on the same samples")
    print("  noise   R slowdown | power unconfirmed    ttft     rps | inconcl ttft     rps"
          " | naive   ttft     rps")
    for noise in args.noises:
        for reps in args.repeats:
            for speed in args.slowdowns:
                x = s[(noise, reps, speed)]
                print("  %4.0f%% %3d %7.0f%% | %6s %11s %7s %7s | %12s %7s | %5s %6s %7s" %
                      (100 * noise, reps, 100 * (speed - 1), pct(x["worst_regression"]),
                       pct(x["first_regression"]), pct(x["reg_ttft.p95"]),
                       pct(x["reg_throughput.rps"]), pct(x["inc_ttft.p95"]),
                       pct(x["inc_throughput.rps"]), pct(x["naive_any"]),
                       pct(x["naive_ttft.p95"]), pct(x["naive_throughput.rps"])))
    print()
    print("recommended repeats (baseline.recommended_repeats of the first comparison: the")
    print("repeats that find a worsening of twice the 5% tolerance with 80% power at the")
    print("measured noise; -1 = no count up to 100 is enough, more history needed), over")
    print("the A/A comparisons:")
    for noise in args.noises:
        allrec = []
        per_r = []
        for reps in args.repeats:
            rec = s[(noise, reps, 1.0)]["recommended"]
            allrec += rec
            per_r.append("R=%d: %s" % (reps, repeats_figure(rec)))
        print("  noise %2.0f%%: %s" % (100 * noise, repeats_figure(allrec)))
        print("     by R: %s" % "; ".join(per_r))
    print()
    return check_targets(args, s)


def check_targets(args, s):
    """Prints PASS/MISS (or n/a when the setting was not run) per target, on
    the figures after the confirmation; returns the number missed."""
    missed = 0
    print("targets (after the confirmation, as a build sees it):")
    for noise in args.noises:
        for reps in args.repeats:
            x = s[(noise, reps, 1.0)]
            ok = x["worst_regression"] <= 0.01
            missed += not ok
            print("  %s A/A false regressions <= 1%% at noise %.0f%%, R=%d: %s (%d of %d; "
                  "unconfirmed %s; %s without a disturbed current run)" %
                  ("PASS" if ok else "MISS", 100 * noise, reps, pct(x["worst_regression"]),
                   x["reg_count"], x["n"], pct(x["first_regression"]),
                   pct(x["quiet_regression"])))

    def power(noise, speed, max_r, want):
        nonlocal missed
        cands = [(r, s.get((noise, r, speed))) for r in args.repeats if r <= max_r]
        cands = [(r, x) for r, x in cands if x is not None]
        what = ">= %.0f%% power for a %.0f%% regression with at most %d repeats at %.0f%% noise" % (
            100 * want, 100 * (speed - 1), max_r, 100 * noise)
        if not cands:
            print("  n/a  %s (not run)" % what)
            return
        best_r, best = max(((r, x["worst_regression"]) for r, x in cands), key=lambda t: t[1])
        x = s[(noise, best_r, speed)]
        ok = best >= want
        missed += not ok
        print("  %s %s: %s at R=%d (unconfirmed %s; ttft %s, rps %s)" %
              ("PASS" if ok else "MISS", what, pct(best), best_r, pct(x["first_regression"]),
               pct(x["reg_ttft.p95"]), pct(x["reg_throughput.rps"])))

    power(0.05, 1.20, 3, 0.95)
    power(0.10, 1.20, 10, 0.95)
    power(0.05, 1.10, 5, 0.80)
    print("  (the comparisons of a setting overlap: they are drawn from one pool of %d A runs,"
          % args.pool_a)
    print("  so a rate near a target moves by a few points between sessions; see bench/README.md)")
    return missed


# ---- main ---------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--perfgate", required=True)
    ap.add_argument("--suite", required=True)
    ap.add_argument("--work", required=True, help="work directory (runs are reused)")
    ap.add_argument("--pool-a", type=int, default=60)
    ap.add_argument("--pool-b", type=int, default=30)
    ap.add_argument("--history", type=int, default=20, help="K, history runs per comparison")
    ap.add_argument("--comparisons", type=int, default=200, help="per setting and kind")
    ap.add_argument("--noises", default="0.05,0.10")
    ap.add_argument("--slowdowns", default="1.05,1.10,1.20", help="speed of the B pools")
    ap.add_argument("--repeats", default="1,3,5,10")
    ap.add_argument("--seed", type=int, default=1, help="seed of the sampling")
    ap.add_argument("--jobs", type=int, default=2, help="comparisons at a time")
    ap.add_argument("--workers", type=int, default=1, help="perfgate run --workers")
    ap.add_argument("--run-prefix", default="", help="command prefix of each run (taskset)")
    ap.add_argument("--set", dest="run_set", action="append", default=[],
                    help="extra --set KEY=VALUE for every run")
    ap.add_argument("--records", help="write every comparison's record here (JSON lines)")
    args = ap.parse_args()
    args.noises = parse_list(args.noises, float)
    args.slowdowns = parse_list(args.slowdowns, float)
    args.repeats = parse_list(args.repeats, int)
    args.run_prefix = args.run_prefix.split()
    args.run_set = [x for kv in args.run_set for x in ("--set", kv)]
    # a confirmation draws up to max(2R, 5) current runs, none of them in
    # the history
    most = confirm_target(max(args.repeats))
    if args.history < 2 or args.pool_a < args.history + most:
        die("--pool-a must hold the history (%d) plus max(2R, 5) = %d current runs" %
            (args.history, most))
    if args.slowdowns and args.pool_b < most:
        die("--pool-b must hold max(2R, 5) = %d current runs" % most)
    if any(s <= 1.0 for s in args.slowdowns):
        die("every slowdown must be a speed above 1")
    os.makedirs(args.work, exist_ok=True)
    # runs in a reused work directory must have been made the same way
    settings = {"mock": MOCK_BASE, "set": args.run_set, "workers": args.workers}
    spath = os.path.join(args.work, "settings.json")
    if os.path.exists(spath):
        with open(spath) as f:
            if json.load(f) != settings:
                die("%s holds runs made with other settings (%s); use another --work" %
                    (args.work, spath))
    else:
        with open(spath, "w") as f:
            json.dump(settings, f)

    pools, template = make_pools(args)
    mark_disturbed(pools)
    records = run_comparisons(args, pools, template)
    if args.records:
        with open(args.records, "w") as f:
            for r in records:
                f.write(json.dumps(r) + "\n")
    missed = report(args, pools, records)
    if missed:
        print("stats_validation: %d target%s missed" % (missed, "" if missed == 1 else "s"))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
