#!/usr/bin/env bash
# Sharding (docs/sharding.md): three `perfgate run --shard i/3` parts merge
# into histograms that are exactly the merge of the parts', with the
# percentiles perfgate reports read from them; requirements judge the whole
# (one only the sum of the three shards meets); parts that do not make one
# run, and bad --shard values, exit 2.
source "$PG_E2E/lib.sh"

S="$T/shard.yaml"
cat >"$S" <<'EOF'
name: sharded
target:
  url: "mock://?decode_ms=5&ttft_ms=10&output_tokens=4&slots=16"
workload:
  prompts: ["one", "two", "three", "four", "five"]
  max_tokens: 4
scenarios:
  - name: closed
    load:
      concurrency: 6
      duration: 2s
      warmup: 300ms
    requirements:
      # a request takes >= 30 ms, so a shard's 2 users make < 67/s: only the
      # three shards together reach 100/s
      - throughput.rps >= 100
      - e2e.p95 < 5s
  - name: open
    load:
      rate: 30/s
      arrival: constant
      duration: 2s
      warmup: 300ms
    requirements:
      - requests.total >= 45
  - name: sweep
    load:
      concurrency: 3
      duration: 800ms
      warmup: 100ms
    sweep:
      concurrency: [3, 6]
    requirements:
      - capacity.concurrency >= 3
EOF

for i in 1 2 3; do
	"$PERFGATE" run "$S" --shard "$i/3" --out "$T/p$i" --no-color -q >"$T/p$i.out" 2>"$T/p$i.err" ||
		fail "shard $i/3: exit $?"
done
"$PERFGATE" merge "$T/p3" "$T/p1" "$T/p2" --out "$T/m" --no-color >"$T/merge.out" 2>"$T/merge.err" ||
	fail "merge: exit $? (expected 0: the whole meets every requirement)"
grep -q "verdict: PASS" "$T/merge.out" || fail "merge prints the verdict"

python3 - "$T" <<'PY' || fail "merged results do not match the parts"
import base64, json, math, sys

T = sys.argv[1]
parts = [json.load(open(f"{T}/p{i}/results.json")) for i in (1, 2, 3)]
m = json.load(open(f"{T}/m/results.json"))


def decode(text):
    """PGH1:lowest:highest:sigfigs:count:min:max:overflow:body:crc -> dict."""
    f = text.split(":")
    assert f[0] == "PGH1" and len(f) == 10, text[:40]
    lowest, highest, sig, count, mn, mx, ovf = (int(x) for x in f[1:8])
    body = base64.urlsafe_b64decode(f[8] + "=" * (-len(f[8]) % 4))
    counts, i, slot = {}, 0, 0
    while i < len(body):
        v = shift = 0
        while True:
            b = body[i]
            i += 1
            v |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                break
        n = -(v >> 1) - 1 if v & 1 else v >> 1
        if n > 0:
            counts[slot] = n
            slot += 1
        else:
            slot += -n
    return dict(cfg=(lowest, highest, sig), count=count, min=mn, max=mx, overflow=ovf,
                counts=counts)


def layout(cfg):
    lowest, _, sig = cfg
    s = 0
    while (1 << s) < 2 * 10 ** sig:
        s += 1
    return lowest.bit_length() - 1, 1 << (s - 1)


def quantile(h, q):
    """Nearest rank, reported as the slot's midpoint clamped to [min, max]."""
    total = h["count"]
    rank = max(1, min(total, math.ceil(round(q * total, 9))))
    if rank <= 1:
        return h["min"]
    if rank >= total:
        return h["max"]
    u, half = layout(h["cfg"])
    seen = 0
    for idx in sorted(h["counts"]):
        seen += h["counts"][idx]
        if seen >= rank:
            b = 0 if idx < 2 * half else idx // half - 1
            low = ((idx - b * half) << b) << u
            mid = low + ((1 << (b + u)) >> 1)
            return min(max(mid, h["min"]), h["max"])
    return h["max"]


