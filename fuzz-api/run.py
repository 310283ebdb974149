"""`make fuzz-api`: Schemathesis against the release server on a throwaway database.

Starts target/release/server on a free port with a database in a temporary directory, waits for
/api/health, runs Schemathesis on /api/openapi.json with the checks below (every phase,
FUZZ_EXAMPLES examples per operation, default 200), stops the server, and exits with
Schemathesis's status: 0 only when no check failed.
"""

import collections
import glob
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(base_url: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"the server exited at start-up with {server.returncode}")
        try:
            with urllib.request.urlopen(f"{base_url}/api/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    sys.exit(f"the server did not answer {base_url}/api/health within 30 s")


def cases_per_operation(report_dir: str) -> collections.Counter:
    """How many test cases each operation got, from the newest NDJSON report."""
    counts: collections.Counter = collections.Counter()
    reports = sorted(glob.glob(os.path.join(report_dir, "*.ndjson")), key=os.path.getmtime)
    if not reports:
        return counts
    with open(reports[-1]) as events:
        for line in events:
            scenario = json.loads(line).get("ScenarioFinished")
            if scenario and scenario.get("recorder"):
                recorder = scenario["recorder"]
                counts[recorder["label"]] += len(recorder.get("cases", {}))
    return counts


def main() -> int:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    examples = os.environ.get("FUZZ_EXAMPLES", "200")
    report_dir = os.path.join(ROOT, "target/fuzz-api-report")
    with tempfile.TemporaryDirectory() as scratch:
        log_path = os.path.join(scratch, "server.log")
        env = dict(
            os.environ,
            LEPTOS_SITE_ADDR=f"127.0.0.1:{port}",
            DATABASE_URL=f"sqlite://{scratch}/fuzz.db",
            RUST_LOG="warn",
            # The hooks sign up a new member whenever a fuzzed logout ends theirs, all from
            # 127.0.0.1; the per-address sign-up limit is for strangers, not for this run.
            SIGN_UP_CLIENT_LIMIT="100000",
            # Every fuzzed wrong password or code (reauthentication, deletion, two-factor set-up
            # and removal) counts on 127.0.0.1's budget, and once it is spent the hooks' own
            # password confirmation for a new member is refused too.
            SIGN_IN_CLIENT_LIMIT="100000",
            MAIL_OUTBOX=os.path.join(scratch, "outbox"),
            MAIL_REQUEST_CLIENT_LIMIT="100000",
        )
        with open(log_path, "w") as log:
            server = subprocess.Popen(
                [os.path.join(ROOT, "target/release/server")],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_until_up(base_url, server)
            command = [
                os.path.join(os.path.dirname(sys.executable), "schemathesis"),
                "run",
                f"{base_url}/api/openapi.json",
                "--checks",
                ",".join(CHECKS),
                "--phases",
                "examples,coverage,fuzzing,stateful",
                "--max-examples",
                examples,
                "--workers",
                "2",
                "--report",
                "junit,ndjson",
                "--report-dir",
                report_dir,
            ]
            print("$", " ".join(command), flush=True)
            # Schemathesis keeps a cache in its working directory: under target/, not the tree.
            status = subprocess.call(
                command,
                cwd=os.path.join(ROOT, "target"),
                env=dict(
                    os.environ,
                    PORTAL_FUZZ_URL=base_url,
                    SCHEMATHESIS_HOOKS="hooks",
                    PYTHONPATH=os.path.dirname(os.path.abspath(__file__)),
                ),
            )
        finally:
            server.terminate()
            server.wait()
        counts = cases_per_operation(report_dir)
        if counts:
            print("test cases per operation (all phases; an operation without inputs has few):")
            for label, count in sorted(counts.items()):
                print(f"  {count:6}  {label}")
        with open(log_path) as log:
            errors = [line for line in log if "ERROR" in line or "panicked" in line]
        if errors:
            print(f"the server logged {len(errors)} errors or panics, the first ones:")
            print("".join(errors[:20]))
            status = status or 1
    return status


if __name__ == "__main__":
    sys.exit(main())
