#!/usr/bin/env python3
"""Signs in the accounts the API fuzzer uses and makes the records it needs (see .ci/fuzz-api).

Standard library only. Usage: fuzz-api-setup.py ENAMEL_BIN DATA_DIR BASE_URL
Prints `export NAME=VALUE` lines for the shell; everything else goes to stderr.

Every account signs in here, before any fuzzing: the fuzzer's wrong passwords and codes lock
the client address out of signing in (after 50 failures, not configurable), so a sign-in after
the fuzzing starts could fail. A 6-digit code is single-use, so an account's second session
waits for the next 30-second window.
"""

import json
import shlex
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request

ENAMEL_BIN, DATA_DIR, BASE = sys.argv[1], sys.argv[2], sys.argv[3].rstrip("/")

# The demo server's certificate is self-signed.
TLS = ssl.create_default_context()
TLS.check_hostname = False
TLS.verify_mode = ssl.CERT_NONE


def log(msg):
    print(f"fuzz-api-setup: {msg}", file=sys.stderr)


def call(method, path, token=None, body=None, headers=None, expect=(200, 201, 204)):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(BASE + path, data=data, method=method)
    req.add_header("Accept", "application/json")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, context=TLS, timeout=30) as resp:
            status, raw, hdrs = resp.status, resp.read(), resp.headers
    except urllib.error.HTTPError as err:
        status, raw, hdrs = err.code, err.read(), err.headers
    if status not in expect:
        raise SystemExit(f"fuzz-api-setup: {method} {path} answered {status}: {raw[:300]!r}")
    return (json.loads(raw) if raw else None), hdrs


accounts = {a["username"]: a for a in json.load(open(f"{DATA_DIR}/demo-accounts.json"))["accounts"]}
by_role = {a["role"]: a["username"] for a in accounts.values()}
last_window = {}


