"""The broker as a Lambda function behind API Gateway (issue 18), what only the function mode
has: events that are not HTTP API events or are malformed get a clean answer and the
function keeps serving; several function processes on one PostgreSQL registry allocate
exactly 1..N; EventBridge's Scheduled Events run one reconciler pass at a time across
instances; the registry's credentials come from Secrets Manager (--registry-secret); each
request leaves an embedded-metric-format line. (The API's own suites run in this mode too: VPCPEER_E2E_MODE=lambda, ctest
e2e_*_lambda.)"""

import base64
import json
import os
import re
import subprocess
import threading
import time
import unittest

import boto3

from broker_harness import (Broker, E2ECase, OnPostgres, REGION, SERVER_ID, generated_account,
                            register_burst)
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


SCHEDULED = json.dumps({
    "version": "0", "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa", "detail-type": "Scheduled Event",
    "source": "aws.events", "account": "111111111111", "time": "2026-12-07T03:00:00Z",
    "region": "us-east-1", "resources": ["arn:aws:events:us-east-1:111111111111:rule/r"],
    "detail": {}}).encode()


class Metrics(E2ECase):
    def test_each_request_has_an_emf_line(self):
        b = self.start_broker(mode="lambda")
        self.assertEqual(b.api.register("client-b", "emf-1").status, 201)
        kind, _ = b.gateway.invoke(event(path="/nowhere"))
        self.assertEqual(kind, "response")
        lines = []
        deadline = time.monotonic() + 30
        while len(lines) < 2 and time.monotonic() < deadline:   # stdout is its log file
            with open(b.log_path) as f:
                lines = [json.loads(l) for l in f if l.startswith('{"_aws"')]
        self.assertGreaterEqual(len(lines), 2, "no EMF lines on the function's output")
        by_status = {l["StatusClass"]: l for l in lines}
        reg = by_status["2xx"]
        self.assertEqual((reg["Route"], reg["Method"], reg["Requests"]),
                         ("/v1/namespaces", "POST", 1))
        self.assertGreaterEqual(reg["Latency"], 0)
        self.assertEqual(by_status["4xx"]["Route"], "unmatched")
        cw = reg["_aws"]["CloudWatchMetrics"][0]
        self.assertEqual(cw["Namespace"], "vpcpeer")
        self.assertEqual([m["Name"] for m in cw["Metrics"]], ["Requests", "Latency"])


class Schedule(OnPostgres, E2ECase):
    """Two function instances on one PostgreSQL registry, each sent EventBridge's Scheduled
    Event while the other's pass runs: one pass runs, the other skips."""

    def test_one_pass_at_a_time(self):
        from fake_apigw import FakeApiGateway
        gw = FakeApiGateway(functions=2).start()
        try:
            db = self.pg.database("schedule")
            fns = [self.start_broker(mode="lambda", gateway=gw, function=i, db=db,
                                     accepter="broker", name=f"fn{i}") for i in range(2)]
            self.assertEqual(fns[0].api.register("client-b", "sched-1").status, 201)
            # the pass of whichever instance leads waits in DescribeVpcPeeringConnections
            self.env.post("/_awsenv/faults", {"rules": [
                {"service": "ec2", "action": "DescribeVpcPeeringConnections",
                 "fault": "latency", "latency_ms": 3000}]})
            before = self._describes()
            out = {}
            first = threading.Thread(target=lambda: out.setdefault(0, gw.invoke(SCHEDULED, 0)))
            first.start()
            deadline = time.monotonic() + 30
            while self._describes() == before and time.monotonic() < deadline:
                time.sleep(0.02)    # until instance 0's pass is inside AWS, holding the lease
            self.assertGreater(self._describes(), before, "instance 0 never started its pass")
            out[1] = gw.invoke(SCHEDULED, 1)
            first.join(60)
            docs = {i: json.loads(out[i][1]) for i in (0, 1)}
            self.assertEqual([out[i][0] for i in (0, 1)], ["response", "response"], docs)
            self.assertEqual(docs[0]["reconcile"], "ran", docs)
            self.assertEqual(docs[1]["reconcile"], "skipped", docs)
            self.assertIn("lease", docs[1]["reason"] + json.dumps(docs[0]), docs)
            self.assertEqual(docs[0]["failed"], 0, docs)
            self.assertGreaterEqual(docs[0]["namespaces"], 1, docs)
            # the lease was given back: the other instance's next pass runs
            self.env.post("/_awsenv/faults", {"rules": []})
            kind, body = gw.invoke(SCHEDULED, 1)
            self.assertEqual((kind, json.loads(body)["reconcile"]), ("response", "ran"), body)
            for f in fns:
                self.assertTrue(f.alive(), f.name)
        finally:
            self._stop_brokers()
            gw.close()

    def _describes(self):
        ec2 = self.env.calls()["calls"].get("ec2", {})
        return ec2.get("DescribeVpcPeeringConnections", {}).get("total", 0)


