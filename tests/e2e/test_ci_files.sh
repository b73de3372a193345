#!/usr/bin/env bash
# The CI integration files under ci/github, ci/gitlab and ci/k8s parse as
# YAML and hang together: the composite action uses only inputs it
# declares, the workflows pass it only inputs it has and clone the full
# history wherever a run compares with baselines, the GitLab template's
# artifact reports name exactly the files `perfgate run --report` writes
# with the template's own --report and --out, and the Kubernetes Job is an
# Indexed Job whose pods shard by JOB_COMPLETION_INDEX over a suite that
# validates. Exits 77 (skipped) without python3's yaml module.
source "$PG_E2E/lib.sh"
python3 -c 'import yaml' 2>/dev/null || { echo "SKIP: python3-yaml missing"; exit 77; }

cat >"$T/check.py" <<'EOF'
"""Structure checks of perfgate's CI files (see test_ci_files.sh)."""
import glob
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import yaml

src, tmp, perfgate = sys.argv[1], sys.argv[2], sys.argv[3]
errors = []


def check(cond, msg):
    if not cond:
        errors.append(msg)
    return cond


def rel(path):
    return os.path.relpath(path, src)


# ---- every YAML file parses ----
docs = {}
for sub in ("ci/github", "ci/gitlab", "ci/k8s"):
    files = sorted(glob.glob(os.path.join(src, sub, "**", "*.y*ml"), recursive=True))
    check(files, f"{sub}: no YAML files")
    for f in files:
        try:
            with open(f) as fh:
                docs[rel(f)] = [d for d in yaml.safe_load_all(fh) if d is not None]
        except yaml.YAMLError as e:
            errors.append(f"{rel(f)}: does not parse: {e}")
for f in ("ci/github/action.yml", "ci/github/example-workflow.yml",
          "ci/github/sharded-workflow.yml", "ci/gitlab/perfgate.gitlab-ci.yml",
          "ci/k8s/perfgate-indexed-job.yaml"):
    check(f in docs, f"{f}: missing or unparsable")
if errors:
    sys.exit("\n".join(errors))

# ---- the composite action ----
ACTION = "ci/github/action.yml"
action = docs[ACTION][0]
with open(os.path.join(src, ACTION)) as fh:
    action_text = fh.read()
inputs = action.get("inputs") or {}
steps = action.get("runs", {}).get("steps") or []
check(action.get("runs", {}).get("using") == "composite", f"{ACTION}: runs.using is not composite")
check(inputs.get("suite", {}).get("required") is True, f"{ACTION}: input suite is not required")
for name in ("baseline-ref", "reports", "args", "out-dir", "update-baseline", "working-directory"):
    check(name in inputs, f"{ACTION}: input {name} missing")
check(inputs.get("reports", {}).get("default") == "junit,github,html",
      f"{ACTION}: reports default is not junit,github,html")
check(inputs.get("out-dir", {}).get("default") == "perfgate-results",
      f"{ACTION}: out-dir default is not perfgate-results")
check(str(inputs.get("update-baseline", {}).get("default")).lower() == "false",
      f"{ACTION}: update-baseline default is not false")
used = set(re.findall(r"\binputs\.([A-Za-z0-9_-]+)", yaml.safe_dump(steps)))
for name in sorted(used - set(inputs)):
    errors.append(f"{ACTION}: steps use inputs.{name}, which is not declared")
for name in sorted(set(inputs) - used):
    errors.append(f"{ACTION}: input {name} is declared but no step uses it")
step_ids = {s.get("id") for s in steps if s.get("id")}
for name, out in (action.get("outputs") or {}).items():
    for sid in re.findall(r"steps\.([A-Za-z0-9_-]+)\.outputs", str(out.get("value", ""))):
        check(sid in step_ids, f"{ACTION}: output {name} reads unknown step {sid}")
check({"exit-code", "results"} <= set(action.get("outputs") or {}),
      f"{ACTION}: outputs exit-code and results missing")
for s in steps:
    check("uses" in s or "shell" in s, f"{ACTION}: run step '{s.get('name')}' has no shell")
