"""Harness of the reconciler tests: awsenv, a hub, `vpcpeer serve` as a child (SQLite registry),
identity proofs made with botocore, the client's side of a peering, `vpcpeer reconcile --once`,
and the invariants checked after a crash or faults (docs/reconciler.md).

The binary is $VPCPEER_BIN (ctest passes the normal or the ASan build), else build/vpcpeer.
Nothing sleeps to wait for a process: the broker is ready when its "serving on URL" line appears.
"""

import base64
import http.client
import ipaddress
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import unittest
from urllib.parse import unquote, urlsplit

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "awsenv"))

from harness import AwsEnvProcess  # noqa: E402

HUB = "111111111111"
REGION = "us-east-1"
SERVER_ID = "vpcpeer-reconcile.test:443"
SID = "VpcpeerClientAccounts"
ADMIN_ARN = f"arn:aws:iam::{HUB}:user/hub"
HUB_TRUST = {"Version": "2012-10-17",
             "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{HUB}:root"},
                            "Action": "sts:AssumeRole"}]}
ACCEPT_POLICY = {"Version": "2012-10-17",
                 "Statement": [{"Effect": "Allow", "Action": "ec2:AcceptVpcPeeringConnection",
                                "Resource": "*"}]}
READY_RE = re.compile(r"serving on (http://127\.0\.0\.1:\d+)")
SANITIZER_RE = re.compile(r"ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|"
                          r"SUMMARY: \w+Sanitizer")


def vpcpeer_bin():
    b = os.environ.get("VPCPEER_BIN") or os.path.join(ROOT, "build", "vpcpeer")
    if not os.access(b, os.X_OK):
        raise unittest.SkipTest(f"no vpcpeer binary at {b} (set VPCPEER_BIN)")
    return b


def mode_flags(mode):
    """The flags of a peering-accepter mode ("peer-role" or "broker", issue 13)."""
    return ["--peering-accepter", mode]


def block(n):
    """Namespace n's VPC block in the default plan."""
    base = ipaddress.ip_address("10.0.0.0") + n * 1024
    return f"{base}/22"


def namespace_of(cidr):
    net = ipaddress.ip_network(cidr, strict=False)
    if net.prefixlen != 22 or not net.subnet_of(ipaddress.ip_network("10.0.0.0/8")):
        return None
    n = (int(net.network_address) - int(ipaddress.ip_address("10.0.0.0"))) // 1024
    return n if n >= 1 else None


def write_accounts(path, extra=0):
    with open(os.path.join(ROOT, "tests", "awsenv", "accounts.json")) as f:
        doc = json.load(f)
    for i in range(1, extra + 1):
        doc["accounts"].append({"id": f"5{i:011d}", "name": f"gen-{i}",
                                "access_key_id": f"AKIAGEN{i:013d}",
                                "secret_access_key": f"genSecret{i:031d}"})
    with open(path, "w") as f:
        json.dump(doc, f)
    return path


def make_proof(sts_url, creds, request):
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    body = "Action=GetCallerIdentity&Version=2011-06-15"
    headers = {"Host": urlsplit(sts_url).netloc,
               "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
               "X-Vpcpeer-Server-Id": SERVER_ID,
               "X-Vpcpeer-Request": request}
    req = AWSRequest(method="POST", url=sts_url, data=body.encode(), headers=headers)
    SigV4Auth(Credentials(*creds), "sts", REGION).add_auth(req)
    doc = {"method": "POST", "url": sts_url, "headers": dict(req.headers.items()), "body": body}
    return "Vpcpeer-Proof " + base64.b64encode(json.dumps(doc).encode()).decode()


class Reply:
    def __init__(self, status, body):
        self.status = status
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None
        self.body = body

    @property
    def error(self):
        if isinstance(self.json, dict) and isinstance(self.json.get("error"), dict):
            return self.json["error"].get("code"), self.json["error"].get("message")
        return None, None

    def __repr__(self):
        return f"<{self.status} {self.body[:300]!r}>"


