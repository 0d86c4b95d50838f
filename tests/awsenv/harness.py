"""Start awsenv for a test and talk to it.

    from harness import AwsEnvProcess
    env = AwsEnvProcess(extra_args=["--iam-propagation-delay", "2"]).start()
    ec2 = env.client("ec2", "hub")          # boto3 client signed with the hub's keys
    env.post("/_awsenv/faults", {...})      # control API (JSON)
    env.stop()

awsenv is started on port 0 as a child with --exit-on-stdin-eof; start() reads
its stdout until the line "awsenv listening on http://127.0.0.1:PORT" (no
sleeping). If the test process dies, the child sees EOF on stdin and exits.
"""

import json
import os
import re
import subprocess
import sys
import threading
import http.client

HERE = os.path.dirname(os.path.abspath(__file__))
AWSENV = os.path.join(HERE, "awsenv.py")
DEFAULT_ACCOUNTS = os.path.join(HERE, "accounts.json")
READY_RE = re.compile(r"^awsenv listening on (http://127\.0\.0\.1:(\d+))$")


class AwsEnvProcess:
    def __init__(self, accounts=DEFAULT_ACCOUNTS, extra_args=(), python=sys.executable,
                 startup_timeout=60):
        self.accounts_file = accounts
        with open(accounts) as f:
            self.accounts = {a["name"]: a for a in json.load(f)["accounts"]}
        self.extra_args = list(extra_args)
        self.python = python
        self.startup_timeout = startup_timeout
        self.proc = None
        self.url = None
        self.port = None

    def start(self):
        cmd = [self.python, "-B", AWSENV, "--port", "0", "--accounts", self.accounts_file,
               "--exit-on-stdin-eof"] + self.extra_args
        envvars = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
        envvars.pop("MOTO_ACCOUNT_ID", None)
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     env=envvars, text=True)
        result = {}

        def read_ready():
            for line in self.proc.stdout:
                m = READY_RE.match(line.strip())
                if m:
                    result["url"], result["port"] = m.group(1), int(m.group(2))
                    return
        t = threading.Thread(target=read_ready, daemon=True)
        t.start()
        t.join(self.startup_timeout)
        if "url" not in result:
            self.stop()
            raise RuntimeError("awsenv did not become ready")
        self.url, self.port = result["url"], result["port"]
        # keep draining stdout so the child never blocks on a full pipe
        threading.Thread(target=lambda: [None for _ in self.proc.stdout], daemon=True).start()
        return self

    def stop(self):
        if self.proc is None:
            return
        try:
            self.proc.stdin.close()       # --exit-on-stdin-eof
        except OSError:
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for f in (self.proc.stdout, self.proc.stdin):
            try:
                f.close()
            except OSError:
                pass
        self.proc = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ---- AWS clients ----
    def credentials(self, who):
        a = self.accounts[who] if who in self.accounts else \
            next(x for x in self.accounts.values() if x["id"] == who)
        return a["access_key_id"], a["secret_access_key"]

    def client(self, service, who="hub", retries=1, session_token=None, creds=None, **kw):
        """A boto3 client for `who` (account name or id), or explicit creds
        (akid, secret[, token]). retries = total attempts (1: no retry)."""
        import boto3
        from botocore.config import Config
        if creds is None:
            akid, secret = self.credentials(who)
        else:
            akid, secret = creds[0], creds[1]
            if len(creds) > 2:
                session_token = creds[2]
        cfg = Config(retries={"total_max_attempts": retries, "mode": "standard"},
                     connect_timeout=5, read_timeout=60)
        return boto3.client(service, region_name=kw.pop("region_name", "us-east-1"),
                            endpoint_url=self.url, aws_access_key_id=akid,
                            aws_secret_access_key=secret, aws_session_token=session_token,
                            config=cfg, **kw)

    def assumed_client(self, service, role_arn, who, session_name="test", **kw):
        sts = self.client("sts", who)
        c = sts.assume_role(RoleArn=role_arn, RoleSessionName=session_name)["Credentials"]
        return self.client(service, creds=(c["AccessKeyId"], c["SecretAccessKey"],
                                           c["SessionToken"]), **kw)

    # ---- control API ----
    def request(self, method, path, doc=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            body = json.dumps(doc).encode() if doc is not None else b""
            conn.request(method, path, body=body,
                         headers={"Content-Type": "application/json"})
            r = conn.getresponse()
            data = r.read()
            out = json.loads(data) if data else {}
            if r.status >= 400:
                raise RuntimeError(f"{method} {path}: {r.status} {out}")
            return out
        finally:
            conn.close()

    def get(self, path):
        return self.request("GET", path)

    def post(self, path, doc=None):
        return self.request("POST", path, doc if doc is not None else {})

    def reset(self):
        return self.post("/_awsenv/reset")

    def calls(self):
        return self.get("/_awsenv/calls")


# ---- raw signed requests (for tests of the signature rules) ----
def raw_request(env, service, params, creds, region="us-east-1", method="POST",
                when=None, sign_token=True, send_token=True, scope_service=None,
                scope_region=None, scope_date=None, extra_headers=None, conn=None):
    """Send one Query-API request signed by botocore's SigV4Auth, with knobs to
    break it. creds = (akid, secret[, token]). Returns (status, body_text, headers).
    when: a datetime (UTC) to sign at. conn: an http.client connection to reuse."""
    import datetime as dt
    from unittest import mock
    from urllib.parse import urlencode
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    akid, secret = creds[0], creds[1]
    token = creds[2] if len(creds) > 2 else None
    body = urlencode(params)
    url = env.url + "/"
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    if method == "GET":
        url = env.url + "/?" + body
        body = ""
        headers = {}
    headers.update(extra_headers or {})
    req = AWSRequest(method=method, url=url, data=body.encode(), headers=headers)
    signer = SigV4Auth(Credentials(akid, secret, token if sign_token else None),
                       scope_service or service, scope_region or region)
    now = when or dt.datetime.now(dt.timezone.utc)
    with mock.patch("botocore.auth.get_current_datetime", return_value=now):
        signer.add_auth(req)
    if scope_date:
        a = req.headers["Authorization"]
        req.headers.replace_header("Authorization",
                                   re.sub(r"(Credential=[^/]+/)\d{8}", r"\g<1>" + scope_date, a))
    if token and send_token and not sign_token:
        req.headers["X-Amz-Security-Token"] = token
    if token and not send_token and "X-Amz-Security-Token" in req.headers:
        del req.headers["X-Amz-Security-Token"]
    own = conn is None
    if own:
        conn = http.client.HTTPConnection("127.0.0.1", env.port, timeout=30)
    try:
        path = "/" if method == "POST" else "/?" + url.split("?", 1)[1]
        conn.request(method, path, body=req.body or None, headers=dict(req.headers.items()))
        r = conn.getresponse()
        return r.status, r.read().decode(), dict(r.getheaders())
    finally:
        if own:
            conn.close()


class OnAwsEnv:
    """A unittest.TestCase mixin: one awsenv for the whole class (cls.env), reset before each
    test. A class with more to set up calls super().setUpClass() first."""

    @classmethod
    def setUpClass(cls):
        cls.env = AwsEnvProcess().start()

    @classmethod
    def tearDownClass(cls):
        cls.env.stop()

    def setUp(self):
        self.env.reset()
