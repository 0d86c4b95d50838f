"""End-to-end harness for `vpcpeer serve`: the AWS test environment, the hub, the broker
process, identity proofs made in Python, and a small HTTP client for the REST API.

    from broker_harness import E2ECase
    class T(E2ECase):
        def test_x(self):
            b = self.start_broker(["--quarantine", "0"])
            r = b.api.register("client-b", "stack-1")     # 201, r.json is the namespace
            ...

The broker binary comes from $VPCPEER_BIN (ctest passes $<TARGET_FILE:vpcpeer>, so the same
tests run against the normal and the ASan build), else build/vpcpeer in the source tree.

Nothing sleeps to wait for a process: awsenv and the broker are ready when their ready line
appears (the broker's on stderr). Every broker is stopped with SIGTERM and must exit 0 with
no sanitizer report in its log; a test that leaves a dirty broker fails.

The identity proof is built exactly as docs/api.md says, with botocore's SigV4Auth (an
implementation independent of the C signer): an unsent POST sts:GetCallerIdentity to the
awsenv URL (the broker's AWS_ENDPOINT_URL), with X-Vpcpeer-Server-Id signed, packed as
"Vpcpeer-Proof <base64 of {method, url, headers, body}>".
"""

import base64
import datetime as dt
import http.client
import ipaddress
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse
from contextlib import contextmanager
from unittest import mock
from urllib.parse import urlsplit

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
AWSENV_DIR = os.path.join(ROOT, "tests", "awsenv")
sys.path.insert(0, AWSENV_DIR)

from harness import AwsEnvProcess  # noqa: E402  (tests/awsenv/harness.py)

HUB_ACCOUNT = "111111111111"
HUB_CIDR = "10.0.0.0/22"
REGION = "us-east-1"
SERVER_ID = "vpcpeer-e2e.test:443"
ADMIN_ARN = f"arn:aws:iam::{HUB_ACCOUNT}:user/hub"
PEER_ROLE_PREFIX = "vpcpeer-peer"
BROKER_SID = "VpcpeerClientAccounts"
GCI_BODY = "Action=GetCallerIdentity&Version=2011-06-15"
CLIENTS = ("client-b", "client-c", "client-d")
OUTSIDER = "outsider"             # a configured AWS account that the broker does not allow
OUTSIDER_ID = "999999999999"
PG_CLUSTER = os.path.join(ROOT, "tests", "support", "pg_cluster.sh")

# What the sanitizers print when they find something.
SANITIZER_RE = re.compile(r"ERROR: (AddressSanitizer|LeakSanitizer|ThreadSanitizer)|"
                          r"runtime error:|WARNING: ThreadSanitizer|SUMMARY: \w+Sanitizer")
# Never in a log: a SigV4 signature, a packed proof.
SECRET_RE = re.compile(r"Signature=[0-9a-f]{16}|Vpcpeer-Proof [A-Za-z0-9+/=]{24}")
# The broker's ready line ("... serving on http://127.0.0.1:PORT", text or JSON log).
READY_RE = re.compile(r"(?:serving|listening)\b.*?(https?://127\.0\.0\.1:(\d+))", re.I)
# The ready line's metrics_url field (--metrics-listen), JSON or text logs.
METRICS_RE = re.compile(r"metrics_url\W+(http://127\.0\.0\.1:\d+)")
# How brokers run (issue 18): "serve", or "lambda": `vpcpeer serve-lambda` behind a local API
# Gateway (fake_apigw.py), the same tests through the function. VPCPEER_E2E_MODE sets it.
BROKER_MODE = os.environ.get("VPCPEER_E2E_MODE", "serve")
# serve-lambda's ready line.
LAMBDA_READY_RE = re.compile(r"serve-lambda ready for events")

# The starting trust policy of each peer role, as templates/hub.yaml creates it.
HUB_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow",
                   "Principal": {"AWS": f"arn:aws:iam::{HUB_ACCOUNT}:root"},
                   "Action": "sts:AssumeRole"}],
}
def accept_policy(hub_vpc):
    """templates/hub.yaml's peer-role policy: AcceptVpcPeeringConnection is authorized against
    the peering and the accepter VPC (VPC Peering Guide, "Identity and access management for
    VPC peering"); awsenv judges both (tests/awsenv/iam_eval.py)."""
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "ec2:AcceptVpcPeeringConnection",
                       "Resource": [f"arn:aws:ec2:{REGION}:{HUB_ACCOUNT}:vpc-peering-connection/*",
                                    f"arn:aws:ec2:{REGION}:{HUB_ACCOUNT}:vpc/{hub_vpc}"]}],
    }


