#!/usr/bin/env bash
# `perfgate report --report html=FILE` writes one self-contained page: a
# verdict banner, tables and inline SVG plots, no external resources, and
# every string from the results document shown as text. Headless Chromium
# renders it (screenshot and DOM); without chromium the test is skipped
# (exit 77) after the checks that need no browser.
source "$PG_E2E/lib.sh"
S="$PG_E2E/suites/html_report.yaml"
R="$T/out/results.json"
H="$T/out/report.html"

"$PERFGATE" run "$S" --no-color --out "$T/out" >"$T/run.out" 2>"$T/run.err" || fail "run: exit $?"
check 'd["scenarios"][0]["sweep"]["knee_index"] is not None and len(d["quality_tradeoff"]) == 4' \
	"$R" "the run has a sweep with a knee and a quality trade-off"

# Results files can come from anywhere: markup in a name must stay text.
python3 - "$R" <<'EOF' || fail "could not edit $R"
import json, sys
d = json.load(open(sys.argv[1]))
d["scenarios"][0]["name"] = "<script>alert(1)</script>"
d["scenarios"][0]["requirements"][0]["reason"] = "it's \"fine\" & <b>bold</b>"
json.dump(d, open(sys.argv[1], "w"))
EOF

"$PERFGATE" report "$R" --report "html=$H" >"$T/report.out" 2>"$T/report.err" || fail "report: exit $?"
[ -s "$H" ] || fail "report.html was not written"

# Static checks: HTML5 skeleton, no external resource, escaped text.
python3 - "$H" <<'EOF' >"$T/static.out" 2>&1 || fail "static checks: $(cat "$T/static.out")"
import re, sys
h = open(sys.argv[1], encoding="utf-8").read()
assert h.startswith("<!DOCTYPE html>"), "doctype"
assert '<html lang="en">' in h and '<meta charset="utf-8">' in h, "lang and charset"
low = h.lower()
for bad in ("<script", "<link", "<img", "<iframe", "<object", "@import", "url("):
    assert bad not in low, "found " + bad
for tag in re.findall(r"<[^>]*>", h):
    assert "http://" not in tag and "https://" not in tag and "src=" not in tag, "tag " + tag
    assert not re.search(r"\son[a-z]+=", tag, re.I) and "javascript:" not in tag.lower(), "JS " + tag
assert "&lt;script&gt;alert(1)&lt;/script&gt;" in h, "escaped scenario name"
assert "it&#39;s &quot;fine&quot; &amp; &lt;b&gt;bold&lt;/b&gt;" in h, "escaped reason"
assert "e2e.p95 &lt; 10s" in h, "escaped requirement"
# sweep: latency, throughput, series, CDF; steady: series, CDF; quality; cost
assert h.count("<svg") == 8, "svg count %d" % h.count("<svg")
EOF

CHROMIUM=${CHROMIUM:-chromium}
if ! command -v "$CHROMIUM" >/dev/null 2>&1; then
	echo "SKIP: chromium not installed"
	exit 77
fi
chrome() {
	timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run \
		--disable-extensions --user-data-dir="$T/chrome-profile" "$@" 2>>"$T/chrome.log"
}
chrome --screenshot="$T/shot.png" --window-size=1200,3000 "file://$H" >/dev/null ||
	fail "chromium screenshot: exit $? ($(tail -3 "$T/chrome.log"))"
chrome --dump-dom "file://$H" >"$T/dom.html" || fail "chromium --dump-dom: exit $?"

# The DOM as the browser built it: banner, plots, the name as text only.
python3 - "$T/dom.html" <<'EOF' >"$T/dom.out" 2>&1 || fail "DOM checks: $(cat "$T/dom.out")"
import sys
from html.parser import HTMLParser

class Dom(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.stack, self.h1, self.h2 = {}, [], "", []

    def handle_starttag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        self.stack.append(tag)
        if tag == "h2":
            self.h2.append("")

    def handle_endtag(self, tag):
        while self.stack and self.stack.pop() != tag:
            pass

    def handle_data(self, data):
        if "h1" in self.stack:
            self.h1 += data
        if "h2" in self.stack:
            self.h2[-1] += data

p = Dom()
p.feed(open(sys.argv[1], encoding="utf-8").read())
assert p.h1.strip() == "PASS", "banner says %r" % p.h1
assert p.tags.get("svg", 0) == 8, "svg elements: %d" % p.tags.get("svg", 0)
assert p.tags.get("script", 0) == 0, "a script element exists"
assert not any(p.tags.get(t) for t in ("img", "link", "iframe")), "external elements"
assert any(h.startswith("<script>alert(1)</script>") for h in p.h2), "heading text %r" % p.h2
EOF

# The screenshot is a real picture of the page, not a blank one.
python3 - "$T/shot.png" <<'EOF' >"$T/png.out" 2>&1 || fail "screenshot: $(cat "$T/png.out")"
import struct, sys, zlib
b = open(sys.argv[1], "rb").read()
assert b[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
w, h = struct.unpack(">II", b[16:24])
assert w >= 1000 and h >= 2000, "size %dx%d" % (w, h)
pos, data = 8, b""
while pos < len(b):
    n, kind = struct.unpack(">I4s", b[pos:pos + 8])
    if kind == b"IDAT":
        data += b[pos + 8:pos + 8 + n]
    pos += 12 + n
raw = zlib.decompress(data)
row = len(raw) // h
rows = {raw[i * row + 1:(i + 1) * row] for i in range(h)}
assert len(rows) > 200, "only %d distinct rows: blank page?" % len(rows)
EOF
echo "ok: html report"
