"""The broker's life cycle end to end (issue 6): register, peer, confirm, release, for three
client accounts, over HTTP (proofs made in Python) and through the vpcpeer CLI; idempotent
replays of every call; assumed-role callers; health, readiness and metrics."""

import json
import os
import subprocess
import time
import unittest

from botocore.exceptions import ClientError

from broker_harness import (BROKER_MODE, serve_only, CLIENTS, Api, E2ECase, HUB_ACCOUNT, HUB_TRUST, SERVER_ID, plan_of,
                            trusted_accounts, utcnow)
import schema_check


def refused(fn):
    """The AWS error code of fn(), or None when it worked."""
    try:
        fn()
    except ClientError as e:
        return e.response["Error"]["Code"]
    return None


class LifeCycle(E2ECase):

    def role_of(self, ns):
        return ns["PeerRoleArn"].rsplit("/", 1)[1]

    def accounts_in_trust(self):
        out = []
        for doc in self.hub.trusts().values():
            out += trusted_accounts(doc)
        return out

    def test_full_life_cycle_three_accounts(self):
        quarantine = 3
        b = self.start_broker(["--quarantine", str(quarantine)])
        api = b.api
        trust0, routes0 = self.hub.trusts(), self.hub.routes()
        clients = {who: self.client(who) for who in CLIENTS}

        # Before the broker grants anything, the hub's peer role refuses the clients.
        for who, c in clients.items():
            self.assertEqual(refused(lambda: c.assume_peer_role(self.hub.role_arn(0))),
                             "AccessDenied", f"{who} could assume the peer role before any grant")

        ns = {}
        for i, who in enumerate(CLIENTS, start=1):
            c = clients[who]
            ref = f"arn:aws:cloudformation:us-east-1:{c.account}:stack/app-{who}/x|Registration"
            r = api.register(who, ref, labels={"team": who})
            self.assertStatus(r, 201, msg=f"register {who}")
            schema_check.namespace(self, r.json)
            self.assertNamespace(r.json, i, c.account, "pending", client_ref=ref)
            self.assertEqual(r.json["Labels"], {"team": who})
            self.assertIsNone(r.json["VpcId"])
            self.assertIsNone(r.json["VpcPeeringConnectionId"])
            self.assertIsNone(r.json["ReleasedAt"])
            self.assertIsNotNone(r.json["ExpiresAt"], "a pending registration has a TTL")
            self.assertIn(c.account, trusted_accounts(self.hub.trust(self.role_of(r.json))))
            ns[who] = r.json

        # Each account is in the trust policy of the role it was given, exactly once.
        self.assertEqual(sorted(self.accounts_in_trust()),
                         sorted(clients[w].account for w in CLIENTS))

        # The client stacks: VPC with the allocated CIDR, peering, acceptance through the
        # peer role (now allowed), then the confirmation.
        peer = {}
        for who in CLIENTS:
            c = clients[who]
            vpc, pcx = c.peer(ns[who])
            peer[who] = (vpc, pcx)
            r = api.confirm(who, ns[who]["NamespaceId"], pcx, vpc)
            self.assertStatus(r, 200, msg=f"confirm {who}")
            schema_check.namespace(self, r.json)
            self.assertNamespace(r.json, ns[who]["NamespaceId"], c.account, "active")
            self.assertEqual(r.json["VpcId"], vpc)
            self.assertEqual(r.json["VpcPeeringConnectionId"], pcx)
            self.assertIsNone(r.json["ExpiresAt"], "leaving pending clears the TTL")
            ns[who] = r.json

        # Every configured hub route table routes each client CIDR through its peering; the
        # main route table (not configured) is left alone.
        routes = self.hub.routes()
        for rtb in self.hub.route_tables:
            for who in CLIENTS:
                self.assertIn((ns[who]["VpcCidrBlock"], peer[who][1], "active"), routes[rtb],
                              f"{rtb} has no route to {who}'s CIDR")
            self.assertEqual(len(routes[rtb]), 1 + len(CLIENTS), routes[rtb])
        self.assertEqual(routes[self.hub.main_route_table], routes0[self.hub.main_route_table])

        # GET and list: a caller sees its own; the admin sees all.
        for who in CLIENTS:
            r = api.get(who, ns[who]["NamespaceId"])
            self.assertStatus(r, 200)
            self.assertEqual(r.json, ns[who])
            r = api.list(who)
            self.assertStatus(r, 200)
            schema_check.namespace_list(self, r.json)
            self.assertEqual([x["NamespaceId"] for x in r.json["Namespaces"]],
                             [ns[who]["NamespaceId"]])
        everything = api.list_all("hub")
        self.assertEqual(sorted(x["NamespaceId"] for x in everything), [1, 2, 3])
        r = api.list("hub", f"account={clients['client-c'].account}")
        self.assertStatus(r, 200)
        self.assertEqual([x["NamespaceId"] for x in r.json["Namespaces"]], [2])
        r = api.list("hub", "state=pending")
        self.assertStatus(r, 200)
        self.assertEqual(r.json["Namespaces"], [])
        r = api.list("hub", "limit=2")
        self.assertStatus(r, 200)
        self.assertEqual(len(r.json["Namespaces"]), 2)
        self.assertIsNotNone(r.json["NextCursor"])

        # Release client-c (n = 2): its routes and its trust entry go, the others stay.
        r = api.release("client-c", 2)
        released_at = time.monotonic()
        self.assertStatus(r, 200, msg="release n=2")
        schema_check.namespace(self, r.json)
        self.assertEqual(r.json["State"], "released")
        self.assertIsNotNone(r.json["ReleasedAt"])
        routes = self.hub.routes()
        for rtb in self.hub.route_tables:
            self.assertNotIn(ns["client-c"]["VpcCidrBlock"], [x[0] for x in routes[rtb]])
            for who in ("client-b", "client-d"):
                self.assertIn((ns[who]["VpcCidrBlock"], peer[who][1], "active"), routes[rtb])
        self.assertEqual(sorted(self.accounts_in_trust()),
                         sorted(clients[w].account for w in ("client-b", "client-d")))
        self.assertEqual(refused(lambda: clients["client-c"].assume_peer_role(
            ns["client-c"]["PeerRoleArn"])), "AccessDenied", "client-c still trusted")
        r = api.get("client-c", 2)
        self.assertStatus(r, 200)
        self.assertEqual(r.json["State"], "released")

        # n = 2 is in quarantine: the next registration gets 4 ...
        r = api.register("client-d", "second-stack")
        self.assertStatus(r, 201)
        self.assertEqual(r.json["NamespaceId"], 4, "a quarantined n was handed out again")
        self.assertLess(time.monotonic() - released_at, quarantine,
                        "the machine was too slow for this check")
        # ... and once the quarantine is over, the lowest free n (2) again.
        time.sleep(max(0.0, quarantine + 1.2 - (time.monotonic() - released_at)))
        r = api.register("client-d", "third-stack")
        self.assertStatus(r, 201)
        self.assertNamespace(r.json, 2, clients["client-d"].account, "pending")

        # client-d holds 3, 4 and 2: one trust entry; it stays until the last is released.
        self.assertEqual(self.accounts_in_trust().count(clients["client-d"].account), 1)
        for n, who in ((1, "client-b"), (3, "client-d"), (4, "client-d")):
            self.assertStatus(api.release(who, n), 200, msg=f"release {n}")
        self.assertEqual(self.accounts_in_trust(), [clients["client-d"].account])
        self.assertStatus(api.release("client-d", 2), 200)

        # Everything is back: trust policies, hub routes, no live namespace.
        self.assertEqual(self.hub.trusts(), trust0)
        self.assertEqual(self.hub.trusts()[self.hub.roles[0]], HUB_TRUST)
        self.assertEqual(self.hub.routes(), routes0)
        states = {x["NamespaceId"]: x["State"] for x in api.list_all("hub")}
        self.assertEqual(set(states.values()), {"released"}, states)
        for who in CLIENTS:
            self.assertEqual(refused(lambda: clients[who].assume_peer_role(self.hub.role_arn(0))),
                             "AccessDenied")

    def test_idempotent_replays(self):
        b = self.start_broker(["--quarantine", "0"])
        api = b.api
        c = self.client("client-b")

        r1 = api.register("client-b", "stack-1|Registration", labels={"a": "1"})
        self.assertStatus(r1, 201)
        trust1 = self.hub.trusts()
        calls = self.env.calls()
        r2 = api.register("client-b", "stack-1|Registration", labels={"a": "1"})
        self.assertStatus(r2, 200, msg="replay of register")
        self.assertEqual(r2.json, r1.json, "a replay answers the same")
        self.assertEqual(self.hub.trusts(), trust1)
        iam = self.env.calls()["calls"].get("iam", {})
        before = calls["calls"].get("iam", {})
        self.assertEqual(iam.get("UpdateAssumeRolePolicy", {}).get("total", 0),
                         before.get("UpdateAssumeRolePolicy", {}).get("total", 0),
                         "a replay must not touch the trust policy")
        self.assertEqual(len(api.list_all("hub")), 1)

        # The same client_ref from another account is another registration.
        r = api.register("client-c", "stack-1|Registration")
        self.assertStatus(r, 201)
        self.assertEqual(r.json["NamespaceId"], 2)

        n = r1.json["NamespaceId"]
        vpc, pcx = c.peer(r1.json)
        rc1 = api.confirm("client-b", n, pcx, vpc)
        self.assertStatus(rc1, 200)
        routes1 = self.hub.routes()
        rc2 = api.confirm("client-b", n, pcx, vpc)
        self.assertStatus(rc2, 200, msg="replay of confirm")
        self.assertEqual(rc2.json["State"], "active")
        self.assertEqual(rc2.json["VpcPeeringConnectionId"], pcx)
        self.assertEqual(rc2.json["CreatedAt"], rc1.json["CreatedAt"])
        self.assertEqual(self.hub.routes(), routes1, "a replayed confirm changed the routes")

        # A hub route that already exists with the same target is success (RouteAlreadyExists).
        g1 = api.get("client-b", n)
        g2 = api.get("client-b", n)
        self.assertStatus(g1, 200)
        self.assertEqual(g1.json, g2.json)

        rr1 = api.release("client-b", n)
        self.assertStatus(rr1, 200)
        self.assertEqual(rr1.json["State"], "released")
        trust2, routes2 = self.hub.trusts(), self.hub.routes()
        rr2 = api.release("client-b", n)
        self.assertStatus(rr2, 200, msg="replay of release")
        self.assertEqual(rr2.json["State"], "released")
        self.assertEqual(rr2.json["ReleasedAt"], rr1.json["ReleasedAt"])
        self.assertEqual((self.hub.trusts(), self.hub.routes()), (trust2, routes2))

        # Confirming a released namespace is a conflict (wrong state); nothing changes.
        r = api.confirm("client-b", n, pcx, vpc)
        self.assertStatus(r, 409, "conflict")
        self.assertEqual((self.hub.trusts(), self.hub.routes()), (trust2, routes2))

        # Release of a namespace never confirmed, twice.
        self.assertStatus(api.release("client-c", 2), 200)
        r = api.release("client-c", 2)
        self.assertStatus(r, 200)
        self.assertEqual(r.json["State"], "released")
        self.assertEqual(self.hub.trusts()[self.hub.roles[0]], HUB_TRUST)

    def test_proofs_are_cached_by_signature(self):
        b = self.start_broker()
        proof = b.api.proof("client-b")
        self.env.request("DELETE", "/_awsenv/calls")
        for _ in range(3):
            self.assertStatus(b.api.list("client-b", auth=proof), 200)
        sts = self.env.calls()["calls"].get("sts", {}).get("GetCallerIdentity", {})
        self.assertEqual(sts.get("total", 0), 1, f"3 calls with one proof: {sts}")

    def test_cached_proof_expires(self):
        b = self.start_broker(["--proof-max-age", "2"])
        proof = b.api.proof("client-b")
        signed = time.monotonic()
        self.assertStatus(b.api.list("client-b", auth=proof), 200)
        self.assertStatus(b.api.list("client-b", auth=proof), 200)
        time.sleep(max(0.0, 3.5 - (time.monotonic() - signed)))
        r = b.api.list("client-b", auth=proof)
        self.assertStatus(r, 401, "unauthenticated", "a cached proof past --proof-max-age:")

    def test_pending_ttl(self):
        import datetime as dt
        b = self.start_broker(["--pending-ttl", "120"])
        r = b.api.register("client-b", "ttl")
        self.assertStatus(r, 201)
        t = lambda s: dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
        self.assertEqual((t(r.json["ExpiresAt"]) - t(r.json["CreatedAt"])).total_seconds(), 120)
        b2 = self.start_broker(["--pending-ttl", "0"], name="nottl", db=b.db)
        r = b2.api.register("client-b", "ttl-2")
        self.assertStatus(r, 201)
        self.assertIsNone(r.json["ExpiresAt"])

    def test_admin_role_session(self):
        """An admin named by its role ARN acts through an assumed-role session."""
        iam = self.env.client("iam", "hub")
        iam.create_role(RoleName="ops", AssumeRolePolicyDocument=json.dumps(HUB_TRUST))
        b = self.start_broker(admins=(f"arn:aws:iam::{HUB_ACCOUNT}:role/ops",))
        creds = self.env.client("sts", "hub").assume_role(
            RoleArn=f"arn:aws:iam::{HUB_ACCOUNT}:role/ops", RoleSessionName="alice")["Credentials"]
        b.api.extra_creds["ops"] = (creds["AccessKeyId"], creds["SecretAccessKey"],
                                    creds["SessionToken"])
        b.secrets += [creds["SecretAccessKey"], creds["SessionToken"]]
        self.assertStatus(b.api.register("client-b", "x"), 201)
        self.assertStatus(b.api.register("client-c", "x"), 201)
        r = b.api.list("ops")
        self.assertStatus(r, 200)
        self.assertEqual(sorted(x["NamespaceId"] for x in r.json["Namespaces"]), [1, 2])
        self.assertStatus(b.api.get("ops", 2), 200)
        # the hub user is no admin of this broker (and its account is not allowed)
        self.assertStatus(b.api.get("hub", 2), 403, "forbidden")
        # a non-admin naming another account is refused (docs/broker.md)
        self.assertStatus(b.api.list("client-b", "account=333333333333"), 403, "forbidden")

    def test_assumed_role_caller(self):
        """A caller with temporary credentials (a session token, as a Lambda has)."""
        b = self.start_broker()
        iam = self.env.client("iam", "client-b")
        acct = self.env.accounts["client-b"]["id"]
        iam.create_role(RoleName="handler", AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{acct}:root"},
                "Action": "sts:AssumeRole"}]}))
        creds = self.env.client("sts", "client-b").assume_role(
            RoleArn=f"arn:aws:iam::{acct}:role/handler", RoleSessionName="lambda")["Credentials"]
        b.api.extra_creds["lambda"] = (creds["AccessKeyId"], creds["SecretAccessKey"],
                                       creds["SessionToken"])
        b.secrets += [creds["SecretAccessKey"], creds["SessionToken"]]
        proof = b.api.proof("lambda", raw=True)
        self.assertIn("X-Amz-Security-Token", proof["headers"])
        r = b.api.register("lambda", "stack-7|Registration")
        self.assertStatus(r, 201)
        self.assertEqual(r.json["AccountId"], acct)
        # The same account with its long-term keys sees it and replays it.
        r2 = b.api.register("client-b", "stack-7|Registration")
        self.assertStatus(r2, 200)
        self.assertEqual(r2.json["NamespaceId"], r.json["NamespaceId"])
        self.assertStatus(b.api.release("lambda", r.json["NamespaceId"]), 200)

        # The proof without its token: STS refuses it.
        def drop_token(doc):
            doc["headers"].pop("X-Amz-Security-Token")
        r = b.api.register("lambda", "x", auth=b.api.proof("lambda", edit=drop_token))
        self.assertStatus(r, 401, "unauthenticated")

    def test_grant_settle_covers_iam_propagation(self):
        """awsenv delays trust-policy changes by 2 s for AssumeRole; with --grant-settle the
        broker answers only once the grant is visible, so the client's assume works at once."""
        self.env.post("/_awsenv/config", {"iam_propagation_delay": 2})
        b = self.start_broker(["--grant-settle", "2500"])
        c = self.client("client-b")
        t0 = time.monotonic()
        r = b.api.register("client-b", "settled")
        took = time.monotonic() - t0
        self.assertStatus(r, 201)
        self.assertGreaterEqual(took, 2.0, "the answer came before the settle time")
        self.assertIsNone(refused(lambda: c.assume_peer_role(r.json["PeerRoleArn"])),
                          "the grant was not visible when the broker answered")
        # A replay does not wait again.
        t0 = time.monotonic()
        self.assertStatus(b.api.register("client-b", "settled"), 200)
        self.assertLess(time.monotonic() - t0, 1.5)

        # Control: without the settle time the grant is not yet visible (awsenv really delays).
        b2 = self.start_broker(["--grant-settle", "0"], name="nosettle", db=b.db)
        r = b2.api.register("client-c", "unsettled")
        self.assertStatus(r, 201)
        self.assertEqual(refused(lambda: self.client("client-c").assume_peer_role(
            r.json["PeerRoleArn"])), "AccessDenied")

    def test_health_readiness_metrics(self):
        b = self.start_broker()
        r = b.api.request("GET", "/healthz")
        self.assertStatus(r, 200)
        self.assertEqual(r.json, {"status": "ok"})
        schema_check.check(self, "Health", r.json)
        r = b.api.request("GET", "/readyz")
        self.assertStatus(r, 200)
        schema_check.check(self, "Ready", r.json)

        self.assertStatus(b.api.register("client-b", "m1"), 201)
        self.assertStatus(b.api.register("client-c", "m2"), 201)
        self.assertStatus(b.api.release("client-c", 2), 200)
        self.assertEqual(b.api.request("GET", "/v1/namespaces").status, 401)
        # /metrics: not on the API's port (issue 14), on --metrics-listen
        self.assertStatus(b.api.request("GET", "/metrics"), 404, "not_found")
        if BROKER_MODE == "lambda":
            self.skipTest("serve only from here: the metrics listener (a function has none)")
        self.assertTrue(b.metrics_url, "the ready line names no metrics_url")
        r = Api(b.metrics_url, b.env).request("GET", "/metrics")
        self.assertStatus(r, 200)
        self.assertTrue(r.headers.get("content-type", "").startswith("text/plain"),
                        r.headers.get("content-type"))
        text = r.body.decode()
        samples = schema_check.parse_prometheus(text)
        reqs = [s for s in samples if "request" in s[0] and not s[0].endswith(("_bucket", "_sum"))
                and "status" in s[1]]
        self.assertTrue(reqs, f"no request counter with a status label:\n{text[:3000]}")
        statuses = {s[1]["status"] for s in reqs}
        self.assertTrue({"201", "200", "401"} <= statuses, statuses)
        self.assertTrue(any(s[0].endswith("_bucket") for s in samples), "no latency histogram")
        gauges = {s[1]["state"]: s[2] for s in samples if "namespace" in s[0] and "state" in s[1]}
        self.assertEqual(gauges.get("pending"), 1.0, f"namespaces by state: {gauges}\n{text[:3000]}")
        if "released" in gauges:
            self.assertEqual(gauges["released"], 1.0, gauges)
        self.assertTrue(any("aws" in s[0] and "action" in s[1] for s in samples),
                        "no AWS calls by action")