def sign_in(role):
    username = by_role[role]
    # One code per account per 30-second window: a second session waits for the next one.
    while last_window.get(username) == int(time.time() // 30):
        time.sleep(0.5)
    answer, _ = call("POST", "/api/v1/auth/login",
                     body={"username": username, "password": accounts[username]["password"]})
    window = int(time.time() // 30)
    code = subprocess.run([ENAMEL_BIN, "demo", "code", username, "--data-dir", DATA_DIR],
                          check=True, capture_output=True, text=True).stdout.strip()
    answer, _ = call("POST", "/api/v1/auth/mfa", body={"mfa_token": answer["mfa_token"], "code": code})
    last_window[username] = max(window, int(time.time() // 30))
    log(f"signed in {username}")
    return answer["access_token"]


out = {}

# The roles each group of operations is fuzzed with (see .ci/fuzz-api.toml).
om = out["FUZZ_TOKEN_OFFICE_MANAGER"] = sign_in("office_manager")
co = out["FUZZ_TOKEN_COMPLIANCE"] = sign_in("compliance_officer")
pa = out["FUZZ_TOKEN_ADMIN"] = sign_in("practice_administrator")
dentist = out["FUZZ_TOKEN_DENTIST"] = sign_in("dentist")
# Throwaway sessions for the operations that end the caller's own session.
out["FUZZ_TOKEN_LOGOUT"] = sign_in("front_desk")
out["FUZZ_TOKEN_LOGOUT_EVERYWHERE"] = sign_in("billing")
out["FUZZ_TOKEN_PASSWORD"] = sign_in("dental_assistant")
hygienist_target = sign_in("hygienist")

# Records the operations with an id in their path work on. Search needs a criterion.
found, _ = call("GET", "/api/v1/patients?name=a&limit=5", token=om)
ids = [p["id"] for p in found["results"]]
if len(ids) < 3:
    raise SystemExit("fuzz-api-setup: the demo practice has too few patients named with an A")
# Read-only operations (read, versions, emergency access) share one patient; each changing
# operation gets its own, so that one does not turn the others' record into a 404.
out["FUZZ_PATIENT_READ"], out["FUZZ_PATIENT_REPLACE"], out["FUZZ_PATIENT_DEACTIVATE"] = ids[:3]
created, _ = call("POST", "/api/v1/patients", token=om,
                  body={"family_name": "Fuzz", "given_name": "Delete", "birth_date": "1990-01-01"})
out["FUZZ_PATIENT_DELETE"] = created["id"]
# A demo record has no history until it changes: change one so that version 1 exists.
record, headers = call("GET", f"/api/v1/patients/{out['FUZZ_PATIENT_READ']}", token=om)
record["middle_name"] = "Fuzz"
call("PUT", f"/api/v1/patients/{out['FUZZ_PATIENT_READ']}", token=om, body=record,
     headers={"If-Match": headers["ETag"]})

# Procedures on the read patient's chart (the demo practice has the neutral demo codes): one
# to read and annotate, and one for each operation that changes one.
for name in ["READ", "REPLACE", "COMPLETE", "INVALIDATE"]:
    procedure, _ = call("POST", f"/api/v1/patients/{out['FUZZ_PATIENT_READ']}/procedures",
                        token=dentist, body={"code": "X2120", "tooth": "3", "surfaces": "MO"})
    out[f"FUZZ_PROCEDURE_{name}"] = procedure["id"]
# Perio exams on the same chart: two to read and compare, one to save, one to close.
for name in ["READ", "OTHER", "SAVE", "CLOSE"]:
    exam, _ = call("POST", f"/api/v1/patients/{out['FUZZ_PATIENT_READ']}/perio-exams",
                   token=dentist, body={"teeth": [{"tooth": "3", "depth": [3, 2, 3, 3, 2, 3]}]})
    out[f"FUZZ_PERIO_{name}"] = exam["id"]
# Notes: one signed to read, one signed to add addenda to (kept apart, so that the note read
# does not grow by every generated addendum), one draft to edit, one draft to sign.
for name in ["READ", "ADDENDA", "EDIT", "SIGN"]:
    note, _ = call("POST", f"/api/v1/patients/{out['FUZZ_PATIENT_READ']}/notes", token=dentist,
                   body={"kind": "progress", "body": "Fuzzing fixture: synthetic progress note."})
    out[f"FUZZ_NOTE_{name}"] = note["id"]
for name in ["READ", "ADDENDA"]:
    call("POST", f"/api/v1/notes/{out[f'FUZZ_NOTE_{name}']}/sign", token=dentist)
# Treatment plans of the read procedure (which stays planned): drafts to read, replace,
# present and supersede; presented ones to accept and decline.
for name in ["READ", "REPLACE", "PRESENT", "ACCEPT", "DECLINE", "SUPERSEDE"]:
    plan, _ = call("POST", f"/api/v1/patients/{out['FUZZ_PATIENT_READ']}/treatment-plans",
                   token=dentist, body={"title": "Fuzzing fixture plan", "phases": [
                       {"name": "Phase 1", "lines": [{"procedure_id": out["FUZZ_PROCEDURE_READ"]}]}]})
    out[f"FUZZ_PLAN_{name}"] = plan["id"]
for name in ["ACCEPT", "DECLINE"]:
    call("POST", f"/api/v1/treatment-plans/{out[f'FUZZ_PLAN_{name}']}/present", token=dentist)

# The schedule. The demo's chairs and providers are booked around today, so bookings go to a
# chair and a provider of the fuzzer's own, for a patient of its own (one who is never deleted
# or deactivated). The records read are the ones booked with; each operation that changes a
# resource gets one of its own (hiding a chair or ending a provider's days would turn the
# bookings into refusals), and so does each operation that changes an appointment.
patient, _ = call("POST", "/api/v1/patients", token=om,
                  body={"family_name": "Fuzz", "given_name": "Schedule", "birth_date": "1990-01-01"})
out["FUZZ_PATIENT_SCHEDULE"] = patient["id"]
# A dentist to book with, a hygienist to name beside them, and a provider to replace (its
# abbreviation, FZD-R, is fixed in .ci/fuzz-api.toml).
for name, abbreviation, hygienist in [("PROVIDER", "FZD", False), ("HYGIENIST", "FZH", True),
                                      ("PROVIDER_REPLACE", "FZD-R", False)]:
    provider, _ = call("POST", "/api/v1/providers", token=om, body={
        "family_name": "Fuzz", "given_name": name.replace("_", " ").title(),
        "abbreviation": abbreviation, "colour": "#336699",
        "specialty": "hygiene" if hygienist else "general", "is_hygienist": hygienist})
    out[f"FUZZ_{name}"] = provider["id"]
# Bookings and the appointments read and changed by status in one chair; an appointment
# moved by the fuzzer in another, so that its moves do not take the bookings' time; a chair to
# replace (its abbreviation, FZ3, is fixed in .ci/fuzz-api.toml).
for name, abbreviation in [("", "FZ1"), ("_MOVE", "FZ2"), ("_REPLACE", "FZ3")]:
    operatory, _ = call("POST", "/api/v1/operatories", token=om, body={
        "name": f"Fuzz chair{name.lower()}", "abbreviation": abbreviation, "order": 900})
    out[f"FUZZ_OPERATORY{name}"] = operatory["id"]
# A type to book with and one to replace (its name, "Fuzz: type_replace", is fixed in
# .ci/fuzz-api.toml).
for name in ["", "_REPLACE"]:
    kind, _ = call("POST", "/api/v1/appointment-types", token=om, body={
        "name": f"Fuzz: type{name.lower()}", "colour": "#123456", "pattern": "/XX/"})
    out[f"FUZZ_APPOINTMENT_TYPE{name}"] = kind["id"]
# Local times without an offset, on a weekday far enough ahead to be clear of the demo's days:
# no time zone skips or repeats 09:00 to 11:00.
for name, operatory, start in [("READ", "FUZZ_OPERATORY", "2031-01-07T09:00"),
                               ("STATUS", "FUZZ_OPERATORY", "2031-01-07T10:00"),
                               ("REPLACE", "FUZZ_OPERATORY_MOVE", "2031-01-07T11:00")]:
    appointment, _ = call("POST", "/api/v1/appointments", token=om, body={
        "patient_id": out["FUZZ_PATIENT_SCHEDULE"], "operatory_id": out[operatory],
        "provider_id": out["FUZZ_PROVIDER"], "hygienist_id": out["FUZZ_HYGIENIST"],
        "appointment_type_id": out["FUZZ_APPOINTMENT_TYPE"], "start": start,
        "note": "Fuzzing fixture: synthetic appointment."})
    out[f"FUZZ_APPOINTMENT_{name}"] = appointment["id"]
# A blockout for the fuzzer to remove.
block, _ = call("POST", "/api/v1/schedule-blocks", token=om, body={
    "kind": "blockout", "start": "2031-02-03T09:00", "end": "2031-02-03T10:00",
    "label": "Fuzz blockout"})
out["FUZZ_BLOCK"] = block["id"]

# An account the administrator's operations disable, enable, re-role and reset: never one the
# fuzzer signs in with.
user, _ = call("POST", "/api/v1/users", token=pa,
               body={"username": "fuzz-target", "display_name": "Fuzz target", "roles": ["front_desk"]})
out["FUZZ_USER"] = user["user_id"]
token, _ = call("POST", "/api/v1/api-tokens", token=pa,
                body={"name": "fuzz-target", "scopes": ["demographics:view"]})
out["FUZZ_API_TOKEN"] = token["id"]

# Emergency accesses for the compliance officer to review and to end early.
justification = "Fuzzing fixture: patient in the chair with acute pain."
access, _ = call("POST", "/api/v1/emergency-access", token=dentist,
                 body={"patient_id": out["FUZZ_PATIENT_READ"], "justification": justification})
out["FUZZ_ACCESS_REVIEW"] = access["id"]
access, _ = call("POST", "/api/v1/emergency-access", token=hygienist_target,
                 body={"patient_id": out["FUZZ_PATIENT_READ"], "justification": justification})
out["FUZZ_ACCESS_REVOKE"] = access["id"]

# DELETE /auth/sessions/{id} is fuzzed by a second hygienist session against the first, so
# the caller's own session survives; step-up (five wrong codes end the session) gets a second
# dentist session. Both wait for the next code window.
sessions, _ = call("GET", "/api/v1/auth/sessions", token=hygienist_target)
out["FUZZ_SESSION"] = next(s["id"] for s in sessions if s["current"])
out["FUZZ_TOKEN_REVOKE_SESSION"] = sign_in("hygienist")
out["FUZZ_TOKEN_STEP_UP"] = sign_in("dentist")

for name, value in out.items():
    print(f"export {name}={shlex.quote(value)}")