def vpcpeer_bin():
    b = os.path.abspath(os.environ.get("VPCPEER_BIN") or os.path.join(ROOT, "build", "vpcpeer"))
    if not os.access(b, os.X_OK):
        raise unittest.SkipTest(f"no vpcpeer binary at {b} (set VPCPEER_BIN)")
    return b


def plan_of(n, pool="10.0.0.0/8", vpc_prefix=22, subnet_prefix=24, subnets=4):
    """The default address plan (docs/design.md, "The address plan"): n -> VPC CIDR and subnet CIDRs."""
    base = ipaddress.ip_network(pool).network_address + n * (1 << (32 - vpc_prefix))
    vpc = ipaddress.ip_network(f"{base}/{vpc_prefix}")
    subs = [str(ipaddress.ip_network(f"{base + s * (1 << (32 - subnet_prefix))}/{subnet_prefix}"))
            for s in range(subnets)]
    return str(vpc), subs


# --------------------------------------------------------------------------------------------
# accounts
# --------------------------------------------------------------------------------------------

def generated_account(i):
    """Client account number i (1-based) of the generated ones: 5000000000ii."""
    return {"id": f"5{i:011d}", "name": f"gen-{i:03d}",
            "access_key_id": f"AKIAGEN{i:013d}",
            "secret_access_key": f"genSecret{i:031d}"}


def write_accounts_file(path, generated=0):
    """tests/awsenv/accounts.json plus the outsider and `generated` extra client accounts."""
    with open(os.path.join(AWSENV_DIR, "accounts.json")) as f:
        doc = json.load(f)
    doc["accounts"].append({"id": OUTSIDER_ID, "name": OUTSIDER,
                            "access_key_id": "AKIAOUTSIDER99999999",
                            "secret_access_key": "outsiderSecret99999999999999999999999999"})
    for i in range(1, generated + 1):
        doc["accounts"].append(generated_account(i))
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)
    return path


# --------------------------------------------------------------------------------------------
# identity proofs
# --------------------------------------------------------------------------------------------

