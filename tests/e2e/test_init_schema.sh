#!/usr/bin/env bash
# `perfgate init` writes a short commented starter suite that validates and
# runs against the mock, refuses to overwrite a file without --force, and
# takes --target. docs/suite.schema.json accepts every suite in the tree and
# the starter suite, and rejects broken suites as `perfgate validate` does.
# The schema half needs python3-jsonschema and python3-yaml (exit 77 without).
source "$PG_E2E/lib.sh"
schema=$PG_SRC/docs/suite.schema.json
cd "$T" || fail "cannot enter $T"

# ---- init --------------------------------------------------------------------
"$PERFGATE" init >"$T/init.out" 2>"$T/init.err" || fail "perfgate init exited $?"
[ -f perfgate.yaml ] || fail "perfgate init wrote no perfgate.yaml"
grep -q "wrote perfgate.yaml" "$T/init.out" || fail "init did not say what it wrote"
lines=$(wc -l <perfgate.yaml)
[ "$lines" -lt 80 ] || fail "the starter suite has $lines lines, expected fewer than 80"
for want in '^target:' '^  url: "mock://' '^workload:' '^  prompts:' '^  max_tokens:' \
	'^  stream:' '^scenarios:' '^      concurrency:' '^      rate:' 'ttft\.p95' 'e2e\.p99' \
	'errors\.rate' 'throughput\.rps' '^# cost:' '^# quality:' '^# baseline:'; do
	grep -Eq -- "$want" perfgate.yaml || fail "the starter suite has no line matching $want"
done
cp perfgate.yaml "$T/first.yaml"

# an existing file is kept unless --force
echo "# my own edit" >>perfgate.yaml
cp perfgate.yaml "$T/edited.yaml"
"$PERFGATE" init >"$T/refuse.out" 2>"$T/refuse.err"
rc=$?
[ "$rc" = 2 ] || fail "init over an existing file exited $rc, expected 2"
grep -q -- "--force" "$T/refuse.err" || fail "the refusal does not mention --force"
cmp -s perfgate.yaml "$T/edited.yaml" || fail "init changed the existing file without --force"
"$PERFGATE" init --force >"$T/force.out" 2>"$T/force.err" || fail "init --force exited $?"
cmp -s perfgate.yaml "$T/first.yaml" || fail "init --force did not rewrite the starter suite"
ls "$T" | grep -q '\.tmp\.' && fail "init left a temporary file: $(ls "$T")"

# usage errors write nothing
"$PERFGATE" init bad.yaml --target ftp://example.com/v1 >"$T/bad.out" 2>"$T/bad.err"
rc=$?
[ "$rc" = 2 ] || fail "init --target ftp://... exited $rc, expected 2"
grep -q "http://, https:// or mock://" "$T/bad.err" || fail "no reason for the bad --target"
[ ! -e bad.yaml ] || fail "init wrote bad.yaml despite the bad --target"
"$PERFGATE" init bad.yaml --target 'mock://?no_such_key=1' >"$T/bad.out" 2>"$T/bad.err"
[ $? = 2 ] || fail "init with a mock URL the loader refuses did not exit 2"
[ ! -e bad.yaml ] || fail "init wrote bad.yaml despite the bad mock URL"
mkdir adir
"$PERFGATE" init adir --force >"$T/bad.out" 2>"$T/bad.err"
[ $? = 2 ] || fail "init onto a directory did not exit 2"
"$PERFGATE" init a.yaml b.yaml >"$T/bad.out" 2>"$T/bad.err"
[ $? = 2 ] || fail "init with two files did not exit 2"

# the suite validates and runs, as written, against the mock
"$PERFGATE" validate perfgate.yaml >"$T/validate.out" 2>"$T/validate.err" ||
	fail "the starter suite does not validate: $(cat "$T/validate.err")"
grep -q "ok (2 scenarios, 6 requirements" "$T/validate.out" ||
	fail "validate did not report 2 scenarios and 6 requirements"
"$PERFGATE" run perfgate.yaml --no-color --out "$T/run" >"$T/run.out" 2>"$T/run.err"
rc=$?
[ "$rc" = 0 ] || fail "the starter suite's run exited $rc"
grep -q "^verdict: PASS (6 of 6 requirements met)" "$T/run.out" ||
	fail "the run did not pass 6 of 6"
grep -q "^scenario interactive: " "$T/run.out" || fail "no closed-loop scenario in the run"
grep -q "^scenario steady-traffic: .*open loop" "$T/run.out" ||
	fail "no open-loop scenario in the run"
[ -f "$T/run/results.json" ] || fail "the run wrote no results.json"

# the commented-out sections are valid as soon as they are uncommented
sed -E '/^# Optional sections/,$ { s/^# ((cost|quality|baseline):)/\1/; s/^# (  +[a-z])/\1/ }' \
	perfgate.yaml >"$T/full.yaml"