check("ci/setup.sh" in action_text and "github.action_path" in action_text,
      f"{ACTION}: does not build with ci/setup.sh from the action's path")
runs = " ".join(s.get("run", "") for s in steps)
for opt in ("--out", "--report", "--baseline", "--update-baseline"):
    check(opt in runs, f"{ACTION}: perfgate run is not given {opt}")
upload = [s for s in steps if str(s.get("uses", "")).startswith("actions/upload-artifact@")]
check(upload and "always()" in str(upload[0].get("if", "")),
      f"{ACTION}: results are not uploaded with if: always()")
check(steps and "exit" in steps[-1].get("run", "") and "steps.run.outputs.exit-code"
      in yaml.safe_dump(steps[-1]), f"{ACTION}: the last step does not exit with perfgate's code")

# ---- the workflows ----
PG_RUN = re.compile(r"\bperfgate\s+(run|merge)\b")


def is_perfgate_action(uses):
    return uses == "./ci/github" or re.search(r"/ci/github(@|$)", uses) is not None


def compares(step):
    """Whether a step runs perfgate in a way that reads the baselines."""
    uses = str(step.get("uses", ""))
    if is_perfgate_action(uses):
        return "--no-baseline" not in str((step.get("with") or {}).get("args", ""))
    run = str(step.get("run", ""))
    return PG_RUN.search(run) is not None and "--no-baseline" not in run


for wf in ("ci/github/example-workflow.yml", "ci/github/sharded-workflow.yml"):
    doc = docs[wf][0]
    on = doc.get("on", doc.get(True))
    check(on is not None and "pull_request" in on, f"{wf}: not run on pull_request")
    comparing = 0
    for jname, job in (doc.get("jobs") or {}).items():
        full_clone = False
        for s in job.get("steps") or []:
            uses = str(s.get("uses", ""))
            if uses.startswith("actions/checkout@"):
                full_clone = str((s.get("with") or {}).get("fetch-depth")) == "0"
            if is_perfgate_action(uses):
                given = set(s.get("with") or {})
                for name in sorted(given - set(inputs)):
                    errors.append(f"{wf}: job {jname} passes unknown input {name}")
                for name, spec in inputs.items():
                    if spec.get("required"):
                        check(name in given, f"{wf}: job {jname} lacks input {name}")
                suite = (s.get("with") or {}).get("suite", "")
                check(os.path.exists(os.path.join(src, str(suite))),
                      f"{wf}: job {jname}: suite {suite} does not exist")
            if compares(s):
                comparing += 1
                check(full_clone, f"{wf}: job {jname} compares with baselines without "
                      "actions/checkout fetch-depth: 0 before it")
    check(comparing > 0, f"{wf}: no job compares with baselines (the check would be vacuous)")

ex = docs["ci/github/example-workflow.yml"][0]
ex_on = ex.get("on", ex.get(True))
check("push" in ex_on and "main" in (ex_on["push"] or {}).get("branches", []),
      "example-workflow.yml: not run on push to main")
updating = [j for j in ex["jobs"].values()
            if any(is_perfgate_action(str(s.get("uses", ""))) and
                   str((s.get("with") or {}).get("update-baseline")).lower() == "true"
                   for s in j.get("steps") or [])]
check(len(updating) == 1, "example-workflow.yml: no job runs with update-baseline: true")
for j in updating:
    check((j.get("permissions") or {}).get("contents") == "write",
          "example-workflow.yml: the baseline job lacks permissions: contents: write")
    check(any("git push" in str(s.get("run", "")) for s in j.get("steps") or []),
          "example-workflow.yml: the baseline job does not git push")

sh = docs["ci/github/sharded-workflow.yml"][0]
shard_runs = [(j, s) for j in sh["jobs"].values() for s in j.get("steps") or []
              if "--shard" in str(s.get("run", ""))]
