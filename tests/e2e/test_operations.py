"""Running the broker (issue 6, "Serving"): start-up refusals of a misconfiguration, the
configuration from VPCPEER_* variables, JSON logs, HTTPS, AWS failing under the workflows
(throttling, errors: a clear status and nothing half-done), graceful stop with a request in
flight, broker mode accepting a pending peering, hub routes owned by someone else, hand-made trust entries, a hub
VPC that is not n = 0."""

import json
import os
import re
import signal
import sqlite3
import subprocess
import threading
import time
import unittest

from botocore.exceptions import ClientError

from broker_harness import (ADMIN_ARN, Broker, E2ECase, HUB_ACCOUNT, HUB_TRUST, REGION,
                            SERVER_ID, Hub, READY_RE, SANITIZER_RE, trusted_accounts)


def live(api):
    return [x for x in api.list_all("hub") if x["State"] != "released"]


class Operations(E2ECase):

    # ---- start-up -----------------------------------------------------------------------

    def serve_fails(self, args, reason, hub=None):
        hub = hub or self.hub
        b = Broker(self.env, hub, self.workdir, args=args, binary=self.bin, name="refused")
        p = subprocess.run(b.cmd, env=b.env_vars, capture_output=True, text=True, timeout=60,
                           cwd=self.workdir)
        self.assertNotEqual(p.returncode, 0, f"{args}: started:\n{p.stderr}")
        self.assertFalse(READY_RE.search(p.stderr), f"{args}: it said it serves")
        self.assertFalse(SANITIZER_RE.search(p.stderr), p.stderr)
        self.assertRegex(p.stderr, reason, f"{args}: the message names the problem")
        return p.stderr

    def test_startup_refuses_misconfiguration(self):
        other_vpc = self.hub.ec2.create_vpc(CidrBlock="192.168.0.0/24")["Vpc"]["VpcId"]
        foreign_rtb = self.hub.ec2.create_route_table(VpcId=other_vpc)["RouteTable"]["RouteTableId"]
        cases = [
            (["--peer-role", "vpcpeer-nope"], r"vpcpeer-nope"),
            (["--hub-vpc", "vpc-0123456789abcdef0"], r"vpc-0123456789abcdef0"),
            (["--hub-route-table", foreign_rtb], re.escape(foreign_rtb)),
            (["--hub-route-table", "rtb-0123456789abcdef0"], r"rtb-0123456789abcdef0"),
            (["--max-peerings", "126"], r"max-peerings|125"),
            (["--max-peerings", "0"], r"max-peerings"),
            (["--listen", "0.0.0.0:0"], r"(?i)insecure-http|tls|loopback"),
            (["--tls-cert", os.path.join(self.workdir, "cert.pem")], r"(?i)tls"),
            (["--hub-account", "12345"], r"hub-account|12345"),
            (["--allow-account", "abc"], r"allow-account|abc"),
            (["--vpc-prefix", "33"], r"vpc-prefix|33|prefix"),
            (["--grant-settle", "-1"], r"grant-settle"),
            (["--db", "mysql://x"], r"(?i)mysql|scheme|db"),
        ]
        for args, reason in cases:
            with self.subTest(args=args):
                self.serve_fails(args, reason)
        # no allow-list at all
        b = Broker(self.env, self.hub, self.workdir, allow=(), binary=self.bin)
        p = subprocess.run(b.cmd, env=b.env_vars, capture_output=True, text=True, timeout=60)
        self.assertNotEqual(p.returncode, 0)
        self.assertRegex(p.stderr, r"allow-account|allow-any-account")

    def test_locked_registry_answers_503(self):
        """A SQLite file locked by another process (issue 14: it held a worker 55 s, five
        busy waits in a row): a registration answers 503 with Retry-After after about one
        --registry-wait (2 s), well inside the client's 8 s (five waits would not be), and
        nothing is registered; once the lock is gone the same registration succeeds."""
        b = Broker(self.env, self.hub, self.workdir, args=["--registry-wait", "2"],
                   binary=self.bin, name="locked")
        self.brokers.append(b)
        b.start()
        # waits out a write of the broker's own (its readiness heartbeat, a lease) to take it
        holder = sqlite3.connect(b.db[len("sqlite:"):], timeout=30, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            proof = b.api.proof("client-b")     # signed before the clock of the bound starts
            r = b.api.request("POST", "/v1/namespaces", {"client_ref": "locked-1"}, auth=proof,
                              timeout=8)
            self.assertStatus(r, 503, "unavailable")
            self.assertIn("retry-after", r.headers)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        r = b.api.register("client-b", "locked-1")
        self.assertStatus(r, 201)
        self.assertEqual(r.json["NamespaceId"], 1)

    def test_hub_vpc_overlapping_the_plan(self):
        """A hub VPC that is not n = 0 overlaps a client namespace: refused unless reserved;
        reserved, that n is never handed out."""
        hub = Hub(self.env, roles=1, cidr="10.0.4.0/22", role_prefix="other-peer")
        self.serve_fails([], r"--reserve|10\.0\.4\.0/22|overlap", hub=hub)
        b = Broker(self.env, hub, self.workdir, args=["--reserve", "10.0.4.0/22"],
                   binary=self.bin, name="reserved")
        self.brokers.append(b)
        b.start()
        r = b.api.register("client-b", "x")
        self.assertStatus(r, 201)
        self.assertNamespace(r.json, 2, "222222222222", "pending", hub=hub)
        self.assertEqual(r.json["PeerCidrBlock"], "10.0.4.0/22")

    def test_configuration_from_the_environment_and_json_log(self):
        """Every flag also as VPCPEER_<NAME> (repeatable ones comma-separated)."""
        db = os.path.join(self.workdir, "env.db")
        env_cfg = {
            "VPCPEER_LISTEN": "127.0.0.1:0", "VPCPEER_DB": f"sqlite:{db}",
            "VPCPEER_HUB_ACCOUNT": HUB_ACCOUNT, "VPCPEER_HUB_VPC": self.hub.vpc,
            "VPCPEER_HUB_REGION": REGION,
            "VPCPEER_PEERING_ACCEPTER": "peer-role",
            "VPCPEER_PEER_ROLE": ",".join(self.hub.roles),
            "VPCPEER_HUB_ROUTE_TABLE": ",".join(self.hub.route_tables),
            "VPCPEER_ALLOW_ACCOUNT": "222222222222,333333333333",
            "VPCPEER_ADMIN_ARN": ADMIN_ARN, "VPCPEER_SERVER_ID": SERVER_ID,
            "VPCPEER_GRANT_SETTLE": "0", "VPCPEER_LOG_FORMAT": "json",
            "VPCPEER_MAX_PEERINGS": "2",
        }
        b = Broker(self.env, self.hub, self.workdir, binary=self.bin, env_extra=env_cfg,
                   command=[self.bin, "serve"], name="envconfig")
        self.brokers.append(b)
        b.start()
        r1 = b.api.register("client-b", "e-1")
        self.assertStatus(r1, 201)
        self.assertStatus(b.api.register("client-c", "e-2"), 201)
        self.assertStatus(b.api.register("client-d", "e-3"), 403, "forbidden")
        r = b.api.register("client-c", "e-4")
        self.assertStatus(r, 409, "exhausted", "VPCPEER_MAX_PEERINGS=2:")
        self.assertStatus(b.api.get("hub", 2), 200)                  # admin from env
        vpc, pcx = self.client("client-b").peer(r1.json)
        self.assertStatus(b.api.confirm("client-b", 1, pcx, vpc), 200)
        routes = self.hub.routes()
        for rtb in self.hub.route_tables:
            self.assertIn(("10.0.4.0/22", pcx, "active"), routes[rtb])
        self.assertNotIn(("10.0.4.0/22", pcx, "active"), routes[self.hub.main_route_table])
        # JSON log: one object per line; the access log line of each request
        objs = []
        for line in b.lines:
            if line.strip():
                objs.append(json.loads(line))   # every line is JSON
        access = [o for o in objs if o.get("request_id") == r1.headers["x-request-id"]
                  and "status" in o]
        self.assertTrue(access, "no access-log line with the request's X-Request-Id")
        a = access[-1]
        self.assertEqual(a.get("account"), "222222222222", a)
        self.assertEqual(int(a["status"]), 201)
        self.assertTrue(any(k.startswith("latency") for k in a), a)

    def test_https(self):
        cert, key = os.path.join(self.workdir, "cert.pem"), os.path.join(self.workdir, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", key, "-out", cert], check=True, capture_output=True)
        b = self.start_broker(["--tls-cert", cert, "--tls-key", key], ca_file=cert)
        self.assertTrue(b.url.startswith("https://127.0.0.1:"), b.url)
        self.assertStatus(b.api.request("GET", "/healthz"), 200)
        r = b.api.register("client-b", "tls-1")
        self.assertStatus(r, 201)
        # the CLI over HTTPS with --ca-file
        akid, secret = self.env.credentials("client-b")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "VPCPEER_"))}
        env.update({"AWS_ENDPOINT_URL": self.env.url, "AWS_REGION": REGION,
                    "AWS_ACCESS_KEY_ID": akid, "AWS_SECRET_ACCESS_KEY": secret,
                    "AWS_EC2_METADATA_DISABLED": "true"})
        p = subprocess.run([self.bin, "show", "--broker", b.url, "1", "--server-id", SERVER_ID,
                            "--ca-file", cert], env=env, capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(json.loads(p.stdout)["NamespaceId"], 1)
        # without the CA the CLI refuses the certificate
        p = subprocess.run([self.bin, "show", "--broker", b.url, "1", "--server-id", SERVER_ID],
                           env=env, capture_output=True, text=True, timeout=60)
        self.assertNotEqual(p.returncode, 0)
        # plain HTTP to the TLS port is not served
        import http.client
        conn = http.client.HTTPConnection("127.0.0.1", b.api.port, timeout=10)
        try:
            conn.request("GET", "/healthz")
            status = conn.getresponse().status
        except (OSError, http.client.HTTPException):
            status = None
        finally:
            conn.close()
        self.assertNotEqual(status, 200)

    # ---- AWS failing ----------------------------------------------------------------------

    def faults(self, *rules):
        self.env.post("/_awsenv/faults", {"rules": list(rules)})

    def test_sts_throttled_is_503_not_401(self):
        b = self.start_broker()
        self.faults({"service": "sts", "action": "GetCallerIdentity", "fault": "throttle"})
        r = b.api.list("client-b")
        self.assertStatus(r, 503, "unavailable", "STS throttled:")
        self.assertRegex(r.headers.get("retry-after", ""), r"^\d+$", "503 carries Retry-After")
        self.env.request("DELETE", "/_awsenv/faults")
        self.assertStatus(b.api.list("client-b"), 200)

    def test_iam_failing_during_register_leaves_nothing(self):
        b = self.start_broker(["--quarantine", "0"])
        trust0 = self.hub.trusts()
        for fault in ("throttle", "error"):
            with self.subTest(fault=fault):
                self.faults({"service": "iam", "action": "UpdateAssumeRolePolicy",
                             "fault": fault})
                r = b.api.register("client-b", "iam-fails")
                self.assertIn(r.status, (502, 503), r)
                self.assertStatus(r, r.status, "unavailable" if r.status == 503 else "aws")
                if r.status == 503:
                    self.assertIn("retry-after", r.headers)
                self.assertEqual(live(b.api), [], "a live namespace after a failed register")
                self.assertEqual(self.hub.trusts(), trust0)
                self.env.request("DELETE", "/_awsenv/faults")
        r = b.api.register("client-b", "iam-fails")
        self.assertStatus(r, 201, msg="the same client_ref once IAM answers:")
        self.assertEqual(r.json["NamespaceId"], 1)
        self.assertIn("222222222222", trusted_accounts(self.hub.trust(self.hub.roles[0])))

    def test_ec2_failing_during_confirm_and_release(self):
        b = self.start_broker(["--quarantine", "0"])
        r = b.api.register("client-b", "ec2-fails")
        self.assertStatus(r, 201)
        ns = r.json
        vpc, pcx = self.client("client-b").peer(ns)
        routes0, trust1 = self.hub.routes(), self.hub.trusts()

        # CreateRoute throttled past the retries: 503, still pending, no route anywhere.
        self.faults({"service": "ec2", "action": "CreateRoute", "fault": "throttle"})
        r = b.api.confirm("client-b", 1, pcx, vpc)
        self.assertStatus(r, 503, "unavailable", "CreateRoute throttled:")
        self.assertEqual(self.hub.routes(), routes0)
        self.assertEqual(b.api.get("client-b", 1).json["State"], "pending")
        # One InternalError: the AWS client's retries absorb it.
        self.faults({"service": "ec2", "action": "CreateRoute", "fault": "error", "count": 1})
        r = b.api.confirm("client-b", 1, pcx, vpc)
        self.assertStatus(r, 200, msg="one 500 from CreateRoute, retried:")
        self.assertEqual(r.json["State"], "active")
        fired = [x.get("fired") for x in self.env.get("/_awsenv/faults")["rules"]]
        self.assertEqual(fired, [1])
        self.env.request("DELETE", "/_awsenv/faults")

        # DeleteRoute failing: release answers an error, a retry finishes it.
        self.faults({"service": "ec2", "action": "DeleteRoute", "fault": "error"})
        r = b.api.release("client-b", 1)
        self.assertIn(r.status, (502, 503), r)
        self.assertNotEqual(b.api.get("client-b", 1).json["State"], "released")
        self.env.request("DELETE", "/_awsenv/faults")
        r = b.api.release("client-b", 1)
        self.assertStatus(r, 200, msg="release retried:")
        self.assertEqual(r.json["State"], "released")
        self.assertEqual(self.hub.routes(), routes0)
        self.assertEqual(self.hub.trusts()[self.hub.roles[0]], HUB_TRUST)

    def test_route_held_by_another_target(self):
        """The client's CIDR already routed elsewhere in the second hub table: confirm is a
        conflict, the route added to the first table is taken back, the other is untouched."""
        b = self.start_broker()
        r = b.api.register("client-b", "taken")
        self.assertStatus(r, 201)
        ns = r.json
        igw = self.hub.ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        self.hub.ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=self.hub.vpc)
        self.hub.ec2.create_route(RouteTableId=self.hub.route_tables[1],
                                  DestinationCidrBlock=ns["VpcCidrBlock"], GatewayId=igw)
        vpc, pcx = self.client("client-b").peer(ns)
        before = self.snapshot(b)
        r = b.api.confirm("client-b", 1, pcx, vpc)
        self.assertStatus(r, 409, "conflict", "route held by an internet gateway:")
        self.assertUnchanged(before, b, "route conflict")
        # release never touches a route with another target
        self.assertStatus(b.api.release("client-b", 1), 200)
        self.assertIn((ns["VpcCidrBlock"], igw, "active"),
                      self.hub.routes()[self.hub.route_tables[1]])

    def test_accept_pending(self):
        # --accept-pending is gone: broker mode is what it was (tests/e2e/test_broker_accepts.py
        # has the rest of broker mode's checks)
        b = self.start_broker(accepter="broker")
        cb = self.client("client-b")
        r = b.api.register("client-b", "ap-1")
        self.assertStatus(r, 201)
        ns = r.json
        # a pending peering from a VPC whose block is not the plan's is refused: EC2 shows no
        # CIDR before a peering is active (awsenv's strict_ec2), so the broker accepts, reads
        # the active peering's blocks and deletes it at once; the registry and the hub's
        # routes are unchanged (docs/design.md, the verify window)
        wrong_vpc = cb.create_vpc("10.200.0.0/22")
        wrong = cb.request_peering(wrong_vpc, ns)
        before = self.snapshot(b)
        self.assertStatus(b.api.confirm("client-b", 1, wrong, wrong_vpc), 409, "conflict")
        self.assertUnchanged(before, b, "mismatching pending peering")
        st = self.hub.ec2.describe_vpc_peering_connections(
            VpcPeeringConnectionIds=[wrong])["VpcPeeringConnections"][0]["Status"]["Code"]
        self.assertEqual(st, "deleted", "the broker left a peering it refused in place")
        # the right one, never accepted by the client: the broker accepts it
        vpc = cb.create_vpc(ns["VpcCidrBlock"])
        pcx = cb.request_peering(vpc, ns)
        r = b.api.confirm("client-b", 1, pcx, vpc)
        self.assertStatus(r, 200)
        self.assertEqual(r.json["State"], "active")
        st = self.hub.ec2.describe_vpc_peering_connections(
            VpcPeeringConnectionIds=[pcx])["VpcPeeringConnections"][0]["Status"]["Code"]
        self.assertEqual(st, "active")

    def test_hand_made_trust_entries_are_kept(self):
        doc = json.loads(json.dumps(HUB_TRUST))
        doc["Statement"].append({"Sid": "Manual", "Effect": "Allow",
                                 "Principal": {"AWS": ["arn:aws:iam::444444444444:root",
                                                       "arn:aws:iam::222222222222:root"]},
                                 "Action": "sts:AssumeRole"})
        role = self.hub.roles[0]
        self.hub.iam.update_assume_role_policy(RoleName=role, PolicyDocument=json.dumps(doc))
        b = self.start_broker(["--quarantine", "0"])
        for who in ("client-b", "client-c", "client-d"):
            self.assertStatus(b.api.register(who, "m"), 201)
        got = self.hub.trust(role)
        manual = [s for s in got["Statement"] if s.get("Sid") == "Manual"]
        self.assertEqual(manual, [doc["Statement"][1]], "the hand-made statement was edited")
        for n, who in ((1, "client-b"), (2, "client-c"), (3, "client-d")):
            self.assertStatus(b.api.release(who, n), 200)
        self.assertEqual(self.hub.trust(role), doc, "release removed a hand-made principal")
        # client-b and client-d still get in through the hand-made statement
        self.client("client-d").assume_peer_role(self.hub.role_arn(0))

    def test_plan_flags_shape_the_answer(self):
        """--vpc-prefix 21 --subnets 6: /21 VPCs and SubnetA..F; n = 1 is 10.0.8.0/21."""
        b = self.start_broker(["--vpc-prefix", "21", "--subnets", "6"])
        r = b.api.register("client-b", "p")
        self.assertStatus(r, 201)
        x = r.json
        self.assertEqual(x["VpcCidrBlock"], "10.0.8.0/21")
        self.assertEqual([x.get(f"Subnet{l}CidrBlock") for l in "ABCDEFG"],
                         [f"10.0.{8 + i}.0/24" for i in range(6)] + [None])
        import schema_check
        schema_check.namespace(self, x)

    def test_release_after_the_peering_was_deleted(self):
        """CloudFormation may delete the peering before the release: the hub routes are then
        blackholes through a peering that is gone, and the release removes them."""
        b = self.start_broker()
        cb = self.client("client-b")
        r = b.api.register("client-b", "bh")
        self.assertStatus(r, 201)
        ns = r.json
        routes0 = self.hub.routes()
        vpc, pcx = cb.peer(ns)
        self.assertStatus(b.api.confirm("client-b", 1, pcx, vpc), 200)
        cb.ec2.delete_vpc_peering_connection(VpcPeeringConnectionId=pcx)
        for rtb in self.hub.route_tables:
            self.assertIn((ns["VpcCidrBlock"], pcx, "blackhole"), self.hub.routes()[rtb])
        r = b.api.release("client-b", 1)
        self.assertStatus(r, 200)
        self.assertEqual(r.json["State"], "released")
        self.assertEqual(self.hub.routes(), routes0, "blackhole routes left behind")
        self.assertEqual(self.hub.trusts()[self.hub.roles[0]], HUB_TRUST)

    def test_keep_alive_connection(self):
        """Several requests on one HTTP/1.1 connection, errors included."""
        b = self.start_broker()
        conn = b.api.connection()
        try:
            for method, path, body, who, want in (
                    ("GET", "/healthz", None, None, 200),
                    ("POST", "/v1/namespaces", b'{"client_ref": "ka"}', "client-b", 201),
                    ("POST", "/v1/namespaces", b'{"client_ref": 5}', "client-b", 400),
                    ("GET", "/v1/namespaces/1", None, "client-b", 200),
                    ("GET", "/nope", None, None, 404),
                    ("GET", "/v1/namespaces/1", None, "client-c", 404),  # another account's
                    ("DELETE", "/v1/namespaces/1", None, "client-b", 200)):
                hdrs = ({"Authorization": b.api.proof(who, request=f"{method} {path}")}
                        if who else {})
                if body is not None:
                    hdrs["Content-Type"] = "application/json"
                conn.request(method, path, body=body, headers=hdrs)
                r = conn.getresponse()
                data = r.read()
                self.assertEqual(r.status, want, f"{method} {path}: {data[:200]}")
        finally:
            conn.close()

    # ---- stopping -------------------------------------------------------------------------

    def test_sigterm_finishes_requests_in_flight(self):
        b = self.start_broker()
        self.faults({"service": "iam", "action": "UpdateAssumeRolePolicy", "fault": "latency",
                     "latency_ms": 1500})
        out = {}
        t = threading.Thread(target=lambda: out.setdefault("r", b.api.register("client-b", "s")))
        t.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:     # until the broker is inside the workflow
            iam = self.env.calls()["calls"].get("iam", {})
            if iam.get("UpdateAssumeRolePolicy", {}).get("total", 0) >= 1:
                break
            time.sleep(0.02)
        else:
            self.fail("the registration never reached UpdateAssumeRolePolicy")
        b.proc.send_signal(signal.SIGTERM)
        t.join(60)
        self.assertEqual(out["r"].status, 201, out["r"])
        b.proc.wait(60)
        self.brokers.remove(b)
        self.assertEqual(b.stop(expect_exited=True), [])
        self.assertIn("222222222222", trusted_accounts(self.hub.trust(self.hub.roles[0])))


if __name__ == "__main__":
    unittest.main()
