#!/usr/bin/env bash
# A results document can come from anywhere (an artifact of another job, a
# fork's PR), so every string in it is hostile to every report. Markup
# (<script>, "><img onerror>, </svg>, </table>, &amp; sequences,
# javascript: URLs), table pipes, backticks, control characters and
# newline-smuggled workflow commands are put into EVERY string field of a
# real results.json (suite, suite_file, target url/model/adapter, scenario
# names, requirement expressions and files, comparison reasons and metrics,
# warnings, quality trade-off labels, enums too), then `perfgate report`
# writes every format and each is parsed: the HTML has only the report's
# own elements and no script, event handler or javascript: URL; the JUnit
# XML parses with only JUnit elements; the GitHub summary's tables keep
# their columns and hold no raw markup; annotations stay one command per
# line; OpenMetrics lines and GitLab JSON stay well formed.
source "$PG_E2E/lib.sh"
S="$PG_E2E/suites/html_report.yaml"

"$PERFGATE" run "$S" --no-color --out "$T/run" >"$T/run.out" 2>"$T/run.err" || fail "run: exit $?"
# comparisons (reasons, metrics) without a second run: the run against itself
"$PERFGATE" compare --no-color --json "$T/cmp.json" "$T/run/results.json" "$T/run/results.json" \
	>"$T/cmp.out" 2>"$T/cmp.err" || fail "compare: exit $?"
check 'len(d["scenarios"][1]["comparisons"]) > 0 and len(d["quality_tradeoff"]) > 0' "$T/cmp.json" \
	"the document has comparisons and a quality trade-off"

# mutate.py SRC DST MODE: MODE clean adds benign text only; all appends a
# numbered payload to every string; free does so to every free-text string
# and keeps enums (verdicts, statuses, units) valid, with a failed
# requirement and a regression so failure paths carry the payloads too.
cat >"$T/mutate.py" <<'EOF'
import json, sys
src, dst, mode = sys.argv[1:4]
d = json.load(open(src))
KEEP = {"schema", "histogram", "histograms"}
ENUM = {"verdict", "status", "source", "op", "unit", "by", "model", "stat", "metric", "kind",
        "transport", "started_at", "adapter"}
count = [0]

def payload(i):
    return ('<script>alert("F%d")</script>"><img src=x onerror=alert(%d)></svg></table>'
            '&amp;&lt;b&gt;&#60; <a href="javascript:alert(%d)">x</a> | cell || ]]> \x01\x1b '
            '`code` *em* %%0A\n::error title=pwned::pwnedF%d\r\n%%' % (i, i, i, i))

def mut(x, key):
    if isinstance(x, dict):
        return {k: (v if k in KEEP else mut(v, k)) for k, v in x.items()}
    if isinstance(x, list):
        return [mut(v, key) for v in x]
    if isinstance(x, str) and mode != "clean" and not (mode == "free" and key in ENUM):
        count[0] += 1
        return x + payload(count[0])
    return x

d["target"]["model"] = "model-x"
for s in d["scenarios"]:
    s.setdefault("warnings", []).append("a warning")
if mode == "free":
    d["scenarios"][1]["requirements"][0]["verdict"] = "failed"
    d["scenarios"][1]["verdict"] = "fail"
    d["scenarios"][1]["comparisons"][0]["verdict"] = "regression"
    d["verdict"] = "fail"
d = mut(d, "")
json.dump(d, open(dst, "w"))
print(count[0])
EOF
for m in clean all free; do
	python3 "$T/mutate.py" "$T/cmp.json" "$T/$m.json" "$m" >"$T/$m.count" || fail "mutate $m"
	mkdir -p "$T/$m"
	GITHUB_ACTIONS=true GITHUB_STEP_SUMMARY="$T/$m/summary.md" "$PERFGATE" report "$T/$m.json" \
		--report junit,github,gitlab,openmetrics,html --out "$T/$m" >"$T/$m/annotations.txt" 2>"$T/$m.err" ||
		fail "report $m: exit $? $(cat "$T/$m.err")"
done
[ "$(cat "$T/all.count")" -gt 80 ] || fail "the payload went into every string ($(cat "$T/all.count"))"

cat >"$T/check.py" <<'EOF'
import json, re, sys
from html.parser import HTMLParser
import xml.etree.ElementTree as ET

clean, out, mode = sys.argv[1:4]
errors = []

def err(msg):
    errors.append(msg)

# ---- HTML -------------------------------------------------------------
class Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.text, self.bad = {}, "", []

    def handle_starttag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        for k, v in attrs:
            if k.lower().startswith("on"):
                self.bad.append("event handler %s %s=%r" % (tag, k, v))
            if v and re.match(r"\s*(javascript|vbscript|data):", v, re.I):
                self.bad.append("script URL %s %s=%r" % (tag, k, v))

    handle_startendtag = handle_starttag

    def handle_data(self, data):
        self.text += data

def page(path):
    p = Page()
    p.feed(open(path, encoding="utf-8").read())
    p.close()
    return p

ref, got = page(clean + "/report.html"), page(out + "/report.html")
for t in sorted(set(got.tags) - set(ref.tags)):
    err("html: element <%s> that the report never writes" % t)
for t in ("script", "img", "iframe", "object", "embed", "a", "svg", "table", "tr"):
    if got.tags.get(t, 0) != ref.tags.get(t, 0):
        err("html: %d <%s> elements, the clean report has %d" % (got.tags.get(t, 0), t, ref.tags.get(t, 0)))
