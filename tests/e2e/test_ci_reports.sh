#!/usr/bin/env bash
# CI reports: `perfgate report RESULTS.json --report SPEC` (and `perfgate run
# --report` once run has it) writes JUnit XML that parses with the right
# testcase and failure counts, a GitHub job summary appended to
# $GITHUB_STEP_SUMMARY with ::error annotations on stdout, GitLab's k6
# summary-export JSON, OpenMetrics text that passes a strict line grammar,
# and pushes the metrics to a Pushgateway.
source "$PG_E2E/lib.sh"

cat >"$T/suite.yaml" <<'EOF'
name: ci-reports
target:
  url: "mock://?decode_ms=1&ttft_ms=2&seed=3"
workload:
  prompts: ["hello there"]
  max_tokens: 4
scenarios:
  - name: chat
    load:
      concurrency: 2
      requests: 20
    requirements:
      - errors.rate < 1%
      - ttft.p95 < 1us
  - name: batch
    load:
      concurrency: 2
      requests: 20
    requirements:
      - e2e.p99 < 30s
EOF

"$PERFGATE" run "$T/suite.yaml" --out "$T/r" >"$T/run.out" 2>"$T/run.err"
[ $? = 1 ] || fail "perfgate run: expected exit 1 (one impossible requirement)"
R="$T/r/results.json"

# ---- JUnit, GitLab, OpenMetrics and GitHub through `perfgate report` ----
printf 'earlier step\n' >"$T/step_summary.md"
GITHUB_STEP_SUMMARY="$T/step_summary.md" GITHUB_ACTIONS=true \
	"$PERFGATE" report "$R" --report junit,gitlab,openmetrics,github >"$T/report.out" 2>"$T/report.err"
[ $? = 0 ] || fail "perfgate report exited $?"
for f in junit.xml gitlab-load-performance.json metrics.txt; do
	[ -s "$T/r/$f" ] || fail "perfgate report did not write $f next to results.json"
done
[ -e "$T/r/github-summary.md" ] && fail "github wrote github-summary.md although GITHUB_STEP_SUMMARY was set"

cat >"$T/check.py" <<'EOF'
"""Checks the CI report files against the results document they came from."""
import json
import re
import sys
import xml.etree.ElementTree as ET

kind, results_path, path = sys.argv[1], sys.argv[2], sys.argv[3]
doc = json.load(open(results_path))
scenarios = doc["scenarios"]
reqs = [r for s in scenarios for r in s.get("requirements", [])]
cmps = [c for s in scenarios for c in s.get("comparisons", [])]
n_checks = len(reqs) + len(cmps)
n_failed = sum(r["verdict"] != "met" for r in reqs) + sum(c["verdict"] == "regression" for c in cmps)


def fail(msg):
    sys.exit(f"{kind}: {msg}")