check(len(shard_runs) == 1, "sharded-workflow.yml: no step runs --shard")
for job, s in shard_runs:
    check(job.get("strategy", {}).get("matrix", {}).get("shard") == [1, 2, 3],
          "sharded-workflow.yml: the matrix is not shard: [1, 2, 3]")
    check("--shard ${{ matrix.shard }}/3" in s["run"], "sharded-workflow.yml: not --shard I/3")
merge_runs = [s for j in sh["jobs"].values() for s in j.get("steps") or []
              if re.search(r"perfgate merge part-\*/results\.json", str(s.get("run", "")))]
check(len(merge_runs) == 1, "sharded-workflow.yml: no perfgate merge of part-*/results.json")

# ---- the GitLab template ----
GL = "ci/gitlab/perfgate.gitlab-ci.yml"
gl = docs[GL][0]
tpl = gl.get(".perfgate") or {}
check(tpl, f"{GL}: no hidden job .perfgate")
gvars = tpl.get("variables") or {}
check(str(gvars.get("GIT_DEPTH")) == "0", f"{GL}: GIT_DEPTH is not 0")
script = "\n".join(tpl.get("before_script", []) + tpl.get("script", []))
check("ci/setup.sh" in script, f"{GL}: does not build with ci/setup.sh")
m = re.search(r"perfgate\"?\s+run\b.*?--out\s+\"?([^\s)\"']+)", script, re.S)
out_dir = m.group(1) if check(m, f"{GL}: perfgate run --out DIR not found") else "perfgate-results"
spec = str(gvars.get("PERFGATE_REPORTS", ""))
check(spec == "junit,gitlab,openmetrics", f"{GL}: PERFGATE_REPORTS is '{spec}'")
art = tpl.get("artifacts") or {}
check(art.get("when") == "always", f"{GL}: artifacts are not uploaded when: always")
reports = art.get("reports") or {}
check(set(reports) == {"junit", "load_performance", "metrics"},
      f"{GL}: artifacts.reports keys are {sorted(reports)}")
for key, path in reports.items():
    check(str(path).startswith(out_dir + "/"), f"{GL}: reports.{key} {path} is not in {out_dir}/")
examples = [(n, j) for n, j in gl.items() if not n.startswith(".") and isinstance(j, dict)
            and j.get("extends") == ".perfgate"]
check(examples, f"{GL}: no job extends .perfgate")
for n, j in examples:
    suite = (j.get("variables") or {}).get("PERFGATE_SUITE", "")
    check(os.path.exists(os.path.join(src, str(suite))), f"{GL}: job {n}: suite {suite} missing")
update = [n for n, j in examples
          if str((j.get("variables") or {}).get("PERFGATE_UPDATE_BASELINE")).lower() == "true"]
check(len(update) == 1, f"{GL}: no job updates the baseline")
for n in update:
    rules = " ".join(str(r.get("if", "")) for r in gl[n].get("rules") or [])
    check("$CI_DEFAULT_BRANCH" in rules, f"{GL}: job {n} is not gated on the default branch")

# perfgate writes, with the template's --report and --out, the files the
# reports name, and each has the format GitLab expects of that report
with open(os.path.join(tmp, "suite.yaml"), "w") as fh:
    fh.write("name: ci-files\n"
             "target: {url: \"mock://?decode_ms=1&ttft_ms=1&seed=5\"}\n"
             "workload: {prompts: [\"hello there\"], max_tokens: 4}\n"
             "scenarios:\n"
             "  - name: chat\n"
             "    load: {concurrency: 2, requests: 10}\n"
             "    requirements: [errors.rate < 1%]\n")
env = {k: v for k, v in os.environ.items()
       if k not in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "GITHUB_BASE_REF",
                    "CI_MERGE_REQUEST_DIFF_BASE_SHA")}
p = subprocess.run([perfgate, "run", "suite.yaml", "--no-color", "--no-baseline",
                    "--report", spec, "--out", out_dir], cwd=tmp, env=env,
                   capture_output=True, text=True)
