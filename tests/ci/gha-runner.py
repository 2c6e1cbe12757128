#!/usr/bin/env python3
"""Run one job of a GitHub Actions workflow as GitHub's runner runs its steps,
for tests/runners.bats: the examples in examples/ci/ are executed, not only
parsed.

    gha-runner.py WORKFLOW JOB WORKSPACE

What it keeps of the real runner (actions/runner), where a job's shape
matters to mcgexec:
- the process tree: the service's main process is the listener, which
  starts a worker per job, which starts each step's process, so a step is
  the main process's grandchild (the real tree is deeper still: runsvc.sh,
  node, Runner.Listener, Runner.Worker);
- a `run:` step: its script written to a file in RUNNER_TEMP, `{0}` in the
  step's `shell:` replaced by that file's path and the first word run as
  the command (default shell `bash -e {0}`), in the workspace, with the
  step's `env:`, GITHUB_* variables and a GITHUB_STEP_SUMMARY file per
  step; `uses:` steps are not run (the workspace is already checked out);
- `if:` success() (the default), always(), failure(); a failing step fails
  the job and skips the steps that need success;
- cancellation (SIGINT or SIGTERM to the listener, as a cancelled run or a
  stopped runner): the running step's process gets SIGINT, then SIGTERM
  after 7.5 s, then its process tree SIGKILL after 2.5 s more.
Prints "step NAME: exit N" (or "skipped") for each step, then
"job: success|failure|cancelled"; the job summary is SUMMARY.md in the
workspace.  Exit status 0 on success, 1 on failure, 2 when cancelled.
"""
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import time
import uuid

import yaml

SIGINT_GRACE = 7.5
SIGTERM_GRACE = 2.5


def run_step(step, workspace, temp, env, cancelled):
    script = os.path.join(temp, f"{uuid.uuid4()}.sh")
    with open(script, "w") as f:
        f.write(step["run"])
    shell = step.get("shell", "bash -e {0}")
    if shell == "bash":
        shell = "bash --noprofile --norc -eo pipefail {0}"
    argv = shlex.split(shell.replace("{0}", script))
    summary = os.path.join(temp, f"summary-{uuid.uuid4()}")
    open(summary, "w").close()
    step_env = dict(env, GITHUB_STEP_SUMMARY=summary, **{k: str(v) for k, v in step.get("env", {}).items()})
    proc = subprocess.Popen(argv, cwd=workspace, env=step_env)
    while True:
        try:
            status = proc.wait(timeout=0.1)
            break
        except subprocess.TimeoutExpired:
            pass
        if cancelled["at"] is None:
            continue
        since = time.monotonic() - cancelled["at"]
        for sig, after in ((signal.SIGINT, 0), (signal.SIGTERM, SIGINT_GRACE),
                           (signal.SIGKILL, SIGINT_GRACE + SIGTERM_GRACE)):
            if since >= after and sig not in cancelled["sent"]:
                cancelled["sent"].add(sig)
                # (the real runner kills the whole tree at the end; the
                # step's process is where its signals go before that)
                os.kill(proc.pid, sig)
    with open(summary) as f, open(os.path.join(workspace, "SUMMARY.md"), "a") as out:
        out.write(f.read())
    return -status if status < 0 else status


def worker(workflow, job_name, workspace):
    with open(workflow) as f:
        job = yaml.safe_load(f)["jobs"][job_name]
    cancelled = {"at": None, "sent": set()}

    def cancel(sig, frame):
        if cancelled["at"] is None:
            cancelled["at"] = time.monotonic()

    signal.signal(signal.SIGINT, cancel)
    signal.signal(signal.SIGTERM, cancel)
    temp = tempfile.mkdtemp(prefix="runner-temp.")
    env = dict(os.environ, CI="true", GITHUB_ACTIONS="true", GITHUB_WORKSPACE=workspace,
               RUNNER_TEMP=temp, GITHUB_RUN_ID=os.environ.get("GITHUB_RUN_ID", str(os.getpid())))
    failed = False
    for i, step in enumerate(job["steps"]):
        name = step.get("name", step.get("uses", f"step {i + 1}"))
        cond = str(step.get("if", "success()")).strip()
        wanted = {"always()": True, "failure()": failed, "success()": not failed}.get(cond)
        if wanted is None:
            raise SystemExit(f"gha-runner: if: {cond} is not emulated")
        if "run" not in step or not wanted or (cancelled["at"] is not None and cond != "always()"):
            print(f"step {name}: skipped", flush=True)
            continue
        status = run_step(step, workspace, temp, env, cancelled)
        print(f"step {name}: exit {status}", flush=True)
        failed = failed or status != 0
    result = "cancelled" if cancelled["at"] is not None else "failure" if failed else "success"
    print(f"job: {result}", flush=True)
    return {"success": 0, "failure": 1, "cancelled": 2}[result]


def listener(workflow, job_name, workspace):
    # the job's worker, a process of its own as Runner.Worker is; the
    # listener passes a cancellation on to it
    w = subprocess.Popen([sys.executable, __file__, "--worker", workflow, job_name, workspace])

    def cancel(sig, frame):
        w.send_signal(signal.SIGINT)

    signal.signal(signal.SIGINT, cancel)
    signal.signal(signal.SIGTERM, cancel)
    return w.wait()


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--worker":
        sys.exit(worker(*sys.argv[2:]))
    if len(sys.argv) != 4:
        sys.exit("usage: gha-runner.py WORKFLOW JOB WORKSPACE")
    sys.exit(listener(*sys.argv[1:]))