def close(a, b):
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def sc(doc, name):
    return next(s for s in doc["scenarios"] if s["name"] == name)


for name in ("closed", "open"):
    ms = sc(m, name)
    ps = [sc(p, name) for p in parts]
    for dist in ("e2e", "ttft", "itl", "tpot", "schedule_lag"):
        hs = [decode(p["metrics"][dist]["histogram"]) for p in ps]
        mh = decode(ms["metrics"][dist]["histogram"])
        want = {}
        for h in hs:
            assert h["cfg"] == mh["cfg"]
            for k, v in h["counts"].items():
                want[k] = want.get(k, 0) + v
        assert mh["counts"] == want, f"{name}.{dist}: merged buckets are not the parts' sum"
        assert mh["count"] == sum(h["count"] for h in hs) > 0, f"{name}.{dist}: count"
        assert mh["min"] == min(h["min"] for h in hs if h["count"]), f"{name}.{dist}: min"
        assert mh["max"] == max(h["max"] for h in hs), f"{name}.{dist}: max"
        for key, q in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99)):
            got, exp = ms["metrics"][dist][key], quantile(mh, q) / 1e6
            assert close(got, exp), f"{name}.{dist}.{key}: reported {got}, buckets say {exp}"
    for key in ("total", "succeeded", "failed", "started", "completed_in_window", "warmup"):
        got = ms["metrics"]["requests"][key]
        assert got == sum(p["metrics"]["requests"][key] for p in ps), f"{name}: requests.{key}"
    assert ms["window_s"] == max(p["window_s"] for p in ps)
    rps = ms["metrics"]["requests"]["completed_in_window"] / ms["window_s"]
    assert close(ms["metrics"]["throughput"]["rps"], rps), f"{name}: rps over the window"
    assert ms["workers"] == sum(p["workers"] for p in ps)
    assert ms["fingerprint"]["load_hash"] == ps[0]["fingerprint"]["load_hash"]
    assert ms["load"] == ps[0]["load"], f"{name}: parts and merge describe the whole load"
    assert "state" not in ms and "state" in ps[0]

# the split: 6 users are 2 per shard, 30/s is 10/s per shard
for p in parts:
    assert max(r["in_flight"] for r in sc(p, "closed")["series"]) <= 2, "2 users per shard"
    assert sc(p, "closed")["requirements"][0]["verdict"] == "failed", "a part alone is too slow"
    assert sc(p, "open")["metrics"]["requests"]["total"] <= 25, "10/s per shard"
    assert p["verdict"] == "partial" and p["exit_code"] == 0
assert [p["shard"] for p in parts] == [{"index": i, "count": 3} for i in (1, 2, 3)]
assert sc(m, "closed")["requirements"][0]["verdict"] == "met", "the whole reaches 100/s"
assert sc(m, "open")["requirements"][0]["verdict"] == "met"
assert m["verdict"] == "pass" and m["exit_code"] == 0 and "shard" not in m
assert m["merged"]["count"] == 3 and [x["index"] for x in m["merged"]["parts"]] == [1, 2, 3]

# a sweep merges level by level; the knee is found on the whole levels
sw = sc(m, "sweep")["sweep"]
assert [lv["load"] for lv in sw["levels"]] == [3, 6], sw
for i, lv in enumerate(sw["levels"]):
    want = sum(sc(p, "sweep")["sweep"]["levels"][i]["rps"] for p in parts)
    assert close(lv["rps"], want), f"sweep level {i}: rps {lv['rps']} != {want}"
assert sc(m, "sweep")["metrics"]["capacity"]["concurrency"] in (3, 6)
print("ok")
PY