for key in cost quality baseline; do
	grep -q "^$key:" "$T/full.yaml" || fail "uncommenting did not give a $key: section"
done
"$PERFGATE" validate "$T/full.yaml" >"$T/full.out" 2>"$T/full.err" ||
	fail "the uncommented optional sections do not validate: $(cat "$T/full.err")"

# --target: the URL is written as given (quoted for YAML) with openai-chat
url='http://127.0.0.1:9/v1?x="a\b"&y=#z'
"$PERFGATE" init custom.yaml --target "$url" >"$T/custom.out" 2>"$T/custom.err" ||
	fail "init custom.yaml --target exited $?: $(cat "$T/custom.err")"
"$PERFGATE" validate custom.yaml >"$T/cv.out" 2>"$T/cv.err" ||
	fail "the --target suite does not validate: $(cat "$T/cv.err")"
grep -q "adapter openai-chat" "$T/cv.out" || fail "the --target suite does not use openai-chat"
grep -qF '  url: "http://127.0.0.1:9/v1?x=\"a\\b\"&y=#z"' custom.yaml ||
	fail "the --target URL is not in custom.yaml as a quoted YAML string"
grep -q '^  url: "mock://' custom.yaml && fail "the --target suite still points at the mock"
echo "ok: init writes, refuses, overwrites with --force, validates and runs"

# ---- the schema ---------------------------------------------------------------
if ! python3 -c 'import jsonschema, yaml' 2>/dev/null; then
	echo "SKIP: python3-jsonschema or python3-yaml is not installed (schema checks)"
	exit 77
fi

# Loads YAML as YAML 1.2 and perfgate read it (only true/false are booleans,
# no dates, no sexagesimal or 0x numbers), so the JSON the schema sees holds
# the types perfgate would take the values for.
cat >"$T/check.py" <<'EOF'
import glob, json, os, re, subprocess, sys
import jsonschema, yaml

schema_path, perfgate, src, e2e, tmp = sys.argv[1:6]
good = sys.argv[6:]
failures = []


class Loader(yaml.SafeLoader):
    pass


Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v
        if tag.rsplit(":", 1)[1] not in ("bool", "int", "float", "timestamp")]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}
Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|false)$"), list("tf"))
Loader.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"^[-+]?[0-9]+$"),
                             list("-+0123456789"))
Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$"),
    list("-+0123456789."))


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.loads(json.dumps(yaml.load(f, Loader=Loader)))


schema = json.load(open(schema_path))
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)


def errors(doc):
    return sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))


def where(e):
    return ".".join(str(p) for p in e.absolute_path) or "(top)"


# 1. every suite in the tree, and the starter suite, is accepted
for path in good:
    for e in errors(load(path))[:3]:
        failures.append("%s: schema refuses a valid suite at %s: %s"
                        % (path, where(e), e.message[:200]))

# 2. data-driven cases that expect `perfgate` to exit 2 on their suite.yaml
n_cases = 0
for d in sorted(glob.glob(os.path.join(e2e, "cases", "*"))):
    suite = os.path.join(d, "suite.yaml")
    expect = os.path.join(d, "expect")
    if not (os.path.isfile(suite) and os.path.isfile(expect)):
        continue
    if "exit: 2" not in open(expect).read().splitlines():
        continue
    n_cases += 1
    if not errors(load(suite)):
        failures.append("%s: schema accepts a suite perfgate refuses" % suite)

# 3. bad suites of tests/bad-suites/ that are wrong in structure, type or unit
# (the rest need files, plugins, the environment or the YAML parser itself)
structural = [
    "07-type-concurrency-string", "08-type-target-list", "09-type-prompts-map",
    "10-unknown-top-key", "11-unknown-target-key", "12-unknown-workload-key",
    "13-unknown-scenario-key", "14-unknown-load-key", "15-unknown-sweep-key",
    "16-unknown-goodput-key", "17-unknown-cost-key", "18-unknown-quality-key",
    "19-unknown-baseline-key", "20-unknown-metric-requirement",
    "21-unknown-statistic-requirement", "22-unknown-metric-baseline-compare",
    "23-unknown-statistic-baseline-compare", "24-bad-operator", "25-bad-unit-parsecs",
    "26-bad-unit-requests-per-hour", "27-bad-unit-double-percent", "28-concurrency-zero",
    "29-concurrency-absurd", "30-rate-negative", "31-duration-zero", "33-max-tokens-negative",
    "34-history-zero", "35-history-5000", "36-confidence-100", "37-missing-target",
    "38-missing-url", "39-missing-workload", "40-missing-scenarios", "41-missing-load",
    "46-empty-scenarios", "51-empty-file", "52-wrong-version", "61-top-level-list",
    "62-requirement-wrong-unit", "63-url-bad-scheme", "64-header-invalid-name",
    "65-timeout-zero", "67-unknown-stage-kind", "69-invalid-scenario-name",
    "71-comments-only", "72-url-null", "73-stream-not-boolean", "74-baseline-tolerance-unit",
    "76-cost-negative-price", "77-prompts-and-dataset", "78-empty-prompt",
    "79-requirement-not-string", "81-requests-zero", "84-load-not-mapping",
    "86-requirement-missing-threshold", "87-quality-missing-scorer", "88-sample-zero",
    "89-goodput-negative", "90-cost-price-wrong-type",
]
n_bad = 0
for name in structural:
    path = os.path.join(src, "tests", "bad-suites", name + ".yaml")
    if not os.path.isfile(path):
        continue  # the corpus changed; the remaining cases still count
    n_bad += 1
    if not errors(load(path)):
        failures.append("%s: schema accepts a suite perfgate refuses" % path)