class Api:
    def __init__(self, url, env):
        u = urlsplit(url)
        self.host, self.port, self.env = u.hostname, u.port, env

    def call(self, method, path, who, body=None, timeout=180):
        hdrs = {"Authorization": make_proof(self.env.url + "/", self.env.credentials(who),
                                            f"{method} {path.split('?', 1)[0]}")}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        elif method == "POST":
            hdrs["Content-Length"] = "0"
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            conn.request(method, path, body=data, headers=hdrs)
            r = conn.getresponse()
            return Reply(r.status, r.read())
        finally:
            conn.close()

    def register(self, who, ref):
        return self.call("POST", "/v1/namespaces", who, {"client_ref": ref})

    def confirm(self, who, n, pcx, vpc):
        return self.call("POST", f"/v1/namespaces/{n}/confirm", who,
                         {"vpc_peering_connection_id": pcx, "vpc_id": vpc})

    def release(self, who, n):
        return self.call("DELETE", f"/v1/namespaces/{n}", who)


class Hub:
    """The hub of templates/hub.yaml in awsenv: a VPC, two route tables, peer roles."""

    def __init__(self, env, roles=1, tables=2):
        self.env = env
        self.ec2 = env.client("ec2", "hub", retries=5)
        self.iam = env.client("iam", "hub", retries=5)
        self.vpc = self.ec2.create_vpc(CidrBlock="10.0.0.0/22")["Vpc"]["VpcId"]
        self.tables = [self.ec2.create_route_table(VpcId=self.vpc)["RouteTable"]["RouteTableId"]
                       for _ in range(tables)]
        self.roles = []
        for i in range(1, roles + 1):
            name = f"vpcpeer-peer-{i}"
            self.iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(HUB_TRUST))
            self.iam.put_role_policy(RoleName=name, PolicyName="accept",
                                     PolicyDocument=json.dumps(ACCEPT_POLICY))
            self.roles.append(name)

    def trust(self, role):
        doc = self.iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
        return json.loads(unquote(doc)) if isinstance(doc, str) else doc

    def set_trust(self, role, doc):
        self.iam.update_assume_role_policy(RoleName=role, PolicyDocument=json.dumps(doc))

    def trusted(self):
        """{account: [roles]} of the broker's statements."""
        out = {}
        for role in self.roles:
            for st in _statements(self.trust(role)):
                if st.get("Sid") != SID:
                    continue
                aws = st.get("Principal", {}).get("AWS", [])
                for p in aws if isinstance(aws, list) else [aws]:
                    m = re.fullmatch(r"(?:arn:aws:iam::)?(\d{12})(?::root)?", p)
                    if m:
                        out.setdefault(m.group(1), []).append(role)
        return out

    def routes(self):
        """[(table, dest, target, state)] of the hub tables toward namespace blocks."""
        out = []
        for rt in self.ec2.describe_route_tables(RouteTableIds=self.tables)["RouteTables"]:
            for r in rt["Routes"]:
                d = r.get("DestinationCidrBlock")
                if d and namespace_of(d):
                    out.append((rt["RouteTableId"], d,
                                r.get("VpcPeeringConnectionId") or r.get("GatewayId") or "",
                                r.get("State", "")))
        return sorted(out)

    def peerings(self):
        """The hub VPC's peering connections (every status)."""
        return self.ec2.describe_vpc_peering_connections(Filters=[
            {"Name": "accepter-vpc-info.vpc-id", "Values": [self.vpc]}])["VpcPeeringConnections"]

    def snapshot(self):
        return {"routes": self.routes(),
                "trust": {r: json.dumps(self.trust(r), sort_keys=True) for r in self.roles}}


def _statements(doc):
    st = doc.get("Statement", [])
    return [st] if isinstance(st, dict) else st