def make_proof(sts_url, creds, server_id=SERVER_ID, when=None, sign_server_id=True,
               method="POST", body=GCI_BODY, region=REGION, service="sts",
               content_type="application/x-www-form-urlencoded; charset=utf-8",
               edit=None, raw=False, request=None):
    """The Authorization value of an identity proof (docs/api.md).

    creds: (akid, secret[, token]). when: sign at this UTC datetime. sign_server_id False:
    the server-id header is added after signing (present but unsigned); server_id None: no
    server-id header at all. edit(doc): change the JSON object before packing. raw: return
    the JSON object instead of the header value. request: "METHOD /path", signed as
    X-Vpcpeer-Request (the request the proof is for, issue 14); None: an unbound proof."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    akid, secret = creds[0], creds[1]
    token = creds[2] if len(creds) > 2 else None
    headers = {"Host": urlsplit(sts_url).netloc, "Content-Type": content_type}
    if server_id is not None and sign_server_id:
        headers["X-Vpcpeer-Server-Id"] = server_id
    if request is not None:
        headers["X-Vpcpeer-Request"] = request
    req = AWSRequest(method=method, url=sts_url, data=body.encode(), headers=headers)
    signer = SigV4Auth(Credentials(akid, secret, token), service, region)
    if when is None:
        signer.add_auth(req)
    else:
        with _clock_lock, mock.patch("botocore.auth.get_current_datetime", return_value=when):
            signer.add_auth(req)
    hdrs = {k: v for k, v in req.headers.items()}
    if server_id is not None and not sign_server_id:
        hdrs["X-Vpcpeer-Server-Id"] = server_id
    doc = {"method": method, "url": sts_url, "headers": hdrs, "body": body}
    if edit is not None:
        doc = edit(doc) or doc
    if raw:
        return doc
    return "Vpcpeer-Proof " + base64.b64encode(json.dumps(doc).encode()).decode()


_clock_lock = threading.Lock()


class Proof(str):
    """Api.proof(who) without a request: the value is an unbound proof, and Api.request
    signs it again, bound to the request it goes with (once per request line, so a proof
    used twice for the same call is the same proof)."""

    def __new__(cls, value, api, who, kw):
        self = super().__new__(cls, value)
        self.api, self.who, self.kw, self.bound = api, who, kw, {}
        return self

    def for_request(self, method, path):
        line = f"{method} {path.split('?', 1)[0]}"
        if line not in self.bound:
            self.bound[line] = self.api.proof(self.who, request=line, **self.kw)
        return self.bound[line]


def utcnow():
    return dt.datetime.now(dt.timezone.utc)


# --------------------------------------------------------------------------------------------
# HTTP client for the broker
# --------------------------------------------------------------------------------------------

class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers          # lower-case names
        self.body = body
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None

    @property
    def error(self):
        """(code, message) of an error body, or (None, None)."""
        if isinstance(self.json, dict) and isinstance(self.json.get("error"), dict):
            e = self.json["error"]
            return e.get("code"), e.get("message")
        return None, None

    def __repr__(self):
        b = self.body[:600].decode(errors="replace")
        return f"<{self.status} {b}>"


class Api:
    """Calls the broker's REST API with proofs for the awsenv accounts (by name or id)."""

    def __init__(self, url, env, server_id=SERVER_ID, ca_file=None):
        self.url = url
        u = urlsplit(url)
        self.host, self.port = u.hostname, u.port
        self.https = u.scheme == "https"
        self.ca_file = ca_file
        self.env = env
        self.server_id = server_id
        self.extra_creds = {}   # name -> (akid, secret, token) e.g. assumed-role sessions

    def creds(self, who):
        if who in self.extra_creds:
            return self.extra_creds[who]
        return self.env.credentials(who)

    def proof(self, who, request=None, **kw):
        """A proof for `who`, bound to request ("METHOD /path"); without one, a Proof that
        Api.request binds to the call it is sent with."""
        kw.setdefault("server_id", self.server_id)
        if request is None and not kw.get("raw"):
            return Proof(make_proof(self.env.url + "/", self.creds(who), **kw), self, who, kw)
        return make_proof(self.env.url + "/", self.creds(who), request=request, **kw)

    def request(self, method, path, body=None, who=None, auth=None, headers=None,
                timeout=120):
        """body: dict/list (JSON-encoded), str/bytes (sent as is) or None. who: sign a proof
        for this account; auth: an explicit Authorization value (overrides who)."""
        hdrs = {}
        if isinstance(body, (dict, list)):
            data = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        elif isinstance(body, str):
            data = body.encode()
            hdrs["Content-Type"] = "application/json"
        else:
            data = body
            if data is not None:
                hdrs["Content-Type"] = "application/json"
        if auth is None and who is not None:
            auth = self.proof(who, request=f"{method} {path.split('?', 1)[0]}")
        if isinstance(auth, Proof):
            auth = auth.for_request(method, path)
        if auth is not None:
            hdrs["Authorization"] = auth
        hdrs.update(headers or {})
        conn = self.connection(timeout)
        try:
            conn.putrequest(method, path, skip_accept_encoding=True)
            if data is not None:
                hdrs.setdefault("Content-Length", str(len(data)))
            elif method in ("POST", "PUT", "PATCH"):
                hdrs.setdefault("Content-Length", "0")
            for k, v in hdrs.items():
                conn.putheader(k, v)
            try:
                conn.endheaders(data)
            except (BrokenPipeError, ConnectionResetError):
                pass    # the server answered (e.g. 413) and closed before reading it all
            r = conn.getresponse()
            out = r.read()
            return Response(r.status, {k.lower(): v for k, v in r.getheaders()}, out)
        finally:
            conn.close()

    def connection(self, timeout=120):
        if self.https:
            import ssl
            ctx = ssl.create_default_context(cafile=self.ca_file)
            return http.client.HTTPSConnection(self.host, self.port, timeout=timeout, context=ctx)
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    # the routes of docs/api.md
    def register(self, who, client_ref, labels=None, **kw):
        body = {"client_ref": client_ref}
        if labels is not None:
            body["labels"] = labels
        return self.request("POST", "/v1/namespaces", body, who=who, **kw)

    def get(self, who, n, **kw):
        return self.request("GET", f"/v1/namespaces/{n}", who=who, **kw)

    def confirm(self, who, n, pcx, vpc, client_ref=None, **kw):
        body = {"vpc_peering_connection_id": pcx, "vpc_id": vpc}
        if client_ref is not None:
            body["client_ref"] = client_ref
        return self.request("POST", f"/v1/namespaces/{n}/confirm", body, who=who, **kw)

    def release(self, who, n, client_ref=None, **kw):
        query = "" if client_ref is None else "?client_ref=" + urllib.parse.quote(client_ref,
                                                                                 safe="")
        return self.request("DELETE", f"/v1/namespaces/{n}{query}", who=who, **kw)

    def list(self, who, query="", **kw):
        return self.request("GET", "/v1/namespaces" + (("?" + query) if query else ""),
                            who=who, **kw)

    def list_all(self, who="hub", query=""):
        """Every page of GET /v1/namespaces (as an admin by default)."""
        out, cursor, pages = [], None, 0
        while True:
            q = query
            if cursor is not None:
                q = (q + "&" if q else "") + f"cursor={cursor}"
            r = self.list(who, q)
            if r.status != 200:
                raise AssertionError(f"GET /v1/namespaces?{q}: {r}")
            out.extend(r.json["Namespaces"])
            cursor = r.json.get("NextCursor")
            pages += 1
            if cursor is None or pages > 1000:
                return out


