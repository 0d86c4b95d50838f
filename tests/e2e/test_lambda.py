"""The broker as a Lambda function behind API Gateway (issue 18), what only the function mode
has: events that are not HTTP API events or are malformed get a clean answer and the
function keeps serving; several function processes on one PostgreSQL registry allocate
exactly 1..N. (The API's own suites run in this mode too: VPCPEER_E2E_MODE=lambda, ctest
e2e_*_lambda.)"""

import base64
import json
import re
import unittest

from broker_harness import (E2ECase, OnPostgres, SERVER_ID, generated_account, register_burst)
from fake_apigw import FakeApiGateway

ACCOUNTS = [generated_account(i) for i in range(1, 9)]
NAMES = [a["name"] for a in ACCOUNTS]
IDS = [a["id"] for a in ACCOUNTS]


def event(method="GET", path="/healthz", headers=None, body=None, b64=False, **extra):
    e = {"version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "",
         "headers": headers or {},
         "requestContext": {"domainName": "vpcpeer-e2e.test",
                            "http": {"method": method, "path": path, "sourceIp": "192.0.2.9"}},
         "isBase64Encoded": b64}
    if body is not None:
        e["body"] = body
    e.update(extra)
    return json.dumps(e).encode()


class Events(E2ECase):
    def start_function(self, **kw):
        return self.start_broker(mode="lambda", **kw)

    def answer(self, b, raw):
        kind, body = b.gateway.invoke(raw)
        self.assertIsNotNone(kind, f"no answer to {raw[:200]!r}")
        return kind, json.loads(body)

    def test_not_http_api_events_are_invocation_errors(self):
        b = self.start_function()
        for raw in (b"", b"not json", b"[1]", b"{}", b'{"version":"1.0","httpMethod":"GET"}',
                    json.dumps({"RequestType": "Create", "ResponseURL": "https://x"}).encode(),
                    event(path="no-slash"), event(method="G ET"),
                    event(headers={"authorization": 7})):
            kind, doc = self.answer(b, raw)
            self.assertEqual(kind, "error", raw)
            self.assertEqual(doc["errorType"], "InvalidEvent", doc)
            self.assertTrue(doc["errorMessage"], doc)
        # and it still serves
        kind, doc = self.answer(b, event())
        self.assertEqual((kind, doc["statusCode"]), ("response", 200), doc)

    def test_malformed_requests_get_http_answers(self):
        b = self.start_function()
        proof = b.api.proof("client-b", request="POST /v1/namespaces")
        cases = [
            (event("POST", "/v1/namespaces", {"authorization": proof}, "Y=WI!", True), 400,
             "invalid"),
            (event("GET", "/v1/namespaces", {"x-big": "a" * 10300}), 413, "too_large"),
            (event("POST", "/v1/namespaces", {"authorization": proof}, "a" * 20000), 413,
             "too_large"),
            (event("POST", "/v1/namespaces", {"authorization": proof},
                   base64.b64encode(b"b" * 20000).decode(), True), 413, "too_large"),
            (event("GET", "/v1/namespaces"), 401, "unauthenticated"),
            (event("GET", "/nowhere"), 404, "not_found"),
            (event("PUT", "/v1/namespaces"), 405, "method_not_allowed"),
            (event("GET", "/metrics"), 404, "not_found"),
        ]
        for raw, status, code in cases:
            kind, doc = self.answer(b, raw)
            self.assertEqual(kind, "response", doc)
            self.assertEqual(doc["statusCode"], status, doc)
            self.assertEqual(json.loads(doc["body"])["error"]["code"], code, doc)
            self.assertIn("X-Request-Id", doc["headers"])
            self.assertIs(doc["isBase64Encoded"], False)
        # a base64 body that is a good registration
        body = base64.b64encode(json.dumps({"client_ref": "b64"}).encode()).decode()
        kind, doc = self.answer(b, event("POST", "/v1/namespaces", {"authorization": proof},
                                         body, True))
        self.assertEqual(doc["statusCode"], 201, doc)
        self.assertEqual(json.loads(doc["body"])["NamespaceId"], 1)
        # every answered request has its access-log line, with the event's source address
        # (written before the answer, read from the process's stderr by another thread)
        b.wait_log(r"\brequest request_id=.*status=201")
        lines = [l for l in b.lines if re.search(r"\brequest request_id=", l)]
        self.assertGreaterEqual(len(lines), len(cases) + 1)
        self.assertTrue(all("source=192.0.2.9" in l for l in lines), lines[:2])

    def test_server_id_from_the_domain_name(self):
        """No --server-id: the event's domain name with port 443, as clients of
        https://DOMAIN sign; a proof for another id is refused."""
        b = self.start_function()
        self.assertNotIn("--server-id", b.cmd)
        self.assertEqual(b.api.register("client-b", "dn-1").status, 201)
        r = b.api.register("client-b", "dn-2",
                           auth=b.api.proof("client-b", server_id="other.example:443"))
        self.assertStatus(r, 401, "unauthenticated")
        self.assertEqual(SERVER_ID, "vpcpeer-e2e.test:443")


class Fleet(OnPostgres, E2ECase):
    """Four function processes, one Runtime API each, fed round robin by one gateway."""
    GENERATED_ACCOUNTS = len(ACCOUNTS)
    FUNCTIONS = 4

    def test_functions_allocate_1_to_n_once(self):
        gw = FakeApiGateway(functions=self.FUNCTIONS).start()
        try:
            self.allocate(gw)
        finally:
            self._stop_brokers()    # before the gateway: their Runtime API goes with it
            gw.close()

    def allocate(self, gw):
        fns = [self.start_broker(mode="lambda", gateway=gw, function=i, db=self.pg.url,
                                 allow=IDS, accepter="broker", name=f"fn{i}")
               for i in range(self.FUNCTIONS)]
        jobs = [(NAMES[i % len(NAMES)], f"ref-{i}") for i in range(24)]
        answers = register_burst(fns[0].api, jobs)
        for r in answers:
            self.assertStatus(r, 201)
        ns = sorted(r.json["NamespaceId"] for r in answers)
        self.assertEqual(ns, list(range(1, len(jobs) + 1)))
        # every process answered some of them
        for f in fns:
            self.assertIn("route=/v1/namespaces status=201", f.log_text(), f.name)


if __name__ == "__main__":
    unittest.main()