def junit():
    root = ET.parse(path).getroot()
    if root.tag != "testsuites" or root.get("name") != "perfgate":
        fail(f"root is <{root.tag} name={root.get('name')}>")
    if int(root.get("tests")) != n_checks or int(root.get("failures")) != n_failed:
        fail(f"testsuites tests={root.get('tests')} failures={root.get('failures')}, "
             f"want {n_checks} and {n_failed}")
    decimal = re.compile(r"^[0-9]+(\.[0-9]+)?$")
    suites = root.findall("testsuite")
    if len(suites) != len(scenarios):
        fail(f"{len(suites)} testsuites for {len(scenarios)} scenarios")
    cases = failures = 0
    for ts, sc in zip(suites, scenarios):
        # the Jenkins XSD: name and tests required; counts and time typed
        for a in ("name", "tests", "failures", "errors", "skipped", "time"):
            if ts.get(a) is None:
                fail(f"testsuite lacks {a}")
        if ts.get("name") != f"{doc['suite']}.{sc['name']}" or not decimal.match(ts.get("time")):
            fail(f"testsuite name={ts.get('name')} time={ts.get('time')}")
        ts_stamp = ts.get("timestamp")
        if ts_stamp is not None and not re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$", ts_stamp):
            fail(f"timestamp {ts_stamp} does not match the XSD pattern")
        order = [c.tag for c in ts]
        if order and order[0] != "properties" or "properties" in order[1:]:
            fail(f"testsuite children out of order: {order}")
        for p in ts.iter("property"):
            if p.get("name") is None or p.get("value") is None:
                fail("property without name or value")
        tcs = ts.findall("testcase")
        want = len(sc.get("requirements", [])) + len(sc.get("comparisons", []))
        if len(tcs) != want or int(ts.get("tests")) != want:
            fail(f"scenario {sc['name']}: {len(tcs)} testcases, tests={ts.get('tests')}, want {want}")
        for tc in tcs:
            if tc.get("classname") != ts.get("name") or not tc.get("name"):
                fail(f"testcase classname={tc.get('classname')} name={tc.get('name')}")
            rank = {"skipped": 0, "error": 1, "failure": 2, "system-out": 3, "system-err": 4}
            kids = [rank.get(c.tag, -1) for c in tc]
            if -1 in kids or kids != sorted(kids):
                fail(f"testcase children {[c.tag for c in tc]} break the XSD sequence")
            for f in tc.findall("failure"):
                if f.get("type") not in ("requirement", "regression") or not f.get("message"):
                    fail(f"failure type={f.get('type')} message={f.get('message')}")
                failures += 1
        cases += len(tcs)
    if cases != n_checks or failures != n_failed:
        fail(f"{cases} testcases, {failures} failures; want {n_checks}, {n_failed}")
    want_names = {f"requirement: {r['expr']}" for r in reqs} | {f"baseline: {c['metric']}" for c in cmps}
    names = {tc.get("name") for tc in root.iter("testcase")}
    if names != want_names:
        fail(f"testcase names {sorted(names)} != {sorted(want_names)}")
    for tc in root.iter("testcase"):
        if tc.get("name").startswith("baseline: ") and tc.get("name")[10:] in {
                c["metric"] for c in cmps if c["verdict"] == "inconclusive"}:
            if tc.find("failure") is not None or tc.find("skipped") is not None:
                fail("an inconclusive comparison must pass")
            if "inconclusive" not in (tc.findtext("system-out") or ""):
                fail("an inconclusive comparison says so in system-out")


def gitlab():
    g = json.load(open(path))
    m = g["metrics"]
    total = sum(s["metrics"]["requests"]["total"] for s in scenarios)
    if m["http_reqs"]["count"] != total or not m["http_reqs"]["rate"] > 0:
        fail(f"http_reqs {m['http_reqs']} (want count {total})")
    for trend in ("http_req_waiting", "http_req_duration"):
        if set(m[trend]) != {"avg", "min", "med", "max", "p(90)", "p(95)"}:
            fail(f"{trend} keys {sorted(m[trend])}")
        if not m[trend]["min"] <= m[trend]["med"] <= m[trend]["p(95)"] <= m[trend]["max"]:
            fail(f"{trend} not ordered: {m[trend]}")
    worst = max(s["metrics"]["ttft"]["p95"] for s in scenarios)
    if abs(m["http_req_waiting"]["p(95)"] - worst) > 1e-6 * worst:
        fail(f"http_req_waiting p(95) {m['http_req_waiting']['p(95)']} is not the worst TTFT p95 {worst}")
    c = m["checks"]
    if c["passes"] + c["fails"] != n_checks or c["fails"] != n_failed:
        fail(f"checks {c}")
    if abs(c["value"] - c["passes"] / n_checks) > 1e-12:
        fail(f"checks value {c['value']}")
    rg = g["root_group"]
    if (rg["name"], rg["path"], rg["id"]) != ("", "", "d41d8cd98f00b204e9800998ecf8427e"):
        fail(f"root_group {rg['name']!r} {rg['path']!r} {rg['id']}")
    if not isinstance(rg["groups"], dict) or len(rg["checks"]) != n_checks:
        fail(f"root_group groups/checks: {len(rg['checks'])} checks")
    for name, ck in rg["checks"].items():
        if ck["name"] != name or ck["path"] != "::" + name or not re.match(r"^[0-9a-f]{32}$", ck["id"]):
            fail(f"check {name}: {ck}")


NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABELS = r'\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*")(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*")*\}'
NUMBER = r"(?:[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|NaN|[+-]Inf)"
SAMPLE = re.compile(rf"^({NAME})({LABELS})? ({NUMBER})$")


