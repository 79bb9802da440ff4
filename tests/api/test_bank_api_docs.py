"""The bank API's documents: its own OpenAPI (bank operations, signing guide) and a Swagger UI page with no CDN."""

from pathlib import Path

import shoudai.web

STATIC = Path(shoudai.web.__file__).parent / "static"


def test_the_docs_page_loads_only_local_assets(client):
    r = client.get("/api/docs")
    assert r.status_code == 200 and "银行接口文档" in r.text
    assert "script-src 'self'" in r.headers["content-security-policy"]
    scripts = [s for s in r.text.split('"') if s.endswith(".js")]
    css = [s for s in r.text.split('"') if s.endswith(".css")]
    assert scripts and css and all(u.startswith("/static/vendor/swagger-ui/") for u in scripts + css)
    assert "<script>" not in r.text  # no inline script (the CSP would block it)
    for url in scripts + css:
        assert (STATIC / url.removeprefix("/static/")).is_file()
        assert client.get(url).status_code == 200


def test_the_bank_openapi_holds_the_bank_operations_with_security_and_examples(client):
    spec = client.get("/api/v1/openapi.json").json()
    assert "HMAC-SHA256" in spec["info"]["description"]
    paths = spec["paths"]
    assert "/api/v1/needs/{track_id}/disburse" in paths and "/api/v1/claims/bulk" in paths
    assert not any(p.startswith("/api/v1/public") or p == "/api/v1/first-loans" for p in paths)
    assert set(spec["components"]["securitySchemes"]) == {"ApiKey"}
    answer = paths["/api/v1/needs/{track_id}/answer"]["post"]
    assert answer["security"] == [{"ApiKey": []}]
    assert {p["name"] for p in answer["parameters"]} >= {"track_id", "Idempotency-Key", "X-Timestamp", "X-Signature"}
    assert {"401", "404", "409", "429"} <= set(answer["responses"])
    assert answer["responses"]["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorOut")
    schemas = spec["components"]["schemas"]
    assert schemas["AnswerIn"]["properties"]["conditions"]["examples"]
    assert set(schemas["DeclineReason"]["enum"]) >= {"no_cash_flow", "other"}
    # The app's full document still has them too (schemathesis runs over it).
    assert "/api/v1/needs" in client.get("/api/openapi.json").json()["paths"]