# requirements are judged at merge time: a stricter suite with the same load fails the whole
sed -e 's/throughput.rps >= 100$/throughput.rps >= 100000/' "$S" >"$T/strict.yaml"
"$PERFGATE" merge "$T/p1" "$T/p2" "$T/p3" --suite "$T/strict.yaml" --no-color >"$T/strict.out" 2>&1
[ $? -eq 1 ] || fail "merge against a stricter requirement: expected exit 1"
# ... but a suite whose load differs from what the parts ran is refused
"$PERFGATE" merge "$T/p1" "$T/p2" "$T/p3" --set scenarios.0.load.duration=3s >/dev/null 2>"$T/set.err"
[ $? -eq 2 ] || fail "merge with another load: expected exit 2"
grep -q "differs from the one the parts ran" "$T/set.err" || fail "merge names the changed load"

# parts that do not make one run
expect_refused() { # MESSAGE_REGEX PART...
	local want=$1 rc
	shift
	"$PERFGATE" merge "$@" --out "$T/bad" >/dev/null 2>"$T/refused.err"
	rc=$?
	[ $rc -eq 2 ] || fail "merge $*: exit $rc, expected 2"
	grep -Eq -- "$want" "$T/refused.err" || fail "merge $*: message '$(cat "$T/refused.err")' lacks '$want'"
	[ ! -e "$T/bad/results.json" ] || fail "a refused merge wrote results"
}
expect_refused "shard 3/3 is missing" "$T/p1" "$T/p2"
expect_refused "both shard 2/3" "$T/p1" "$T/p2" "$T/p2"
expect_refused "not a part of a sharded run" "$T/m"

O="$T/other.yaml"
cat >"$O" <<'EOF'
name: other
target:
  url: "mock://?decode_ms=2&ttft_ms=2&output_tokens=2&slots=8"
workload:
  prompts: ["x"]
scenarios:
  - name: closed
    load:
      concurrency: 3
      duration: 300ms
EOF
"$PERFGATE" run "$O" --shard 3/3 --out "$T/q3" --no-color -q >"$T/q3.out" 2>"$T/q3.err" || fail "other 3/3: exit $?"
expect_refused "different suites" "$T/p1" "$T/p2" "$T/q3"

# repeats: each part keeps every repeat's state, the merge rebuilds each
for i in 1 2; do
	"$PERFGATE" run "$O" --shard "$i/2" --repeat 2 --out "$T/r$i" --no-color -q >"$T/r$i.out" 2>"$T/r$i.err" ||
		fail "other $i/2 --repeat 2: exit $?"
done
"$PERFGATE" merge "$T/r1" "$T/r2" --out "$T/rm" --no-color >"$T/rm.out" 2>"$T/rm.err" || fail "merge of repeats: exit $?"
check "len(d['scenarios'][0]['runs']) == 2" "$T/rm/results.json" "one runs[] entry per repeat"
check "all(r['estimates']['throughput.rps']['value'] > 0 for r in d['scenarios'][0]['runs'])" \
	"$T/rm/results.json" "every repeat has its merged estimates"

# bad --shard values and loads that cannot be split
for bad in 0/3 4/3 x 3 1/1001; do
	"$PERFGATE" run "$S" --shard "$bad" --out "$T/never" >/dev/null 2>"$T/shard.err"
	rc=$?
	[ $rc -eq 2 ] || fail "--shard $bad: exit $rc, expected 2"
	grep -q -- "--shard '$bad': expected I/N" "$T/shard.err" || fail "--shard $bad: message"
done
"$PERFGATE" validate "$S" --shard 7/7 >/dev/null 2>"$T/split.err"
[ $? -eq 2 ] || fail "validate --shard 7/7 of concurrency 6: expected exit 2"
grep -q "concurrency 6 cannot be split 7 ways" "$T/split.err" || fail "split message: $(cat "$T/split.err")"
"$PERFGATE" run "$S" --shard 1/3 --report junit >/dev/null 2>&1
[ $? -eq 2 ] || fail "--shard with --report: expected exit 2"
echo "ok: sharded run and merge"