def exposition(openmetrics):
    text = open(path, encoding="utf-8").read()
    if not text.endswith("\n"):
        fail("no final newline")
    lines = text[:-1].split("\n")
    if openmetrics and lines[-1] != "# EOF":
        fail(f"last line is {lines[-1]!r}, not '# EOF'")
    if not openmetrics and any(l.startswith(("# EOF", "# UNIT")) for l in lines):
        fail("'# EOF' or '# UNIT' in exposition format 0.0.4")
    body = lines[:-1] if openmetrics else lines
    family, seen_families, series, values = None, [], set(), {}
    for line in body:
        m = re.match(rf"^# (TYPE|UNIT|HELP) ({NAME}) (.+)$", line)
        if m:
            if m.group(1) == "TYPE":
                if m.group(2) in seen_families or m.group(3) != "gauge":
                    fail(f"bad TYPE line {line!r}")
                family = m.group(2)
                seen_families.append(family)
            elif m.group(2) != family:
                fail(f"{line!r} outside its family")
            if m.group(1) == "UNIT" and not family.endswith("_" + m.group(3)):
                fail(f"unit {m.group(3)} is not the suffix of {family}")
            continue
        m = SAMPLE.match(line)
        if not m:
            fail(f"line does not parse: {line!r}")
        if m.group(1) != family:
            fail(f"sample {m.group(1)} outside its family {family}")
        key = (m.group(1), m.group(2))
        if key in series:
            fail(f"duplicate series {line!r}")
        series.add(key)
        values[key] = float(m.group(3))
    if seen_families != sorted(seen_families):
        fail(f"families not sorted: {seen_families}")
    suite = doc["suite"]
    if values.get(("perfgate_run_pass", f'{{suite="{suite}"}}')) != (1 if doc["verdict"] == "pass" else 0):
        fail("perfgate_run_pass missing or wrong")
    met = sum(v for (n, _), v in values.items() if n == "perfgate_requirement_met")
    if met != len(reqs) - sum(r["verdict"] != "met" for r in reqs):
        fail(f"{met} requirements met in the metrics")
    sc = scenarios[0]
    key = ("perfgate_latency_seconds",
           f'{{suite="{suite}",scenario="{sc["name"]}",metric="ttft",quantile="0.95"}}')
    if abs(values[key] - sc["metrics"]["ttft"]["p95"] / 1e3) > 1e-12:
        fail(f"ttft p95 {values[key]} s vs {sc['metrics']['ttft']['p95']} ms")


{"junit": junit, "gitlab": gitlab, "openmetrics": lambda: exposition(True),
 "push": lambda: exposition(False)}[kind]()
print(f"ok: {kind} {path}")
EOF

python3 "$T/check.py" junit "$R" "$T/r/junit.xml" || fail "JUnit report"
python3 "$T/check.py" gitlab "$R" "$T/r/gitlab-load-performance.json" || fail "GitLab report"
python3 "$T/check.py" openmetrics "$R" "$T/r/metrics.txt" || fail "OpenMetrics report"

# GitHub: the summary went after the earlier step's text; annotations on stdout
head -1 "$T/step_summary.md" | grep -qx 'earlier step' || fail "the job summary lost the earlier text"
sed -n 2p "$T/step_summary.md" | grep -qE '^### .+ perfgate: 1 of 3 checks failed$' ||
	fail "job summary heading: $(sed -n 2p "$T/step_summary.md")"
grep -qE '^\| .+ failed \| ttft\.p95 &lt; 1us \|' "$T/step_summary.md" || fail "summary row for the failed requirement"
[ "$(grep -c '^::' "$T/report.out")" = 1 ] || fail "expected one annotation on stdout"
grep -qE '^::error file=[^,:]+suite\.yaml,line=[0-9]+,col=[0-9]+,title=perfgate chat%3A ttft\.p95 < 1us::ttft\.p95 = .+ ms, limit < 0\.001 ms \(.+suite\.yaml:[0-9]+:[0-9]+\)$' \
	"$T/report.out" || fail "annotation: $(cat "$T/report.out")"