class Broker:
    """`vpcpeer serve` (or one `vpcpeer reconcile --once`) against awsenv and the hub."""

    def __init__(self, env, hub, workdir, args=(), allow=("client-b", "client-c", "client-d"),
                 crash_at=None, name="broker", mode="peer-role"):
        self.env, self.hub, self.workdir, self.name = env, hub, workdir, name
        self.db_path = os.path.join(workdir, "registry.db")
        self.allow = [env.accounts[a]["id"] if a in env.accounts else a for a in allow]
        self.mode = mode
        self.args = mode_flags(mode) + list(args)
        self.crash_at = crash_at
        self.proc = None
        self.lines = []
        self.url = None

    def config(self):
        cmd = ["--db", f"sqlite:{self.db_path}", "--hub-account", HUB, "--hub-vpc", self.hub.vpc,
               "--hub-region", REGION, "--admin-arn", ADMIN_ARN, "--grant-settle", "0"]
        for r in self.hub.roles:
            cmd += ["--peer-role", r]
        for t in self.hub.tables:
            cmd += ["--hub-route-table", t]
        for a in self.allow:
            cmd += ["--allow-account", a]
        return cmd + self.args

    def environ(self, crash_at=None):
        e = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "VPCPEER_"))}
        akid, secret = self.env.credentials("hub")
        e.update({"AWS_ENDPOINT_URL": self.env.url, "AWS_REGION": REGION,
                  "AWS_ACCESS_KEY_ID": akid, "AWS_SECRET_ACCESS_KEY": secret,
                  "AWS_EC2_METADATA_DISABLED": "true",
                  "AWS_CONFIG_FILE": os.path.join(self.workdir, "none"),
                  "AWS_SHARED_CREDENTIALS_FILE": os.path.join(self.workdir, "none"),
                  "VPCPEER_METRICS_LISTEN": "127.0.0.1:0"})  # any free port (issue 14)
        e.setdefault("ASAN_OPTIONS", "detect_leaks=1")
        if crash_at:
            e["VPCPEER_CRASH_AT"] = crash_at
        return e

    def start(self, extra=(), timeout=90):
        cmd = [vpcpeer_bin(), "serve", "--listen", "127.0.0.1:0", "--server-id", SERVER_ID,
               "--reconcile-interval", "0"] + self.config() + list(extra)
        self.lines = []
        self.url = None
        ready = threading.Event()
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, env=self.environ(self.crash_at))

        def read():
            for raw in self.proc.stderr:
                line = raw.decode(errors="replace")
                self.lines.append(line)
                m = READY_RE.search(line)
                if m and not self.url:
                    self.url = m.group(1)
                    ready.set()
            ready.set()
        self.reader = threading.Thread(target=read, daemon=True)
        self.reader.start()
        if not ready.wait(timeout) or not self.url:
            self.kill()
            raise AssertionError(f"{self.name} did not start:\n{''.join(self.lines[-30:])}")
        self.api = Api(self.url, self.env)
        return self

    def wait_dead(self, timeout=60):
        """The process died (a crash point): its exit status (negative: the signal)."""
        rc = self.proc.wait(timeout)
        self.reader.join(10)
        return rc

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self, testcase=None):
        """SIGTERM: must exit 0 with no sanitizer report."""
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(60)
        self.reader.join(10)
        log = "".join(self.lines)
        if testcase is not None:
            testcase.assertEqual(rc, 0, f"{self.name} exit status after SIGTERM\n{log[-3000:]}")
            testcase.assertIsNone(SANITIZER_RE.search(log), log[-3000:])
        return rc

    def reconcile(self, *flags, check=True):
        """`vpcpeer reconcile --once` with the same configuration: (status, report or stdout)."""
        cmd = [vpcpeer_bin(), "reconcile", "--once", "--json"] + list(flags) + self.config()
        p = subprocess.run(cmd, capture_output=True, env=self.environ(), timeout=300)
        out = p.stdout.decode()
        err = p.stderr.decode()
        if SANITIZER_RE.search(err):
            raise AssertionError(f"sanitizer report in reconcile:\n{err[-3000:]}")
        if check and p.returncode != 0:
            raise AssertionError(f"reconcile exit {p.returncode}\n{out}\n{err}")
        try:
            return p.returncode, json.loads(out)
        except ValueError:
            return p.returncode, {"raw": out, "stderr": err}

    # ---- the registry, read directly (SQLite) ----
    def records(self, live_only=True):
        con = sqlite3.connect(self.db_path)
        try:
            q = ("SELECT n, account_id, client_ref, state, vpc_cidr, peering_id, vpc_id "
                 "FROM namespaces")
            if live_only:
                q += " WHERE state <> 'released'"
            return [dict(zip(("n", "account", "ref", "state", "cidr", "pcx", "vpc"), row))
                    for row in con.execute(q)]
        finally:
            con.close()