# 4. variations of the starter suite: the schema and `perfgate validate` agree
def run_validate(doc, name):
    path = os.path.join(tmp, name + ".json")  # JSON is YAML to perfgate
    with open(path, "w") as f:
        json.dump(doc, f)
    return subprocess.run([perfgate, "validate", path], capture_output=True, text=True)


base = load(os.path.join(tmp, "perfgate.yaml"))
custom_url = load(os.path.join(tmp, "custom.yaml"))["target"]["url"]
if custom_url != os.environ["PG_INIT_URL"]:
    failures.append("init --target wrote the URL as %r, not %r"
                    % (custom_url, os.environ["PG_INIT_URL"]))


def variant(change):
    doc = json.loads(json.dumps(base))
    change(doc)
    return doc


def closed(doc):
    return doc["scenarios"][0]


def opened(doc):
    return doc["scenarios"][1]


def setload(which, **kw):
    def change(doc):
        load_map = which(doc)["load"]
        for k, v in kw.items():
            if v is None:
                load_map.pop(k, None)
            else:
                load_map[k] = v
    return change


def setreq(which, req):
    def change(doc):
        which(doc)["requirements"] = [req]
    return change


bad = {
    "unknown-top-key": lambda d: d.update(scenarioz=[]),
    "unknown-load-key": setload(closed, durration="5s"),
    "concurrency-word": setload(closed, concurrency="four"),
    "concurrency-fraction": setload(closed, concurrency=4.5),
    "concurrency-list": setload(closed, concurrency=[4]),
    "duration-parsecs": setload(closed, duration="5 parsecs"),
    "duration-sec": setload(closed, duration="5sec"),
    "duration-no-unit": setload(closed, duration=5),
    "duration-rate-unit": setload(opened, duration="5/s"),
    "rate-zero": setload(opened, rate="0/s"),
    "rate-per-hour": setload(opened, rate="10/h"),
    "closed-and-open": setload(closed, rate="10/s"),
    "closed-without-end": setload(closed, duration=None),
    "closed-with-arrival": setload(closed, arrival="poisson"),
    "open-with-requests": setload(opened, requests=10),
    "burstiness-not-gamma": setload(opened, burstiness=2),
    "unknown-arrival": setload(opened, arrival="bursty"),
    "requirement-no-unit": setreq(closed, "ttft.p95 < 300"),
    "requirement-unknown-stat": setreq(closed, "ttft.p101 < 300ms"),
    "requirement-rate-as-duration": setreq(opened, "throughput.rps >= 10ms"),
    "two-sources": lambda d: d["workload"].update(synthetic={"input_tokens": 10}),
    "stream-yes": lambda d: d["workload"].update(stream="yes"),
    "url-ftp": lambda d: d["target"].update(url="ftp://host/v1"),
    "scenario-name-slash": lambda d: closed(d).update(name="a/b"),
    "sweep-rate-closed": lambda d: closed(d).update(sweep={"rate": ["10/s", "20/s"]}),
    "goodput-empty": lambda d: closed(d).update(goodput={}),
    "cost-empty": lambda d: d.update(cost={}),
    "judge-without-target": lambda d: d.update(quality={"scorer": "judge"}),
    "contains-with-judge-sample": lambda d: d.update(quality={"scorer": "contains", "sample": 5}),
    "baseline-confidence-100": lambda d: d.update(baseline={"confidence": "100%"}),
}
good_variants = {
    "rate-bare-number": setload(opened, rate=25, duration="1.5m"),
    "requests-instead-of-duration": setload(closed, duration=None, requests=50),
    "gamma-burstiness": setload(opened, arrival="gamma", burstiness=2),
    "stages": setload(opened, rate=None, duration=None, stages=[
        {"ramp": {"from": 0, "to": "20/s", "duration": "10s"}},
        {"steady": {"rate": "20 req/s", "duration": "30s"}},
        {"steps": {"from": "10/s", "to": "30/s", "step": "10/s", "every": "5s"}},
        {"spike": {"rate": "10/s", "multiple": 3, "before": "0s", "for": "5s", "after": "10s"}}]),
    "requirements": lambda d: closed(d).update(requirements=[
        "e2e.p99.9 <= 2.5s", "ttft.median<300ms", "errors.rate < 0.001",
        "throughput.rps > 5 req/s", "requests.dropped <= 0", "itl.p50 < 800us"]),
    "sweep-and-goodput": lambda d: closed(d).update(
        sweep={"concurrency": [2, 4, 8], "min_gain": "10%", "max_error_rate": 0.02},
        goodput={"ttft": "500ms", "e2e": "5s"}),
    "synthetic": lambda d: d.update(workload={"synthetic": {
        "input_tokens": {"lognormal": {"mean": 200, "stddev": 80}},
        "output_tokens": {"empirical": [[64, 0.7], [256, 0.3]]}, "count": 50}, "sample": 20}),
    "headers-and-transport": lambda d: d["target"].update(
        headers={"X-Team": "perf", "X-Retries": 2}, transport="h1", model="m"),
    "baseline-compare": lambda d: d.update(baseline={"confidence": 0.95, "history": 5,
        "compare": {"ttft.p95": None, "e2e.p95": "20ms", "errors.rate": {"absolute": "0.5%"}}}),
}
for name, change in bad.items():
    doc = variant(change)
    if not errors(doc):
        failures.append("variant %s: the schema accepts it" % name)
    r = run_validate(doc, "bad-" + name)
    if r.returncode != 2:
        failures.append("variant %s: perfgate validate exited %d, expected 2 (the schema "
                        "refuses it)" % (name, r.returncode))