class Cli(E2ECase):
    """The client side in C: vpcpeer register/show/confirm/list/release build the proof from
    the credential chain (here: the environment) and print JSON."""

    def run_cli(self, who, *args, expect=0):
        akid, secret = self.env.credentials(who)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "VPCPEER_"))}
        env.update({"AWS_ENDPOINT_URL": self.env.url, "AWS_REGION": "us-east-1",
                    "AWS_ACCESS_KEY_ID": akid, "AWS_SECRET_ACCESS_KEY": secret,
                    "AWS_EC2_METADATA_DISABLED": "true",
                    "AWS_CONFIG_FILE": os.path.join(self.workdir, "none"),
                    "AWS_SHARED_CREDENTIALS_FILE": os.path.join(self.workdir, "none")})
        p = subprocess.run([self.bin] + list(args), env=env, capture_output=True, text=True,
                           timeout=120)
        from broker_harness import SANITIZER_RE
        self.assertFalse(SANITIZER_RE.search(p.stderr), p.stderr)
        if expect == 0:
            self.assertEqual(p.returncode, 0, f"{args}: {p.stderr}")
            return json.loads(p.stdout)
        self.assertNotEqual(p.returncode, 0, f"{args} should fail: {p.stdout}")
        self.assertTrue(p.stderr.strip(), "an error goes to stderr")
        self.assertEqual(p.stdout.strip(), "")
        return p.stderr

    def test_cli_life_cycle(self):
        b = self.start_broker()
        url = b.url
        sid = ["--server-id", SERVER_ID]
        c = self.client("client-b")
        ns = self.run_cli("client-b", "register", "--broker", url, "--client-ref", "cli-1", *sid)
        self.assertNamespace(ns, 1, c.account, "pending", client_ref="cli-1")
        again = self.run_cli("client-b", "register", "--broker", url, "--client-ref", "cli-1",
                             *sid)
        self.assertEqual(again, ns)
        shown = self.run_cli("client-b", "show", "--broker", url, "1", *sid)
        self.assertEqual(shown, ns)
        vpc, pcx = c.peer(ns)
        active = self.run_cli("client-b", "confirm", "--broker", url, "1", "--peering-id", pcx,
                              "--vpc-id", vpc, *sid)
        self.assertEqual(active["State"], "active")
        listed = self.run_cli("client-b", "list", "--broker", url, *sid)
        items = listed["Namespaces"] if isinstance(listed, dict) else listed
        self.assertEqual([x["NamespaceId"] for x in items], [1])
        # Errors: non-zero status, a message on stderr.
        self.run_cli("client-c", "show", "--broker", url, "1", *sid, expect=1)   # 403
        self.run_cli("client-b", "show", "--broker", url, "77", *sid, expect=1)  # 404
        self.run_cli("outsider", "register", "--broker", url, "--client-ref", "x", *sid,
                     expect=1)                                                   # 403
        gone = self.run_cli("client-b", "release", "--broker", url, "1", *sid)
        self.assertEqual(gone["State"], "released")
        self.assertEqual(self.hub.trusts()[self.hub.roles[0]], HUB_TRUST)

    @serve_only("the default server id is the bound host:port; a function's is the API's "
                "domain name with port 443, which every test in the function mode uses")
    def test_cli_default_server_id(self):
        """Without --server-id both sides use the broker URL's host:port."""
        b = self.start_broker(server_id=None)
        ns = self.run_cli("client-b", "register", "--broker", b.url, "--client-ref", "d-1")
        self.assertEqual(ns["NamespaceId"], 1)
        # A proof for another server id is refused by this broker.
        r = b.api.register("client-b", "d-2", auth=b.api.proof("client-b",
                                                               server_id="other:1234"))
        self.assertStatus(r, 401, "unauthenticated")


if __name__ == "__main__":
    unittest.main()