class Client:
    """A client account's side: its VPC, the peering to the hub, acceptance via the peer role
    (peer-role mode; in broker mode the broker accepts at confirm)."""

    def __init__(self, env, who, retries=1):
        self.env, self.who, self.retries = env, who, retries
        self.account = env.accounts[who]["id"]
        self.ec2 = env.client("ec2", who, retries=retries)
        self.sts = env.client("sts", who, retries=retries)

    def peer(self, ns):
        vpc = self.ec2.create_vpc(CidrBlock=ns["VpcCidrBlock"])["Vpc"]["VpcId"]
        pcx = self.ec2.create_vpc_peering_connection(
            VpcId=vpc, PeerVpcId=ns["PeerVpcId"], PeerOwnerId=ns["PeerOwnerId"],
            PeerRegion=ns["PeerRegion"])["VpcPeeringConnection"]["VpcPeeringConnectionId"]
        if not ns.get("PeerRoleArn"):
            return vpc, pcx     # broker mode: the request only
        c = self.sts.assume_role(RoleArn=ns["PeerRoleArn"],
                                 RoleSessionName=f"cfn-{self.account}")["Credentials"]
        hub_ec2 = self.env.client("ec2", creds=(c["AccessKeyId"], c["SecretAccessKey"],
                                                c["SessionToken"]), retries=self.retries)
        hub_ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
        return vpc, pcx


def check_invariants(tc, broker, acknowledged=()):
    """After a reconcile: the invariants of issue 7 (docs/reconciler.md)."""
    recs = broker.records()
    ns = [r["n"] for r in recs]
    tc.assertEqual(len(ns), len(set(ns)), f"a namespace held twice: {recs}")
    live_accounts = {r["account"] for r in recs if r["state"] in ("pending", "active", "failed")}
    trusted = broker.hub.trusted()
    if broker.mode == "broker":
        tc.assertEqual(trusted, {}, "broker mode grants no account")
        # every accepted peering into the hub is a live record's (its intent or its peering)
        owned = {r["pcx"] for r in recs if r["pcx"]}
        for p in broker.hub.peerings():
            if p["Status"]["Code"] in ("active", "provisioning"):
                tc.assertIn(p["VpcPeeringConnectionId"], owned,
                            f"accepted peering without a live namespace: {recs}")
    else:
        for acct in trusted:
            tc.assertIn(acct, live_accounts, f"trust entry of {acct} without a live namespace")
        for acct in live_accounts:
            tc.assertIn(acct, trusted, f"live account {acct} missing from the trust policies")
    active = {(r["cidr"], r["pcx"]) for r in recs if r["state"] == "active"}
    routes = broker.hub.routes()
    for table, dest, target, state in routes:
        tc.assertIn((dest, target), active,
                    f"hub route {dest} -> {target} ({state}) in {table} without an active "
                    f"namespace: {recs}")
        tc.assertNotEqual(state, "blackhole")
    for cidr, pcx in active:
        for t in broker.hub.tables:
            tc.assertIn((t, cidr, pcx, "active"), routes, f"active namespace {cidr} not routed")
    by_key = {(r["account"], r["ref"]): r for r in recs}
    for account, ref, n in acknowledged:
        tc.assertIn((account, ref), by_key, f"acknowledged registration {ref} lost")
        tc.assertEqual(by_key[(account, ref)]["n"], n)


class ReconcileCase(unittest.TestCase):
    """One awsenv per test class; a fresh hub (after a reset) and work directory per test."""
    awsenv_args = ()
    extra_accounts = 0

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="vpcpeer-reconcile-")
        accounts = write_accounts(os.path.join(cls.tmp.name, "accounts.json"), cls.extra_accounts)
        cls.env = AwsEnvProcess(accounts=accounts, extra_args=list(cls.awsenv_args)).start()

    @classmethod
    def tearDownClass(cls):
        cls.env.stop()
        cls.tmp.cleanup()

    def setUp(self):
        self.env.reset()
        self.workdir = tempfile.mkdtemp(dir=self.tmp.name)
        self.hub = Hub(self.env)
        self.brokers = []

    def tearDown(self):
        for b in self.brokers:
            b.kill()

    def broker(self, **kw):
        b = Broker(self.env, self.hub, self.workdir, **kw)
        self.brokers.append(b)
        return b

    def cycle_up(self, api, who, ref):
        """Register + peer + confirm: the namespace object."""
        r = api.register(who, ref)
        self.assertIn(r.status, (200, 201), r)
        vpc, pcx = Client(self.env, who).peer(r.json)
        c = api.confirm(who, r.json["NamespaceId"], pcx, vpc)
        self.assertEqual(c.status, 200, c)
        return c.json