errors.extend("html: " + b for b in got.bad)
if mode == "all":
    # the fields are shown, as text
    for field in ("html-report", "sweep", "steady", "e2e.p95 < 10s", "a warning", "sweep @ 1",
                  "mock://", "model-x", "html_report.yaml", "queueing at load"):
        if not re.search(re.escape(field) + r'[^<]*<script>alert\("F\d+"\)</script>', got.text):
            err("html: the field %r is not shown with its payload as text" % field)
    if not re.search(r'get one<script>alert\("F\d+"\)</script>', got.text):
        err("html: no comparison reason shown with its payload")

# ---- JUnit ------------------------------------------------------------
JUNIT = {"testsuites", "testsuite", "testcase", "failure", "error", "skipped", "properties",
         "property", "system-out", "system-err"}
try:
    root = ET.parse(out + "/junit.xml").getroot()
    tags = {e.tag for e in root.iter()}
    if not tags <= JUNIT:
        err("junit: foreign elements %s" % sorted(tags - JUNIT))
    texts = " ".join([e.text or "" for e in root.iter()] +
                     [v for e in root.iter() for v in e.attrib.values()])
    if '<script>alert("F' not in texts:
        err("junit: the payload is not kept as text")
    if mode == "free" and root.find(".//failure") is None:
        err("junit: the failed requirement has no <failure>")
except ET.ParseError as e:
    err("junit: does not parse: %s" % e)

# ---- GitHub summary -----------------------------------------------------
md = open(out + "/summary.md", encoding="utf-8").read()
ref_md = open(clean + "/summary.md", encoding="utf-8").read()
raw = lambda s: {t.lower() for t in re.findall(r"<\s*/?\s*([a-zA-Z][a-zA-Z0-9-]*)", s)}
if not raw(md) <= raw(ref_md) | {"br"}:  # a line break in a value becomes <br>
    err("summary: raw markup %s" % sorted(raw(md) - raw(ref_md) - {"br"}))
if re.search(r"javascript:", md, re.I) and re.search(r"\]\(\s*javascript:", md, re.I):
    err("summary: a javascript: link")
if "\r" in md or "\x01" in md or "\x1b" in md:
    err("summary: control characters")
cells = lambda line: len(re.findall(r"(?<!\\)\|", line))
lines = md.split("\n")
for i, line in enumerate(lines):
    if re.match(r"\|\s*-", line):
        want = cells(lines[i - 1])
        j = i + 1
        while j < len(lines) and lines[j].startswith("|"):
            if cells(lines[j]) != want:
                err("summary: table row %d has %d cells, header %d: %s" % (j, cells(lines[j]), want, lines[j][:120]))
            j += 1
    if line.startswith("::"):
        err("summary: a line starts a workflow command: %s" % line[:80])

# ---- annotations (GITHUB_ACTIONS=true) --------------------------------
ann = open(out + "/annotations.txt", encoding="utf-8").read()
ref_ann = open(clean + "/annotations.txt", encoding="utf-8").read()
# ::level key=value,key=value::message, where ',' and ':' in values and
# '%', CR and LF anywhere are %-escaped: one command per line, known keys once
cmd = re.compile(r"^::(error|warning|notice)(?: ([^:\r]*))?::[^\r]*$")
PROPS = {"file", "line", "col", "endLine", "endColumn", "title"}
n_cmd = 0
for line in ann.split("\n"):
    if not line.startswith("::"):
        if "pwned" in line:
            err("annotations: a value escaped its command: %s" % line[:120])
        continue
    n_cmd += 1
    m = cmd.match(line)
    if not m:
        err("annotations: malformed command: %s" % line[:120])
        continue
    keys = [p.split("=", 1)[0] for p in (m.group(2) or "").split(",") if p]
    if not set(keys) <= PROPS or len(keys) != len(set(keys)):
        err("annotations: properties %s in %s" % (keys, line[:120]))
if mode == "free":
    # the clean report's commands, plus the failed requirement (the
    # regression replaces an inconclusive warning)
    want = sum(1 for l in ref_ann.split("\n") if l.startswith("::")) + 1
    if n_cmd != want or "::error" not in ann:
        err("annotations: %d commands, expected %d with errors" % (n_cmd, want))

# ---- OpenMetrics and GitLab -----------------------------------------------
label = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"'
sample = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*(\{(%s)(,%s)*\})? \S+( \S+)?$" % (label, label))
om = open(out + "/metrics.txt", encoding="utf-8").read().split("\n")
if om[-1] != "" or om[-2] != "# EOF":
    err("openmetrics: does not end with # EOF")
for line in om[:-1]:
    if not line.startswith("# ") and not sample.match(line):
        err("openmetrics: malformed line: %s" % line[:120])
try:
    json.load(open(out + "/gitlab-load-performance.json", encoding="utf-8"))
except ValueError as e:
    err("gitlab: not JSON: %s" % e)

for e in errors[:30]:
    print(e)
sys.exit(1 if errors else 0)
EOF
for m in all free; do
	python3 "$T/check.py" "$T/clean" "$T/$m" "$m" >"$T/check-$m.out" 2>&1 ||
		fail "reports of the $m-fields document: $(cat "$T/check-$m.out")"
done
# the checks notice markup that does get through
sed 's|</h1>|</h1><img src=x onerror=alert(1)>|' "$T/all/report.html" >"$T/bad.html"
mkdir -p "$T/bad" && cp "$T/all/"* "$T/bad/" && mv "$T/bad.html" "$T/bad/report.html"
python3 "$T/check.py" "$T/clean" "$T/bad" all >"$T/check-bad.out" 2>&1 && fail "the HTML check misses an <img>"
grep -q "onerror" "$T/check-bad.out" || fail "the HTML check names the handler: $(cat "$T/check-bad.out")"
echo "ok: html escaping"