# --------------------------------------------------------------------------------------------
# the hub (templates/hub.yaml, in the hub account of awsenv)
# --------------------------------------------------------------------------------------------

class Hub:
    def __init__(self, env, roles=2, route_tables=2, role_prefix=PEER_ROLE_PREFIX, cidr=HUB_CIDR):
        self.env = env
        self.cidr = cidr
        self.ec2 = env.client("ec2", "hub")
        self.iam = env.client("iam", "hub")
        self.vpc = self.ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
        self.route_tables = [self.ec2.create_route_table(VpcId=self.vpc)["RouteTable"]["RouteTableId"]
                             for _ in range(route_tables)]
        self.main_route_table = self.ec2.describe_route_tables(Filters=[
            {"Name": "vpc-id", "Values": [self.vpc]},
            {"Name": "association.main", "Values": ["true"]}])["RouteTables"][0]["RouteTableId"]
        self.roles = []
        for i in range(1, roles + 1):
            name = f"{role_prefix}-{i}"
            self.iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(HUB_TRUST))
            self.iam.put_role_policy(RoleName=name, PolicyName="accept-peering-into-hub-vpc",
                                     PolicyDocument=json.dumps(accept_policy(self.vpc)))
            self.roles.append(name)

    def role_arn(self, i=0):
        return f"arn:aws:iam::{HUB_ACCOUNT}:role/{self.roles[i]}"

    @property
    def all_route_tables(self):
        return self.route_tables + [self.main_route_table]

    # ---- observations ----
    def trust(self, role):
        doc = self.iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
        if isinstance(doc, str):
            from urllib.parse import unquote
            doc = json.loads(unquote(doc))
        return doc

    def trusts(self):
        return {r: self.trust(r) for r in self.roles}

    def routes(self, tables=None):
        """{rtb: sorted [(dest, pcx or gateway, state)]} of the hub's route tables."""
        tables = tables or self.all_route_tables
        out = {}
        for rt in self.ec2.describe_route_tables(RouteTableIds=list(tables))["RouteTables"]:
            out[rt["RouteTableId"]] = sorted(
                (r.get("DestinationCidrBlock", ""),
                 r.get("VpcPeeringConnectionId") or r.get("GatewayId") or "",
                 r.get("State", "")) for r in rt["Routes"])
        return out


def principals(doc, sid=None):
    """Principal.AWS entries of the statements (only Sid `sid` when given), as a list."""
    out = []
    sts = doc.get("Statement", [])
    if isinstance(sts, dict):
        sts = [sts]
    for st in sts:
        if sid is not None and st.get("Sid") != sid:
            continue
        p = st.get("Principal")
        if isinstance(p, dict):
            a = p.get("AWS")
            out.extend(a if isinstance(a, list) else [a] if a is not None else [])
    return out


def account_of_principal(p):
    m = re.fullmatch(r"(\d{12})|arn:aws:iam::(\d{12}):root", p)
    return (m.group(1) or m.group(2)) if m else None


def trusted_accounts(doc):
    """Client accounts in the broker's statement, with repeats (list)."""
    return [account_of_principal(p) for p in principals(doc, BROKER_SID)]


# --------------------------------------------------------------------------------------------
# the broker process
# --------------------------------------------------------------------------------------------