# Without GITHUB_STEP_SUMMARY the summary is a file; off Actions, no annotations
env -u GITHUB_STEP_SUMMARY -u GITHUB_ACTIONS "$PERFGATE" report "$R" --report github --out "$T/gh" \
	>"$T/gh.out" 2>"$T/gh.err" || fail "perfgate report --report github"
[ -s "$T/gh/github-summary.md" ] || fail "no github-summary.md"
[ -s "$T/gh.out" ] && fail "annotations printed outside GitHub Actions"

# ---- baseline comparisons (regression, inconclusive) and hostile text ----
python3 - "$R" "$T/aug.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
chat, batch = d["scenarios"]
chat["baseline"] = {"status": "compared", "source": "git", "ref": "origin/main",
                    "commit": "0123456789abcdef0123456789abcdef01234567", "runs": 20}
chat["comparisons"] = [
    {"metric": "ttft.p95", "verdict": "regression", "unit": "ms", "baseline": 1.0, "current": 2.0,
     "change": 1.0, "change_pct": 100.0, "ci": [0.8, 1.2], "tolerance": 0.05, "confidence": 0.99,
     "repeats_needed": 0, "reason": "+100% (99% CI +80%..+120%) is beyond the 5% tolerance",
     "file": "suites/x.yaml", "line": 31, "col": 7},
    {"metric": "e2e.p99", "verdict": "inconclusive", "unit": "ms", "baseline": 10.0, "current": 10.4,
     "change": 0.4, "change_pct": None, "ci": [-0.5, 1.3], "tolerance": 0.5, "confidence": 0.99,
     "repeats_needed": 4, "reason": "CI <crosses> the \"tolerance\" & | % \u0001 'x'\nrun 4 more",
     "file": "suites/x,y.yaml", "line": 32, "col": 7}]
batch["name"] = "b<a>t&c\"h"
batch["comparisons"] = [{"metric": "throughput.rps", "verdict": "improvement", "unit": "/s",
                         "baseline": 10.0, "current": 12.0, "change": 2.0, "change_pct": 20.0}]
json.dump(d, open(sys.argv[2], "w"))
EOF
mkdir -p "$T/aug"
GITHUB_ACTIONS=true "$PERFGATE" report "$T/aug.json" --out "$T/aug" \
	--report "junit=$T/aug/j/junit.xml, github=$T/aug/summary.md,gitlab,openmetrics" >"$T/aug.out" 2>"$T/aug.err" ||
	fail "perfgate report on a document with comparisons"
python3 "$T/check.py" junit "$T/aug.json" "$T/aug/j/junit.xml" || fail "JUnit report with comparisons"
python3 "$T/check.py" gitlab "$T/aug.json" "$T/aug/gitlab-load-performance.json" || fail "GitLab report with comparisons"
python3 "$T/check.py" openmetrics "$T/aug.json" "$T/aug/metrics.txt" || fail "OpenMetrics report with comparisons"
grep -q 'type="regression"' "$T/aug/j/junit.xml" || fail "no regression failure in JUnit"
grep -q 'perfgate_comparison_verdict{suite="ci-reports",scenario="chat",metric="ttft.p95",verdict="regression"} 1' \
	"$T/aug/metrics.txt" || fail "comparison verdict metric"
grep -q 'scenario="b<a>t&c\\"h"' "$T/aug/metrics.txt" || fail "label value escaping"
sed -n 1p "$T/aug/summary.md" | grep -qE '^### .+ perfgate: 2 of 6 checks failed \(1 inconclusive\)$' ||
	fail "summary heading with comparisons: $(sed -n 1p "$T/aug/summary.md")"
grep -qF 'CI &lt;crosses&gt; the "tolerance" &amp; \| % ' "$T/aug/summary.md" || fail "summary cell escaping"
# errors first, then the warning; data and properties escaped per GitHub's rules
[ "$(grep -c '^::' "$T/aug.out")" = 3 ] || fail "expected three annotations: $(cat "$T/aug.out")"
sed -n 3p "$T/aug.out" | grep -q '^::warning file=suites/x%2Cy.yaml,line=32,col=7,title=perfgate chat%3A baseline%3A e2e.p99 (inconclusive)::' ||
	fail "warning annotation: $(sed -n 3p "$T/aug.out")"
sed -n 3p "$T/aug.out" | grep -qF "& | %25  'x'%0Arun 4 more" || fail "annotation data escaping: $(sed -n 3p "$T/aug.out")"

