"""Schemathesis hooks for `make fuzz-api`: how the fuzzer signs in.

Every authenticated operation gets the bearer token of a member signed up for the purpose.
When an answer is 401 (the fuzzer called /api/auth/logout, which ends the session), Schemathesis
asks again and a new member is signed up: sign-in would not do, because the fuzzer's own
wrong-password attempts on /api/auth/login soon make the server refuse sign-ins from this address
(429), as it should.
"""

import json
import os
import urllib.request
import uuid

import schemathesis

BASE_URL = os.environ["PORTAL_FUZZ_URL"]
PASSWORD = "Fuzzing-Pa55-word"


def call(method: str, path: str, body: dict, token: str | None = None) -> dict:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(
        f"{BASE_URL}{path}", data=json.dumps(body).encode(), headers=headers, method=method
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def sign_up() -> str:
    """A new member with enough of a profile for the AI draft endpoint to write about, who
    confirmed the password (so that the data export answers)."""
    token = call(
        "POST",
        "/api/auth/signup",
        {
            "Email": f"fuzz-{uuid.uuid4().hex}@example.com",
            "Password": PASSWORD,
            "FullName": "Fuzz Tester",
        },
    )["Value"]["AccessToken"]
    call(
        "PATCH",
        "/api/public/coworker/profile",
        {"Position": "Test engineer", "CompanyName": "Fuzz Ltd", "Industry": "Software"},
        token,
    )
    # The password confirmation lets the data export answer (and be checked against its
    # schema) for the next 10 minutes, longer than a run.
    call("POST", "/api/account/reauthenticate", {"CurrentPassword": PASSWORD}, token)
    return token


@schemathesis.auth(refresh_interval=3600)
class FreshMember:
    def get(self, case, context):
        return sign_up()

    def set(self, case, data, context):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"