for name, change in good_variants.items():
    doc = variant(change)
    for e in errors(doc)[:2]:
        failures.append("variant %s: the schema refuses it at %s: %s"
                        % (name, where(e), e.message[:200]))
    r = run_validate(doc, "good-" + name)
    if r.returncode != 0:
        failures.append("variant %s: perfgate validate exited %d: %s"
                        % (name, r.returncode, r.stderr.strip()))

# 5. every metric `perfgate metrics` lists is one the schema knows, in its unit
sample = {"ms": "250ms", "/s": "10/s", "%": "1%", "count": "5", "$": "$0.01", "tokens": "5"}
metric_def = {"$defs": schema["$defs"], "$ref": "#/$defs/metric"}
req_def = {"$defs": schema["$defs"], "$ref": "#/$defs/requirement"}
out = subprocess.run([perfgate, "metrics"], capture_output=True, text=True, check=True).stdout
n_metrics = 0
for m in re.finditer(r"^([a-z0-9_.]+?)(\.<stat>)?  \[([^;\]]+)", out, re.M):
    name = m.group(1) + (".p95" if m.group(2) else "")
    unit = m.group(3)
    n_metrics += 1
    if list(jsonschema.Draft202012Validator(metric_def).iter_errors(name)):
        failures.append("metric %s is missing from the schema's metric names" % name)
    text = "%s < %s" % (name, sample.get(unit, "1"))
    if list(jsonschema.Draft202012Validator(req_def).iter_errors(text)):
        failures.append("requirement '%s' (unit %s) is refused by the schema" % (text, unit))

have_corpus = os.path.isdir(os.path.join(src, "tests", "bad-suites"))
if n_cases < 1 or n_metrics < 20 or (have_corpus and n_bad < 30):
    failures.append("too few checks: %d cases, %d bad suites, %d metrics"
                    % (n_cases, n_bad, n_metrics))
for f in failures:
    print("FAIL:", f)
if failures:
    print("(update docs/suite.schema.json to match the suite loader, or the loader)")
    sys.exit(1)
print("ok: schema accepts %d suites, refuses %d case suites, %d bad suites and %d variants "
      "perfgate refuses, accepts %d variants it accepts, knows %d metrics"
      % (len(good), n_cases, n_bad, len(bad), len(good_variants), n_metrics))
EOF

suites=("$PG_SRC"/suites/examples/*.yaml "$PG_E2E"/suites/*.yaml
	"$T/perfgate.yaml" "$T/full.yaml" "$T/custom.yaml")
PG_INIT_URL=$url python3 "$T/check.py" "$schema" "$PERFGATE" "$PG_SRC" "$PG_E2E" "$T" \
	"${suites[@]}" >"$T/schema.out" 2>&1 ||
	fail "schema checks: $(cat "$T/schema.out")"
cat "$T/schema.out"