# ---- bad usage ----
"$PERFGATE" report "$R" --report junit,xunit >"$T/bad.out" 2>"$T/bad.err"
[ $? = 2 ] || fail "unknown format: expected exit 2"
grep -qF "unknown format 'xunit' (known: junit, github, gitlab, openmetrics, html)" "$T/bad.err" ||
	fail "unknown format message: $(cat "$T/bad.err")"
"$PERFGATE" report "$T/suite.yaml" --report junit >"$T/bad2.out" 2>"$T/bad2.err"
[ $? = 2 ] || fail "a file that is not a results document: expected exit 2"

# ---- Pushgateway ----
cat >"$T/gateway.py" <<'EOF'
"""A Pushgateway stand-in: records each PUT (path, content type, body) as
$DIR/push-N.json; answers 202, or 400 for job 'refuse'."""
import http.server, json, os, sys, threading

out_dir = sys.argv[1]
count = 0


class Handler(http.server.BaseHTTPRequestHandler):
    def do_PUT(self):
        global count
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        count += 1
        with open(os.path.join(out_dir, f"push-{count}.json"), "w") as f:
            json.dump({"path": self.path, "type": self.headers.get("Content-Type"),
                       "body": body.decode("utf-8")}, f)
        refuse = self.path.endswith("/refuse")
        msg = b"text format parsing error in line 3\n" if refuse else b""
        self.send_response(400 if refuse else 202)
        self.send_header("Content-Length", str(len(msg)))
        self.end_headers()
        self.wfile.write(msg)

    def log_message(self, *args):
        pass


srv = http.server.HTTPServer(("127.0.0.1", 0), Handler)
threading.Timer(240, srv.shutdown).start()
print(f"listening {srv.server_address[1]}", flush=True)
srv.serve_forever()
EOF
python3 "$T/gateway.py" "$T" >"$T/gateway.srv" 2>&1 &
PIDS+=($!)
line=$(wait_for_line "$T/gateway.srv" '^listening [0-9]+$') || fail "gateway did not start"
GW=${line#listening }
"$PERFGATE" report "$R" --push "http://127.0.0.1:$GW/" --push-job "ci nightly" >"$T/push.out" 2>"$T/push.err" ||
	fail "push exited $?: $(cat "$T/push.err")"
[ -s "$T/push-1.json" ] || fail "the gateway got no PUT"
check 'd["path"] == "/metrics/job/ci%20nightly"' "$T/push-1.json" "push path"
check 'd["type"] == "text/plain; version=0.0.4"' "$T/push-1.json" "push content type"
python3 -c 'import json,sys; open(sys.argv[2], "w").write(json.load(open(sys.argv[1]))["body"])' \
	"$T/push-1.json" "$T/pushed.txt"
python3 "$T/check.py" push "$R" "$T/pushed.txt" || fail "pushed body is not exposition format 0.0.4"
"$PERFGATE" report "$R" --push "http://user:pw@127.0.0.1:$GW" --push-job refuse >"$T/push2.out" 2>"$T/push2.err"
[ $? = 3 ] || fail "a refused push: expected exit 3"
grep -qF "PUT http://127.0.0.1:$GW/metrics/job/refuse: HTTP status 400: text format parsing error in line 3" \
	"$T/push2.err" || fail "refused push message: $(cat "$T/push2.err")"
grep -q 'pw@' "$T/push2.err" && fail "the push error shows the password"

# ---- `perfgate run --report` (once the run command has the option) ----
if "$PERFGATE" run --help 2>&1 | grep -q -- '--report'; then
	"$PERFGATE" run "$T/suite.yaml" --out "$T/run2" --report junit,openmetrics >"$T/run2.out" 2>"$T/run2.err"
	[ $? = 1 ] || fail "perfgate run --report: expected exit 1"
	python3 "$T/check.py" junit "$T/run2/results.json" "$T/run2/junit.xml" || fail "run --report junit"
	python3 "$T/check.py" openmetrics "$T/run2/results.json" "$T/run2/metrics.txt" || fail "run --report openmetrics"
else
	echo "note: perfgate run has no --report option yet; reports checked through perfgate report"
fi
echo "ok: CI reports"
