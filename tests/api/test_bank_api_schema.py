"""Schemathesis over the bank API's OpenAPI operations, signed with a real key: no input makes the server fail (5xx).

Each generated request is signed like a bank's, so it reaches the endpoints rather than stopping at 401; a need
pushed to the bank and a list version give the generated ids something to find.
"""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip(
    "schemathesis", reason="schemathesis is not installed (dev dependency: uv add --dev 'schemathesis>=4.3')")

from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error

from .test_bank_api_support import add_list, bank_client, push_need

BANK_PATHS = r"^/api/v1/(needs|claims|lists|officers|entities)"
SIGNED = {"x-api-key", "x-timestamp", "x-signature", "idempotency-key"}


MAX_EXAMPLES = 25  # per operation


def _signed_call(api, case):
    """Send a generated case as a bank would: signed, with its own Idempotency-Key if it generated one."""
    kw = case.as_transport_kwargs()
    extra = {k: v for k, v in kw["headers"].items() if k.lower() not in SIGNED and k.lower() != "content-type"}
    return api.request(kw["method"], kw["url"], json=kw.get("json"), params=kw.get("params") or None,
                       idempotency_key=kw["headers"].get("Idempotency-Key"), headers=extra)


def test_no_input_makes_the_bank_api_fail(app, client, clock):
    push_need(app, clock, banks=("ICBC",))
    add_list(app, per_county=5)
    api = bank_client(app, client, clock, "ICBC")
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app).include(path_regex=BANK_PATHS)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 18  # every bank operation is in the document (a filter typo would test nothing)
    failures = []
    for op, mode in ((op, mode) for op in operations for mode in schemathesis.GenerationMode):
        # Positive cases reach the domain; negative ones (wrong types, missing fields) the edge's refusals.
        @given(case=op.as_strategy(generation_mode=mode))
        @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case):
            case.validate_response(_signed_call(api, case), checks=[not_a_server_error])

        try:
            run()
        except Unsatisfiable:
            assert mode is schemathesis.GenerationMode.NEGATIVE, op.label  # nothing to get wrong (no inputs)
        except Exception as exc:  # noqa: BLE001  (collect every operation's failure, then report them together)
            failures.append(f"{op.label} ({mode.value}): {str(exc)[:800]}")
    assert not failures, "\n\n".join(failures)