class RegistrySecret(OnPostgres, E2ECase):
    """--registry-secret: the user and password from a Secrets Manager secret in RDS's
    format (awsenv's moto), the host and database from --db, as the template sets them."""

    def secret(self, doc, name):
        akid, key = self.env.credentials("hub")
        sm = boto3.client("secretsmanager", endpoint_url=self.env.url, region_name=REGION,
                          aws_access_key_id=akid, aws_secret_access_key=key)
        return sm.create_secret(Name=name, SecretString=json.dumps(doc))["ARN"]

    def test_function_registry_from_secret(self):
        arn = self.secret({"username": "postgres", "password": "not:used@here/%",
                           "engine": "postgres"}, "registry-ok")
        db = re.sub(r"&user=[^&]*", "", self.pg.database("secret"))
        b = self.start_broker(mode="lambda", db=db, accepter="broker",
                              args=["--registry-secret", arn])
        self.assertEqual(b.api.register("client-b", "sec-1").status, 201)
        self.assertIn("registry=postgresql", b.log_text())
        self.assertNotIn("not:used", b.log_text())

    def run_reconcile(self, arn, db):
        b = self.start_broker(accepter="broker")     # for its environment and hub flags
        env = dict(b.env_vars)
        cmd = [b.binary, "reconcile", "--once", "--registry-secret", arn,
               "--hub-account", b.cmd[b.cmd.index("--hub-account") + 1],
               "--hub-vpc", self.hub.vpc, "--hub-region", REGION, "--allow-any-account"]
        if db:
            cmd += ["--db", db]
        return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)

    def test_bad_secrets_are_refused_with_the_fix(self):
        db = re.sub(r"&user=[^&]*", "", self.pg.database("secret_bad"))
        cases = [
            (self.secret({"username": "u", "password": "p", "engine": "mysql"}, "mysql"),
             db, "engine 'mysql'"),
            (self.secret({"password": "p"}, "no-user"), db, "username is missing"),
            (self.secret({"username": "u", "password": "p"}, "no-host"), None, "no host"),
            ("arn:aws:secretsmanager:us-east-1:111111111111:secret:absent-AbCdEf", db,
             "ResourceNotFound"),
        ]
        for arn, url, want in cases:
            with self.subTest(want=want):
                r = self.run_reconcile(arn, url)
                self.assertNotEqual(r.returncode, 0, r.stderr)
                self.assertIn("--registry-secret", r.stderr)
                self.assertIn(want, r.stderr)


class Zip(E2ECase):
    """scripts/package-lambda --serve: the zip's bootstrap, unpacked as Lambda unpacks it
    (LAMBDA_TASK_ROOT), runs `bin/vpcpeer serve-lambda` with the bundled loader and libraries
    and answers HTTP API events from the Runtime API."""

    def test_zip_bootstrap_answers(self):
        import stat
        import tempfile
        import zipfile
        launcher = os.path.join(os.path.dirname(self.bin), "vpcpeer-serve-lambda-bootstrap")
        if not os.path.exists(launcher):
            self.skipTest("no vpcpeer-serve-lambda-bootstrap in this build (sanitizers)")
        root = os.path.join(os.path.dirname(__file__), "..", "..")
        task = tempfile.mkdtemp(dir=self.workdir)
        zpath = os.path.join(task, "fn.zip")
        subprocess.run([os.path.join(root, "scripts", "package-lambda"), "--serve", "--binary",
                        self.bin, "--output", zpath], check=True, capture_output=True,
                       timeout=300)
        with zipfile.ZipFile(zpath) as z:
            for info in z.infolist():
                out = z.extract(info, os.path.join(task, "var-task"))
                os.chmod(out, (info.external_attr >> 16) & 0o777 or stat.S_IRUSR)
        names = sorted(z.namelist())
        self.assertIn("bootstrap", names)
        self.assertIn("bin/vpcpeer", names)
        self.assertIn("lib/libpq.so.5", names)
        taskroot = os.path.join(task, "var-task")
        # serve-lambda's usual flags, after the bootstrap (which says serve-lambda itself)
        flags = Broker(self.env, self.hub, self.workdir, binary=self.bin, mode="lambda",
                       accepter="broker").cmd[2:]
        cmd = [os.path.join(taskroot, "bootstrap")] + flags
        b = self.start_broker(mode="lambda", accepter="broker", name="zip", command=cmd,
                              env_extra={"LAMBDA_TASK_ROOT": taskroot, "LD_LIBRARY_PATH": ""})
        kind, body = b.gateway.invoke(event())
        self.assertEqual((kind, json.loads(body)["statusCode"]), ("response", 200), body)
        self.assertEqual(b.api.register("client-b", "zip-1").status, 201)
        # it is the bundled program that runs, through the bundled loader
        with open(f"/proc/{b.proc.pid}/maps") as f:
            maps = f.read()
        self.assertIn(os.path.join(taskroot, "lib", "libpq.so.5"), maps)


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