class Broker:
    """`vpcpeer serve` on 127.0.0.1:0 against awsenv and a hub."""

    def __init__(self, env, hub, workdir, db=None, args=(), server_id=SERVER_ID,
                 allow=CLIENTS, admins=(ADMIN_ARN,), route_tables="hub", roles=None,
                 binary=None, env_extra=None, name="broker", defaults=True, ca_file=None,
                 command=None, accepter="peer-role", mode=None, gateway=None, function=0):
        """command: run exactly this argv instead (e.g. configuration from the environment).
        accepter: --peering-accepter (the tests written before issue 13 are peer-role mode's;
        None: the flag not given, the broker's default, broker mode).
        mode: "serve" or "lambda" (default BROKER_MODE); in lambda mode the broker runs as
        `serve-lambda` on function slot `function` of `gateway` (a FakeApiGateway; None: one
        of its own), its url is the gateway's, and the server id SERVER_ID is not given but
        comes from the gateway's domain name, as behind a custom domain."""
        self.mode = mode or BROKER_MODE
        self.gateway, self.function, self.own_gateway = gateway, function, False
        self.env, self.hub, self.workdir, self.name = env, hub, workdir, name
        self.db = db or f"sqlite:{os.path.join(workdir, name + '.db')}"
        self.server_id = server_id
        self.binary = os.path.abspath(binary) if binary else vpcpeer_bin()
        cmd = [self.binary, "serve", "--listen", "127.0.0.1:0", "--db", self.db,
               "--hub-account", HUB_ACCOUNT, "--hub-vpc", hub.vpc, "--hub-region", REGION]
        if accepter is not None:
            cmd += ["--peering-accepter", accepter]
        for r in (roles if roles is not None else hub.roles):
            cmd += ["--peer-role", r]
        tables = hub.route_tables if route_tables == "hub" else (route_tables or [])
        for t in tables:
            cmd += ["--hub-route-table", t]
        if allow == "any":
            cmd += ["--allow-any-account"]
        else:
            for a in allow:
                cmd += ["--allow-account", self._account_id(a)]
        for a in admins:
            cmd += ["--admin-arn", a]
        if server_id is not None:
            cmd += ["--server-id", server_id]
        if defaults:
            # tests do not wait for IAM unless they ask to (awsenv has no delay by default)
            if "--grant-settle" not in args:
                cmd += ["--grant-settle", "0"]
        cmd += list(args)
        if self.mode == "lambda":
            cmd[1] = "serve-lambda"
            if server_id == SERVER_ID:
                i = cmd.index("--server-id")
                del cmd[i:i + 2]
        self.cmd = command if command is not None else cmd
        self.ca_file = ca_file
        self.env_vars = self._environment(env_extra)
        self.proc = None
        self.url = None
        self.metrics_url = None  # the --metrics-listen server's
        self.secrets = []       # more strings that must never be logged (session tokens)
        self.lines = []
        self.log_path = os.path.join(workdir, name + ".log")
        self._ready = threading.Event()
        self._reader = None
        self.api = None

    def _account_id(self, a):
        return a if re.fullmatch(r"\d{12}", a) else self.env.accounts[a]["id"]

    def _environment(self, extra):
        e = {k: v for k, v in os.environ.items()
             if not k.startswith(("AWS_", "VPCPEER_")) or k == "VPCPEER_BIN"}
        e.pop("VPCPEER_BIN", None)
        akid, secret = self.env.credentials("hub")
        e.update({
            "AWS_ENDPOINT_URL": self.env.url,
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ACCESS_KEY_ID": akid,
            "AWS_SECRET_ACCESS_KEY": secret,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": os.path.join(self.workdir, "no-aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": os.path.join(self.workdir, "no-aws-credentials"),
        })
        e.setdefault("ASAN_OPTIONS", "detect_leaks=1")
        e.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
        # /metrics on a port of its own (issue 14): any free one, as tests run side by side
        e["VPCPEER_METRICS_LISTEN"] = "127.0.0.1:0"
        e.update(extra or {})
        return e

    def start(self, timeout=60):
        if self.mode == "lambda":
            self._start_gateway()
        self.logf = open(self.log_path, "w")
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL,
                                     stdout=self.logf, stderr=subprocess.PIPE,
                                     env=self.env_vars, cwd=self.workdir)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        if not self._ready.wait(timeout) or self.url is None:
            rc = self.proc.poll()
            self.kill()
            raise AssertionError(f"{self.name} did not become ready (exit {rc}); command: "
                                 f"{' '.join(self.cmd)}\n--- log ---\n{self.log_tail()}")
        self.api = Api(self.url, self.env, self.server_id or urlsplit(self.url).netloc,
                       ca_file=self.ca_file)
        return self

    def _read(self):
        for raw in self.proc.stderr:
            line = raw.decode(errors="replace")
            self.lines.append(line)
            self.logf.write(line)
            self.logf.flush()
            if self.url is None and self.mode == "lambda":
                if LAMBDA_READY_RE.search(line):
                    self.url = self.gateway.url
                    self._ready.set()
            elif self.url is None:
                m = READY_RE.search(line)
                if m:
                    mm = METRICS_RE.search(line)
                    self.metrics_url = mm.group(1) if mm else None
                    self.url = m.group(1)
                    self._ready.set()
        self._ready.set()   # EOF: the process is gone

    def log_tail(self, n=60):
        return "".join(self.lines[-n:])

    def log_text(self):
        return "".join(self.lines)

    def wait_log(self, pattern, after=0, timeout=30):
        """The first log line from index `after` on that matches `pattern` (a regex), waiting
        for it at most `timeout` seconds (AssertionError then). len(self.lines) before an
        action is the `after` that looks only at what the action caused."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            for line in self.lines[after:]:
                if rx.search(line):
                    return line
            if time.monotonic() > deadline or not self.alive():
                raise AssertionError(f"{self.name}: no log line matching {pattern!r}\n"
                                     f"--- log ---\n{self.log_tail()}")
            time.sleep(0.05)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._close()
        self._close_gateway()

    def _start_gateway(self):
        from fake_apigw import FakeApiGateway
        if self.gateway is None:
            self.gateway = FakeApiGateway(functions=1).start()
            self.own_gateway = True
        self.env_vars["AWS_LAMBDA_RUNTIME_API"] = self.gateway.runtime_api(self.function)

    def _close_gateway(self):
        if self.own_gateway and self.gateway is not None:
            self.gateway.close()
            self.gateway = None

    def _close(self):
        if self._reader:
            self._reader.join(10)
        try:
            self.proc.stderr.close()
        except Exception:
            pass
        try:
            self.logf.close()
        except Exception:
            pass

    def stop(self, timeout=60, expect_exited=False):
        """SIGTERM; returns a list of problems (empty when it exited 0 and clean)."""
        problems = []
        if self.proc is None:
            return problems
        if self.proc.poll() is not None:
            if not expect_exited or self.proc.returncode != 0:
                problems.append(f"{self.name} had already exited with status "
                                f"{self.proc.returncode}")
        else:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                problems.append(f"{self.name} did not exit within {timeout} s of SIGTERM")
                self.proc.kill()
                self.proc.wait()
            if self.proc.returncode != 0:
                problems.append(f"{self.name} exited with status {self.proc.returncode} "
                                "after SIGTERM")
        self._close()
        san = [l for l in self.lines if SANITIZER_RE.search(l)]
        if san:
            problems.append(f"{self.name}: sanitizer report: " + "".join(san[:5]))
        # the log never shows a secret or a signature (issue 6: access log)
        secrets = [a["secret_access_key"] for a in self.env.accounts.values()]
        secrets += list(self.secrets)
        leaks = [l for l in self.lines if any(x in l for x in secrets) or SECRET_RE.search(l)]
        if leaks:
            problems.append(f"{self.name}: a secret or signature in the log: " + leaks[0][:300])
        if problems:
            problems.append(f"--- {self.name} log tail ({self.log_path}) ---\n" + self.log_tail())
        self.proc = None
        self._close_gateway()
        return problems


# --------------------------------------------------------------------------------------------
# a client account's side (what the client stack does)
# --------------------------------------------------------------------------------------------

class Client:
    """One client account: its VPC, its peering to the hub, acceptance through the peer role."""

    def __init__(self, env, who):
        self.env, self.who = env, who
        self.account = env.accounts[who]["id"] if who in env.accounts else who
        self.ec2 = env.client("ec2", who)
        self.sts = env.client("sts", who)

    def create_vpc(self, cidr):
        return self.ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]

    def request_peering(self, vpc, ns):
        """CreateVpcPeeringConnection as the template does, from the namespace object."""
        return self.ec2.create_vpc_peering_connection(
            VpcId=vpc, PeerVpcId=ns["PeerVpcId"], PeerOwnerId=ns["PeerOwnerId"],
            PeerRegion=ns["PeerRegion"])["VpcPeeringConnection"]["VpcPeeringConnectionId"]

    def assume_peer_role(self, role_arn):
        c = self.sts.assume_role(RoleArn=role_arn, RoleSessionName=f"cfn-{self.account}")
        c = c["Credentials"]
        return self.env.client("ec2", creds=(c["AccessKeyId"], c["SecretAccessKey"],
                                             c["SessionToken"]))

    def accept(self, pcx, role_arn):
        hub_ec2 = self.assume_peer_role(role_arn)
        hub_ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)

    def peer(self, ns):
        """VPC with the allocated CIDR, peering to the hub, accepted: (vpc, pcx)."""
        vpc = self.create_vpc(ns["VpcCidrBlock"])
        pcx = self.request_peering(vpc, ns)
        self.accept(pcx, ns["PeerRoleArn"])
        return vpc, pcx


# --------------------------------------------------------------------------------------------
# PostgreSQL (tests/support/pg_cluster.sh)
# --------------------------------------------------------------------------------------------

class PgCluster:
    def __init__(self, workdir):
        self.state = os.path.join(workdir, "pg.state")
        self.url = None

    @staticmethod
    def available():
        import glob
        return bool(glob.glob("/usr/lib/postgresql/*/bin/initdb"))

    def start(self):
        subprocess.run(["bash", PG_CLUSTER, "start", self.state], check=True,
                       stdout=subprocess.DEVNULL, timeout=120)
        with open(self.state) as f:
            self.url = f.read().strip()
        return self

    def stop(self):
        subprocess.run(["bash", PG_CLUSTER, "stop", self.state], check=False,
                       stdout=subprocess.DEVNULL, timeout=120)

    def database(self, name):
        """A new, empty database on this cluster (a test's registry of its own): its URL."""
        import glob
        psql = sorted(glob.glob("/usr/lib/postgresql/*/bin/psql"))[-1]
        subprocess.run([psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", self.url,
                        "-c", f"CREATE DATABASE {name}"], check=True, capture_output=True,
                       timeout=60)
        return self.url.replace("postgresql:///postgres?", f"postgresql:///{name}?", 1)

    def pause(self):
        """Stop the server, keeping its data (resume() starts it again)."""
        subprocess.run(["bash", PG_CLUSTER, "pause", self.state], check=True,
                       stdout=subprocess.DEVNULL, timeout=120)

    def resume(self):
        subprocess.run(["bash", PG_CLUSTER, "resume", self.state], check=True,
                       stdout=subprocess.DEVNULL, timeout=120)


# --------------------------------------------------------------------------------------------
# the test case base
# --------------------------------------------------------------------------------------------

class OnPostgres:
    """Mixed in before E2ECase: the class gets a PostgreSQL cluster of its own (cls.pg),
    stopped when the class ends; the class is skipped without PostgreSQL's binaries."""

    @classmethod
    def setUpClass(cls):
        if not PgCluster.available():
            raise unittest.SkipTest("no PostgreSQL binaries (scripts/setup installs them)")
        super().setUpClass()
        cls.pg = PgCluster(cls.tmp)
        cls.addClassCleanup(cls.pg.stop)
        cls.pg.start()


class E2ECase(unittest.TestCase):
    """One awsenv per test module (class); before each test awsenv is reset and a fresh hub
    is created; brokers started by a test are stopped after it and must be clean."""

    AWSENV_ARGS = ()
    GENERATED_ACCOUNTS = 0
    maxDiff = None  # a failed comparison of documents shows all of them
    HUB_ROLES = 2

    @classmethod
    def setUpClass(cls):
        cls.bin = vpcpeer_bin()
        cls.tmp = tempfile.mkdtemp(prefix="vpcpeer-e2e.")
        accounts = write_accounts_file(os.path.join(cls.tmp, "accounts.json"),
                                       cls.GENERATED_ACCOUNTS)
        cls.env = AwsEnvProcess(accounts=accounts, extra_args=list(cls.AWSENV_ARGS)).start()

    @classmethod
    def tearDownClass(cls):
        cls.env.stop()
        if os.environ.get("VPCPEER_E2E_KEEP"):
            print(f"e2e: kept {cls.tmp}", file=sys.stderr)
        else:
            shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        self.env.reset()
        self.hub = Hub(self.env, roles=self.HUB_ROLES)
        self.brokers = []
        self.workdir = tempfile.mkdtemp(prefix=self._testMethodName[:40] + ".", dir=self.tmp)
        self.addCleanup(self._stop_brokers)

    def _stop_brokers(self):
        problems = []
        for b in self.brokers:
            problems += b.stop()
        self.brokers = []
        if problems:
            self.fail("\n".join(problems))

    def start_broker(self, args=(), **kw):
        kw.setdefault("name", f"broker{len(self.brokers) + 1}")
        b = Broker(self.env, self.hub, self.workdir, args=args, binary=self.bin, **kw)
        self.brokers.append(b)
        return b.start()

    def client(self, who):
        return Client(self.env, who)

    # ---- assertions ----
    def assertStatus(self, r, status, code=None, msg=""):
        self.assertEqual(r.status, status, f"{msg} got {r}")
        if code is not None:
            self.assertEqual(r.error[0], code, f"{msg} error code; got {r}")
        if status >= 400:
            import schema_check
            schema_check.error(self, r.json)
            c, m = r.error
            self.assertIsInstance(c, str, f"{msg} error body must be {{error: {{code, message}}}}: {r}")
            self.assertIsInstance(m, str, f"{msg} error message: {r}")
            self.assertTrue(m, f"{msg} empty error message: {r}")
        self.assertIn("x-request-id", r.headers, f"{msg} every answer carries X-Request-Id")
        if r.body and r.status != 505:
            self.assertTrue(r.headers.get("content-type", "").startswith(
                ("application/json", "text/plain")), f"{msg} Content-Type: {r.headers}")
            if r.headers["content-type"].startswith("application/json"):
                self.assertIsNotNone(r.json, f"{msg} the body is not JSON: {r}")

    def assertNamespace(self, ns, n, account, state, client_ref=None, hub=None,
                        accepter="peer-role"):
        hub = hub or self.hub
        vpc, subs = plan_of(n)
        self.assertEqual(ns["NamespaceId"], n, ns)
        self.assertEqual(ns["State"], state, ns)
        self.assertEqual(ns["AccountId"], account, ns)
        if client_ref is not None:
            self.assertEqual(ns["ClientRef"], client_ref, ns)
        self.assertEqual(ns["VpcCidrBlock"], vpc)
        for letter, cidr in zip("ABCD", subs):
            self.assertEqual(ns[f"Subnet{letter}CidrBlock"], cidr, ns)
        self.assertNotIn("SubnetECidrBlock", ns)
        self.assertEqual(ns["PeerVpcId"], hub.vpc)
        self.assertEqual(ns["PeerOwnerId"], HUB_ACCOUNT)
        self.assertEqual(ns["PeerRegion"], REGION)
        self.assertEqual(ns["PeeringAccepter"], accepter, ns)
        if accepter == "broker":
            self.assertIsNone(ns["PeerRoleArn"], ns)
        else:
            self.assertIn(ns["PeerRoleArn"], [hub.role_arn(i) for i in range(len(hub.roles))])
        self.assertEqual(ns["PeerCidrBlock"], hub.cidr)
        for k in ("VpcId", "VpcPeeringConnectionId", "Labels", "CreatedAt", "UpdatedAt",
                  "ExpiresAt", "ReleasedAt"):
            self.assertIn(k, ns)
        for k in ("CreatedAt", "UpdatedAt"):
            self.assertRegex(ns[k], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")

    def snapshot(self, broker):
        """What must not change after a refused request: the registry (as the admin sees it),
        the peer roles' trust policies, the hub route tables."""
        return {"registry": broker.api.list_all("hub"),
                "trust": self.hub.trusts(),
                "routes": self.hub.routes()}

    def assertUnchanged(self, before, broker, msg=""):
        after = self.snapshot(broker)
        self.assertEqual(after["trust"], before["trust"], f"{msg}: trust policy changed")
        self.assertEqual(after["routes"], before["routes"], f"{msg}: hub routes changed")
        self.assertEqual(after["registry"], before["registry"], f"{msg}: registry changed")


def parallel(fn, items, threads=16):
    """Run fn(item) on threads; returns the results in order (exceptions re-raised)."""
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(max_workers=threads) as ex:
        return list(ex.map(fn, items))


def register_burst(api, jobs, busy_tries=10):
    """jobs: [(who, client_ref)], one thread each, all sent at once (a barrier): the answers,
    in order. A 503 (the broker's admission control: too many proofs in verification) is
    tried again after its Retry-After with a new proof, as the handler does; the last
    answer counts."""
    barrier = threading.Barrier(len(jobs))

    def one(job):
        who, ref = job
        auth = api.proof(who)       # signed before the barrier: the requests race
        try:
            barrier.wait(60)
        except threading.BrokenBarrierError:
            pass
        for _ in range(busy_tries):
            r = api.register(who, ref, auth=auth)
            if r.status != 503 or "retry-after" not in r.headers:
                return r
            time.sleep(float(r.headers["retry-after"]))
            auth = api.proof(who)
        return r
    return parallel(one, jobs, threads=len(jobs))


# --------------------------------------------------------------------------------------------
# the client template's network (templates/client.yaml), for tests that send packets
# --------------------------------------------------------------------------------------------

def client_network(client, ns, vpc, zones=("us-east-1a", "us-east-1b")):
    """What templates/client.yaml builds in the client VPC besides the peering: subnets A-D of
    the namespace (A, C in the first zone, B, D in the second), a public route table for A and
    B with a default route to an internet gateway, a private one for C and D. Returns
    {"subnets": {"A": id, ...}, "public": rtb, "private": rtb}; route_to_hub adds the routes."""
    ec2 = client.ec2
    subnets = {}
    for letter, zone in zip("ABCD", zones * 2):
        subnets[letter] = ec2.create_subnet(VpcId=vpc, CidrBlock=ns[f"Subnet{letter}CidrBlock"],
                                            AvailabilityZone=zone)["Subnet"]["SubnetId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    public, private = (ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
                       for _ in range(2))
    ec2.create_route(RouteTableId=public, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    for letter in "AB":
        ec2.associate_route_table(RouteTableId=public, SubnetId=subnets[letter])
    for letter in "CD":
        ec2.associate_route_table(RouteTableId=private, SubnetId=subnets[letter])
    return {"subnets": subnets, "public": public, "private": private}


def route_to_hub(client, net, ns, **target):
    """The template's PublicHubRoute and PrivateHubRoute (or their transit-gateway twins):
    the hub's CIDR through target (VpcPeeringConnectionId= or TransitGatewayId=)."""
    for rtb in (net["public"], net["private"]):
        client.ec2.create_route(RouteTableId=rtb, DestinationCidrBlock=ns["PeerCidrBlock"],
                                **target)


# --------------------------------------------------------------------------------------------
# the function mode (issue 18)
# --------------------------------------------------------------------------------------------

def serve_only(reason):
    """Skip a test in the function mode: it is about what only `serve` has (its listener,
    TLS, metrics listener, connection limits, the PROXY protocol)."""
    return unittest.skipIf(BROKER_MODE == "lambda", f"serve only: {reason}")
