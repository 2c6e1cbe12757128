#!/usr/bin/env python3
"""Run one job of a .gitlab-ci.yml as GitLab Runner's shell or custom executor
runs it, for tests/runners.bats: the examples in examples/ci/ are executed,
not only parsed.

    gitlab-runner.py shell CI_YML JOB PROJECT_DIR USER
    gitlab-runner.py custom CI_YML JOB PROJECT_DIR RUN_EXEC

What it keeps of the real runner (gitlab-org/gitlab-runner), where a job's
shape matters to mcgexec; this process is the runner service's main process:
- the job's script: `set -eo pipefail`, the CI variables exported, a `cd`
  into the project directory, each line of before_script and script echoed
  and run; after_script in a stage of its own, run whatever happened;
- shell executor: each stage is `su -s /bin/bash USER -c "bash --login"`
  with the script on its standard input, in a process group of its own
  (su's PAM stack opens a login session: the job runs in session-N.scope,
  and the account's user manager is started for it);
- custom executor: each stage is `RUN_EXEC SCRIPT_FILE STAGE` (stages
  prepare_script, get_sources, step_script, after_script), the job's
  variables prefixed CUSTOM_ENV_, with BUILD_FAILURE_EXIT_CODE and
  SYSTEM_FAILURE_EXIT_CODE set;
- cancellation (SIGTERM or SIGINT to the runner: a cancelled job, a stopped
  runner): SIGTERM to the stage's process group, SIGKILL 5 s later.
Prints "stage NAME: exit N" for each stage, then "job: success|failure|
cancelled".  Exit status 0 on success, 1 on failure, 2 when cancelled.
"""
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import time

import yaml

KILL_GRACE = 5.0
BUILD_FAILURE, SYSTEM_FAILURE = 17, 18
cancelled = {"at": None}


def cancel(sig, frame):
    if cancelled["at"] is None:
        cancelled["at"] = time.monotonic()


def job_script(variables, project_dir, lines):
    out = ["set -eo pipefail"]
    out += [f"export {k}={shlex.quote(v)}" for k, v in variables.items()]
    out.append(f"cd {shlex.quote(project_dir)}")
    for line in lines:
        out.append(f"echo {shlex.quote('$ ' + line)}")
        out.append(line)
    return "\n".join(out) + "\n"


def run(argv, stdin_text=None, env=None):
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE if stdin_text is not None else None,
                            env=env, start_new_session=True)
    if stdin_text is not None:
        proc.stdin.write(stdin_text.encode())
        proc.stdin.close()
    sent = set()
    while True:
        try:
            status = proc.wait(timeout=0.1)
            return -status if status < 0 else status
        except subprocess.TimeoutExpired:
            pass
        if cancelled["at"] is None:
            continue
        since = time.monotonic() - cancelled["at"]
        for sig, after in ((signal.SIGTERM, 0), (signal.SIGKILL, KILL_GRACE)):
            if since >= after and sig not in sent:
                sent.add(sig)
                try:
                    os.killpg(proc.pid, sig)
                except ProcessLookupError:
                    pass


def main(executor, ci_yml, job_name, project_dir, how):
    signal.signal(signal.SIGTERM, cancel)
    signal.signal(signal.SIGINT, cancel)
    with open(ci_yml) as f:
        job = yaml.safe_load(f)[job_name]
    variables = {"CI": "true", "GITLAB_CI": "true", "CI_JOB_ID": str(os.getpid()),
                 "CI_JOB_NAME": job_name, "CI_PROJECT_DIR": project_dir}
    stages = [("step_script", job.get("before_script", []) + job["script"])]
    stages.append(("after_script", job.get("after_script", [])))
    tmp = tempfile.mkdtemp(prefix="gitlab-runner.")
    os.chmod(tmp, 0o755)
    failed = False
    for stage, lines in stages:
        if not lines or (cancelled["at"] is not None and stage != "after_script"):
            continue
        script = job_script(variables, project_dir, lines)
        if executor == "shell":
            status = run(["su", "-s", "/bin/bash", how, "-c", "bash --login"], stdin_text=script)
        else:
            path = os.path.join(tmp, stage)
            with open(path, "w") as f:
                f.write(script)
            os.chmod(path, 0o755)
            env = dict(os.environ, BUILD_FAILURE_EXIT_CODE=str(BUILD_FAILURE),
                       SYSTEM_FAILURE_EXIT_CODE=str(SYSTEM_FAILURE),
                       **{"CUSTOM_ENV_" + k: v for k, v in variables.items()})
            status = run([how, path, stage], env=env)
        print(f"stage {stage}: exit {status}", flush=True)
        if stage == "step_script":
            failed = status != 0
    result = "cancelled" if cancelled["at"] is not None else "failure" if failed else "success"
    print(f"job: {result}", flush=True)
    return {"success": 0, "failure": 1, "cancelled": 2}[result]


if __name__ == "__main__":
    if len(sys.argv) != 6 or sys.argv[1] not in ("shell", "custom"):
        sys.exit(__doc__.split("\n\n")[1])
    sys.exit(main(*sys.argv[1:]))