check(p.returncode == 0, f"perfgate run --report {spec} exited {p.returncode}: {p.stderr}")
for key, path in reports.items():
    full = os.path.join(tmp, str(path))
    if not check(os.path.isfile(full), f"{GL}: reports.{key}: perfgate wrote no {path}"):
        continue
    with open(full) as fh:
        text = fh.read()
    if key == "junit":
        check(ET.fromstring(text).tag == "testsuites", f"{path}: not JUnit XML")
    elif key == "load_performance":
        check(isinstance(json.loads(text), dict), f"{path}: not a JSON object")
    elif key == "metrics":
        check(text.rstrip().endswith("# EOF"), f"{path}: not OpenMetrics text")

# ---- the Kubernetes Indexed Job ----
K8S = "ci/k8s/perfgate-indexed-job.yaml"
kd = docs[K8S]
jobs = [d for d in kd if d.get("kind") == "Job"]
cms = {d["metadata"]["name"]: d for d in kd if d.get("kind") == "ConfigMap"}
pvcs = {d["metadata"]["name"] for d in kd if d.get("kind") == "PersistentVolumeClaim"}
check(len(jobs) == 1, f"{K8S}: {len(jobs)} Jobs, want 1 (the merge Job is a comment)")
for job in jobs:
    spec_ = job.get("spec", {})
    check(job.get("apiVersion") == "batch/v1", f"{K8S}: Job apiVersion is not batch/v1")
    check(spec_.get("completionMode") == "Indexed", f"{K8S}: completionMode is not Indexed")
    check(spec_.get("completions") == 3 and spec_.get("parallelism") == 3,
          f"{K8S}: completions and parallelism are not 3")
    pod = spec_.get("template", {}).get("spec", {})
    check(pod.get("restartPolicy") in ("Never", "OnFailure"), f"{K8S}: bad restartPolicy")
    cmd = " ".join(" ".join(c.get("command", []) + c.get("args", []))
                   for c in pod.get("containers", []))
    check("JOB_COMPLETION_INDEX" in cmd, f"{K8S}: the pods do not use JOB_COMPLETION_INDEX")
    check(re.search(r"--shard \$\(\(JOB_COMPLETION_INDEX ?\+ ?1\)\)/3", cmd),
          f"{K8S}: not --shard $((JOB_COMPLETION_INDEX+1))/3")
    check(re.search(r"--out \"?/results/part-\$\{?\(?JOB_COMPLETION_INDEX", cmd),
          f"{K8S}: not --out /results/part-INDEX")
    mounts = {m["name"]: m["mountPath"] for c in pod.get("containers", [])
              for m in c.get("volumeMounts", [])}
    for v in pod.get("volumes", []):
        if "configMap" in v:
            cm = cms.get(v["configMap"]["name"])
            if check(cm, f"{K8S}: volume {v['name']}: no ConfigMap {v['configMap']['name']}"):
                m = re.search(re.escape(mounts.get(v["name"], "?")) + r"/(\S+\.yaml)", cmd)
                key = m.group(1) if m else None
                if check(key in (cm.get("data") or {}), f"{K8S}: no suite in the ConfigMap"):
                    with open(os.path.join(tmp, key), "w") as fh:
                        fh.write(cm["data"][key])
                    p = subprocess.run([perfgate, "validate", os.path.join(tmp, key)],
                                       capture_output=True, text=True, env=env)
                    check(p.returncode == 0, f"{K8S}: the ConfigMap's suite does not validate: "
                          f"{p.stdout}{p.stderr}")
        elif "persistentVolumeClaim" in v:
            check(v["persistentVolumeClaim"]["claimName"] in pvcs,
                  f"{K8S}: volume {v['name']}: no PersistentVolumeClaim in the file")
            check(mounts.get(v["name"]) == "/results", f"{K8S}: results are not on the PVC")

if errors:
    sys.exit("\n".join(errors))
print("ok")
EOF

python3 "$T/check.py" "$PG_SRC" "$T" "$PERFGATE" >"$T/check.out" 2>"$T/check.err" ||
	fail "the CI files do not hang together (check.err)"
grep -qx ok "$T/check.out" || fail "the checker did not finish"
echo "ok"
