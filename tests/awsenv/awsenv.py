#!/usr/bin/env python3
"""awsenv: a local, strict AWS (STS, IAM, EC2) for vpcpeer's tests.

moto (the open-source AWS emulator) runs in this process (its WSGI app, called
directly: no second HTTP hop) behind a small HTTP/1.1 proxy that makes it behave
like AWS where vpcpeer depends on it: SigV4 verification with botocore's signer,
trust policies on AssumeRole (with IAM's propagation delay), IAM/EC2 quotas,
AWS's answers where moto differs, and fault injection. See README.md.

Usage: python3 awsenv.py --port 0 --accounts accounts.json [--exit-on-stdin-eof]
Prints exactly one line "awsenv listening on http://127.0.0.1:PORT" when ready.
"""

import argparse
import asyncio
import datetime as dt
import email.utils
import fnmatch
import hashlib
import hmac
import io
import json
import os
import random
import re
import signal
import socket
import sys
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from http import HTTPStatus
from urllib.parse import parse_qsl, quote, unquote, urlsplit
from xml.sax.saxutils import escape

# moto must never pick the account from the environment: the proxy decides.
os.environ.pop("MOTO_ACCOUNT_ID", None)
# AWS's managed policies exist in every account (AWSLambdaBasicExecutionRole, ...);
# moto only knows them when asked to load them.
os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")

from botocore.auth import SigV4Auth  # noqa: E402
from botocore.awsrequest import AWSRequest, HTTPHeaders  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402
import botocore.session  # noqa: E402

from hub_side import HubSide  # noqa: E402
from iam_eval import SWITCH as IAM_SWITCH, IamEval  # noqa: E402
from peering import PeeringError, Peerings  # noqa: E402
from tgw import Tgw  # noqa: E402
from ram import ACTIONS as RAM_ACTIONS, Ram, RamError  # noqa: E402
import strict_ec2  # noqa: E402
import route53 as r53rest  # noqa: E402

LOOPBACK = "127.0.0.1"
VERSIONS = {"2011-06-15": "sts", "2010-05-08": "iam", "2016-11-15": "ec2"}
# The broker's compute (templates/broker.yaml, deployed by tests/cfnsim): moto answers these
# Query APIs as it is (no rules of ours on top).
VERSIONS.update({"2015-12-01": "elasticloadbalancing", "2011-01-01": "autoscaling",
                 "2014-10-31": "rds"})
NAMESPACES = {
    "iam": "https://iam.amazonaws.com/doc/2010-05-08/",
    "sts": "https://sts.amazonaws.com/doc/2011-06-15/",
    "ec2": "http://ec2.amazonaws.com/doc/2016-11-15/",
    "route53": "https://route53.amazonaws.com/doc/2013-04-01/",
}
RESPONSES = {int(x): x.phrase for x in HTTPStatus}
DEAD_PCX = ("deleted", "rejected", "failed", "expired", "deleting")

DEFAULTS = {
    "iam_propagation_delay": 0.0,
    "iam_stale_read_window": 0.0,
    "trust_policy_quota": 2048,
    "max_peerings_per_vpc": 50,
    "max_outstanding_peering_requests": 25,
    "max_routes_per_table": 50,
    "max_clock_skew": 900,
    "require_signed_token": True,
    # RAM quotas (ram.py; RAM User Guide, "Service quotas for AWS RAM"), settable low
    "ram_max_principals_per_share": 5000,
    "ram_max_shares_per_account": 5000,
    # transit gateway quotas (tgw.py; Transit Gateway Guide, "Quotas"), settable low
    "tgw_max_attachments_per_tgw": 5000,
    "tgw_max_routes_per_tgw": 10000,
    IAM_SWITCH: True,  # iam_eval.py: identity policies of assumed roles and users judged
}
DEFAULTS.update(strict_ec2.DEFAULTS)  # strict_ec2.py: AWS's documented behaviour, each a switch


class AwsError(Exception):
    def __init__(self, status, code, message, sender=True):
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.sender = sender


def error_xml(service, code, message, request_id, sender=True):
    """An error body in the service's own format (botocore parsers.py shapes)."""
    if service == "ec2":
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Response><Errors><Error><Code>{escape(code)}</Code>"
            f"<Message>{escape(message)}</Message></Error></Errors>"
            f"<RequestID>{request_id}</RequestID></Response>"
        ).encode()
    ns = NAMESPACES.get(service, NAMESPACES["sts"])
    kind = "Sender" if sender else "Receiver"
    return (
        f'<ErrorResponse xmlns="{ns}"><Error><Type>{kind}</Type>'
        f"<Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>"
        f"<RequestId>{request_id}</RequestId></ErrorResponse>"
    ).encode()


def request_id():
    """A request id in AWS's form (a random UUID), without uuid4's urandom call (a system
    call per id, most of a fast call's cost here)."""
    return str(uuid.UUID(int=random.getrandbits(128), version=4))


def utcnow():
    return dt.datetime.now(dt.timezone.utc)


def amz(ts):
    return ts.strftime("%Y%m%dT%H%M%SZ")


def local(tag):
    return tag.rsplit("}", 1)[-1]


# --------------------------------------------------------------------------
# moto, in process, with the few patches that make it answer as AWS does
# --------------------------------------------------------------------------

class Moto:
    def __init__(self):
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            create_backend_app,
        )

        self.app = DomainDispatcherApplication(create_backend_app)
        self.lock = threading.RLock()
        self._patch()
        # warm the three Flask apps so the first real request is not slow
        for svc, host in (("sts", "sts.amazonaws.com"), ("iam", "iam.amazonaws.com"),
                          ("ec2", "ec2.us-east-1.amazonaws.com")):
            self.app.get_application({"PATH_INFO": "/", "HTTP_HOST": host,
                                      "HTTP_AUTHORIZATION":
                                      f"AWS4-HMAC-SHA256 Credential=X/20200101/us-east-1/{svc}/aws4_request, "
                                      "SignedHeaders=host, Signature=0"})

    @staticmethod
    def _patch():
        from moto.ec2 import exceptions as ec2exc
        from moto.ec2.models.route_tables import Route
        from moto.ec2.models.vpc_peering_connections import VPCPeeringConnection
        from moto.ec2.models.core import TaggedEC2Resource
        from moto.ec2.responses.vpc_peering_connections import VPCPeeringConnections
        from moto.ec2.utils import generic_filter
        from moto.core.responses import ActionResult

        # AWS: InvalidVpcPeeringConnectionID.NotFound (capital ID; botocore's
        # ec2 waiter VpcPeeringConnectionDeleted matches exactly this code).
        def pcx_nf_init(self, pcx_id):
            ec2exc.EC2ClientError.__init__(
                self, "InvalidVpcPeeringConnectionID.NotFound",
                f"The vpcPeeringConnection ID '{pcx_id}' does not exist")
        ec2exc.InvalidVPCPeeringConnectionIdError.__init__ = pcx_nf_init

        # AWS: a route whose peering is deleted/rejected/failed is a blackhole.
        def route_state(self):
            pcx = getattr(self, "vpc_pcx", None)
            if pcx is not None and pcx._status.code in DEAD_PCX:
                return "blackhole"
            return "active"
        Route.state = property(route_state)

        # AWS's DescribeVpcPeeringConnections filters.
        def pcx_filter_value(self, name, method_name=None):
            table = {
                "vpc-peering-connection-id": lambda: self.id,
                "status-code": lambda: self._status.code,
                "status-message": lambda: self._status.message,
                "requester-vpc-info.vpc-id": lambda: self.vpc.id,
                "accepter-vpc-info.vpc-id": lambda: self.peer_vpc.id,
                "requester-vpc-info.owner-id": lambda: self.vpc.owner_id,
                "accepter-vpc-info.owner-id": lambda: self.peer_vpc.owner_id,
                "requester-vpc-info.cidr-block": lambda: self.vpc.cidr_block,
                "accepter-vpc-info.cidr-block": lambda: self.peer_vpc.cidr_block,
                "expiration-time": lambda: self.expiration_time,  # peering.py
            }
            if name in table:
                return table[name]()
            if name.startswith("tag") :
                return TaggedEC2Resource.get_filter_value(self, name, "DescribeVpcPeeringConnections")
            raise ec2exc.EC2ClientError("InvalidParameterValue", f"The filter '{name}' is invalid")
        VPCPeeringConnection.get_filter_value = pcx_filter_value

        # AWS: unknown ids -> InvalidVpcPeeringConnectionID.NotFound; filters applied.
        def describe_pcx(self):
            ids = self._get_param("VpcPeeringConnectionIds", [])
            filters = self._filters_from_querystring()
            pcxs = list(self.ec2_backend.vpc_pcxs.values())
            if ids:
                known = {p.id for p in pcxs}
                for i in ids:
                    if i not in known:
                        raise ec2exc.InvalidVPCPeeringConnectionIdError(i)
                pcxs = [p for p in pcxs if p.id in ids]
            if filters:
                pcxs = generic_filter(filters, pcxs)
            return ActionResult({"VpcPeeringConnections": pcxs})
        VPCPeeringConnections.describe_vpc_peering_connections = describe_pcx

    def call(self, method, path, query, headers, body, host, account):
        environ = {
            "REQUEST_METHOD": method, "SCRIPT_NAME": "", "PATH_INFO": path,
            "QUERY_STRING": query, "SERVER_NAME": host, "SERVER_PORT": "443",
            "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.version": (1, 0),
            "wsgi.url_scheme": "https", "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr, "wsgi.multithread": True,
            "wsgi.multiprocess": False, "wsgi.run_once": False,
            "CONTENT_LENGTH": str(len(body)), "HTTP_HOST": host,
            "REMOTE_ADDR": LOOPBACK,
        }
        for name, value in headers:
            n = name.lower()
            if n in ("host", "content-length", "x-moto-account-id", "connection",
                     "transfer-encoding", "expect"):
                continue
            if n == "content-type":
                environ["CONTENT_TYPE"] = value
                continue
            environ["HTTP_" + n.upper().replace("-", "_")] = value
        if account:
            environ["HTTP_X_MOTO_ACCOUNT_ID"] = account
        out = {}

        def start_response(status, hdrs, exc_info=None):
            out["status"] = int(status.split()[0])
            out["headers"] = hdrs

        with self.lock:
            it = self.app(environ, start_response)
            try:
                data = b"".join(x if isinstance(x, bytes) else x.encode() for x in it)
            finally:
                if hasattr(it, "close"):
                    it.close()
        return out["status"], out["headers"], data

    def reset(self):
        from moto.moto_api._internal.models import moto_api_backend
        with self.lock:
            moto_api_backend.reset()

    # direct model access (under self.lock)
    @staticmethod
    def ec2(account, region):
        from moto.ec2.models import ec2_backends
        return ec2_backends[account][region]

    @staticmethod
    def role(account, name):
        from moto.iam.models import iam_backends
        try:
            return iam_backends[account]["aws"].get_role(name)
        except Exception:
            return None


# --------------------------------------------------------------------------
# state: credentials, trust-policy history, faults, counters, config
# --------------------------------------------------------------------------

class Cred:
    __slots__ = ("akid", "secret", "account", "arn", "user_id", "token",
                 "role_arn", "expiration", "configured", "name")

    def __init__(self, akid, secret, account, arn, user_id, token=None,
                 role_arn=None, expiration=None, configured=False, name=""):
        self.akid, self.secret, self.account = akid, secret, account
        self.arn, self.user_id, self.token = arn, user_id, token
        self.role_arn, self.expiration = role_arn, expiration
        self.configured, self.name = configured, name


def load_accounts(path):
    with open(path) as f:
        doc = json.load(f)
    creds = {}
    for a in doc["accounts"]:
        acct = str(a["id"])
        if not re.fullmatch(r"\d{12}", acct):
            raise SystemExit(f"awsenv: bad account id {acct!r} in {path}")
        name = a.get("name", acct)
        arn = a.get("arn") or f"arn:aws:iam::{acct}:user/{name}"
        uid = "AIDA" + hashlib.sha256(arn.encode()).hexdigest().upper()[:17]
        creds[a["access_key_id"]] = Cred(a["access_key_id"], a["secret_access_key"],
                                         acct, arn, uid, configured=True, name=name)
    return doc["accounts"], creds


class Faults:
    """Fault rules: {"seed": n, "rules": [{service, action, account, fault,
    probability | count, latency_ms, status, code, message}]}."""

    def __init__(self, seed):
        self.lock = threading.Lock()
        self.default_seed = seed
        self.clear()

    def clear(self):
        with self.lock:
            self.rules = []
            self.seed = self.default_seed
            self.rng = random.Random(self.seed)

    def set(self, doc, append=False):
        rules = doc.get("rules")
        if rules is None:
            rules = [doc] if "fault" in doc else []
        norm = []
        for r in rules:
            kind = r.get("fault", "throttle")
            if kind not in ("throttle", "error", "latency"):
                raise ValueError(f"unknown fault kind {kind!r}")
            if "probability" in r and not 0 <= float(r["probability"]) <= 1:
                raise ValueError("probability must be in [0, 1]")
            norm.append({
                "service": r.get("service", "*"), "action": r.get("action", "*"),
                "account": str(r.get("account", "*")), "fault": kind,
                "probability": float(r["probability"]) if "probability" in r else None,
                "count": int(r["count"]) if "count" in r else None,
                "latency_ms": float(r.get("latency_ms", 0)),
                "status": r.get("status"), "code": r.get("code"),
                "message": r.get("message"), "fired": 0,
            })
        with self.lock:
            if "seed" in doc:
                self.seed = doc["seed"]
                self.rng = random.Random(self.seed)
            self.rules = (self.rules if append else []) + norm

    def get(self):
        with self.lock:
            return {"seed": self.seed, "rules": [dict(r) for r in self.rules]}

    def decide(self, service, action, account):
        """Returns (latency_seconds, rule or None)."""
        latency, hit = 0.0, None
        with self.lock:
            for r in self.rules:
                if not (fnmatch.fnmatchcase(service, r["service"])
                        and fnmatch.fnmatchcase(action, r["action"])
                        and (r["account"] == "*" or r["account"] == account)):
                    continue
                if r["count"] is not None:
                    if r["count"] <= 0:
                        continue
                    fire = True
                elif r["probability"] is not None:
                    fire = self.rng.random() < r["probability"]
                else:
                    fire = True
                if not fire:
                    continue
                if r["fault"] == "latency":
                    if r["count"] is not None:
                        r["count"] -= 1
                    r["fired"] += 1
                    latency += r["latency_ms"] / 1000.0
                elif hit is None:
                    if r["count"] is not None:
                        r["count"] -= 1
                    r["fired"] += 1
                    hit = r
                    latency += r["latency_ms"] / 1000.0
        return latency, hit


def fault_error(service, rule):
    if rule["fault"] == "throttle":
        if service == "ec2":  # EC2 API throttling: RequestLimitExceeded, HTTP 503
            d = (503, "RequestLimitExceeded", "Request limit exceeded.")
        elif service == "ram":  # RAM's ThrottlingException, HTTP 429 (botocore's ram model)
            d = (429, "ThrottlingException", "Rate exceeded")
        else:                 # IAM/STS: Throttling, HTTP 400
            d = (400, "Throttling", "Rate exceeded")
    else:
        if service == "ram":  # RAM's ServerInternalException, HTTP 500 (botocore's ram model)
            d = (500, "ServerInternalException", "The operation failed because the service "
                 "could not respond to the request due to an internal problem.")
        elif service == "ec2":
            d = (500, "InternalError", "An internal error has occurred")
        else:
            d = (500, "InternalFailure",
                 "The request processing has failed because of an unknown error, exception or failure.")
    status = int(rule["status"] or d[0])
    return AwsError(status, rule["code"] or d[1], rule["message"] or d[2],
                    sender=status < 500)


class Calls:
    def __init__(self):
        self.lock = threading.Lock()
        self.clear()

    def clear(self):
        with self.lock:
            self.total = 0
            self.by = {}

    def add(self, service, action, outcome, account):
        with self.lock:
            self.total += 1
            a = self.by.setdefault(service, {}).setdefault(
                action, {"total": 0, "outcomes": {}, "accounts": {}})
            a["total"] += 1
            a["outcomes"][outcome] = a["outcomes"].get(outcome, 0) + 1
            if account:
                a["accounts"][account] = a["accounts"].get(account, 0) + 1

    def get(self):
        with self.lock:
            return json.loads(json.dumps({"total": self.total, "calls": self.by}))


# --------------------------------------------------------------------------
# trust policies
# --------------------------------------------------------------------------

ROLE_ARN_RE = re.compile(r"^arn:aws:iam::(\d{12}):role/(?:[\w+=,.@/-]*/)?([\w+=,.@-]+)$")


def _as_list(x):
    if x is None:
        return []
    return x if isinstance(x, list) else [x]


def principal_matches(p, caller):
    p = str(p)
    if p == "*":
        return True
    if re.fullmatch(r"\d{12}", p):
        return caller.account == p
    m = re.fullmatch(r"arn:aws:iam::(\d{12}):root", p)
    if m:
        return caller.account == m.group(1)
    m = ROLE_ARN_RE.match(p)
    if m:
        if not caller.role_arn:
            return False
        c = ROLE_ARN_RE.match(caller.role_arn)
        return bool(c) and c.group(1) == m.group(1) and c.group(2) == m.group(2)
    return p == caller.arn


def trust_allows(doc_text, caller, action="sts:AssumeRole"):
    try:
        doc = json.loads(doc_text)
    except (TypeError, ValueError):
        return False
    allowed = False
    for st in _as_list(doc.get("Statement")):
        if not isinstance(st, dict):
            continue
        acts = _as_list(st.get("Action"))
        if not any(fnmatch.fnmatchcase(action.lower(), str(a).lower()) for a in acts):
            continue
        pr = st.get("Principal")
        if pr == "*":
            match = True
        elif isinstance(pr, dict):
            match = any(principal_matches(x, caller) for x in _as_list(pr.get("AWS")))
        else:
            match = False
        if not match:
            continue
        if st.get("Effect") == "Deny":
            return False
        if st.get("Effect") == "Allow":
            allowed = True
    return allowed


# --------------------------------------------------------------------------
# the proxy
# --------------------------------------------------------------------------

class AwsCall:
    """One AWS call between begin_aws and finish_aws."""
    __slots__ = ("method", "path", "query", "headers", "body", "params", "svc_hint", "svc",
                 "action", "account", "cred", "region", "latency", "rule", "error")

    def __init__(self, method, path, query, headers, body):
        self.method, self.path, self.query, self.headers, self.body = (method, path, query,
                                                                       headers, body)
        self.params, self.svc_hint, self.svc, self.action = {}, None, "sts", ""
        self.account, self.cred, self.region = "", None, None
        self.latency, self.rule, self.error = 0, None, None


class AwsEnv:
    def __init__(self, args):
        self.args = args
        self.accounts_doc, self.configured = load_accounts(args.accounts)
        self.creds = dict(self.configured)
        self.creds_lock = threading.Lock()
        self.cli_config = {
            "iam_propagation_delay": args.iam_propagation_delay,
            "iam_stale_read_window": args.iam_stale_read_window,
            "trust_policy_quota": args.trust_policy_quota,
            "max_peerings_per_vpc": args.max_peerings_per_vpc,
            "max_outstanding_peering_requests": args.max_outstanding_peering_requests,
            "max_routes_per_table": args.max_routes_per_table,
            "max_clock_skew": args.max_clock_skew,
            "require_signed_token": not args.allow_unsigned_token,
            IAM_SWITCH: not getattr(args, "no_iam_policies", False),
        }
        for k in ("ram_max_principals_per_share", "ram_max_shares_per_account",
                  "tgw_max_attachments_per_tgw", "tgw_max_routes_per_tgw"):
            self.cli_config.setdefault(k, DEFAULTS[k])
        for k, v in (strict_ec2.LENIENT if args.lenient_ec2 else strict_ec2.DEFAULTS).items():
            self.cli_config[k] = v
        self.config = dict(self.cli_config)
        self.policy_history = {}   # (account, role name) -> [(visible_from, doc)]
        self.stale_reads = {}      # (account, role name) -> (written_at, previous stored doc)
        self.policy_lock = threading.Lock()
        self.faults = Faults(args.seed)
        self.calls = Calls()
        session = botocore.session.get_session()
        self.regions = {
            "ec2": set(session.get_available_regions("ec2")),
            "sts": set(session.get_available_regions("sts")),
            "iam": {"us-east-1"},
            "ram": set(session.get_available_regions("ram")),
            "route53": {"us-east-1"},  # route53.py [R53-REST]: global, signed for us-east-1
        }
        self.moto = Moto()
        self.peerings = Peerings(Moto.ec2, lambda: self.config)
        self.hub_side = HubSide(Moto.ec2)
        self.ram = Ram(self.accounts_doc, lambda: self.config)
        self.route53 = r53rest.Route53(self.vpc_owner)
        self.tgw = Tgw(Moto.ec2, self.ram, lambda: self.config)
        self.iam_eval = IamEval(self, Cred)
        self.strict = strict_ec2.StrictEc2(Moto.ec2, lambda: self.config)
        self.log = args.log_requests

    # ---------------- control API ----------------
    def control(self, method, path, body):
        p = path.rstrip("/")
        try:
            doc = json.loads(body) if body.strip() else {}
        except ValueError:
            return 400, {"error": "body is not JSON"}
        if p == "/_awsenv/health":
            return 200, {"ok": True}
        if p == "/_awsenv/calls":
            if method == "DELETE":
                self.calls.clear()
                return 200, {"ok": True}
            return 200, self.calls.get()
        if p == "/_awsenv/faults":
            if method == "GET":
                return 200, self.faults.get()
            if method == "DELETE":
                self.faults.clear()
                return 200, {"ok": True}
            try:
                self.faults.set(doc, append=bool(doc.get("append")))
            except (ValueError, TypeError, KeyError) as e:
                return 400, {"error": str(e)}
            return 200, self.faults.get()
        if p == "/_awsenv/config":
            if method == "POST":
                for k, v in doc.items():
                    if k not in DEFAULTS:
                        return 400, {"error": f"unknown config key {k!r}"}
                    self.config[k] = type(DEFAULTS[k])(v)
            return 200, dict(self.config)
        if p == "/_awsenv/clock" or p.startswith("/_awsenv/peerings/"):
            with self.moto.lock:
                return self.peerings.control(method, p, doc)
        if p.startswith("/_awsenv/tgw/"):  # tgw.py: hold attachments in `pending`
            with self.moto.lock:
                return self.tgw.control(method, p, doc)
        if p.startswith("/_awsenv/iam/"):
            return self.iam_eval.control(method, p, doc)
        if p == "/_awsenv/reset" and method == "POST":
            self.reset()
            return 200, {"ok": True}
        if p == "/_awsenv/accounts":
            return 200, {"accounts": self.accounts_doc}
        return 404, {"error": f"no control endpoint {method} {path}"}

    def reset(self):
        self.moto.reset()
        with self.moto.lock:
            self.peerings.reset()
            self.tgw.reset()
            self.strict.reset()
        with self.ram.lock:
            self.ram.reset()
        self.route53.reset()
        with self.creds_lock:
            self.creds = dict(self.configured)
        with self.policy_lock:
            self.policy_history.clear()
            self.stale_reads.clear()
        self.faults.clear()
        self.calls.clear()
        self.config = dict(self.cli_config)

    # ---------------- SigV4 ----------------
    def authenticate(self, method, path, query, headers, body, svc_hint):
        """Returns (cred, scope_region, scope_service) or raises AwsError.
        svc_hint: the service implied by the Version parameter (or None)."""
        def err(svc, status, code, msg):
            return AwsError(status, code, msg)

        qparams = dict(parse_qsl(query, keep_blank_values=True))
        auth = headers.get("authorization")
        presigned = auth is None and "X-Amz-Algorithm" in qparams
        svc = svc_hint or "sts"
        if auth is None and not presigned:
            raise AwsError(403 if svc != "ec2" else 401, "MissingAuthenticationToken",
                           "Request is missing Authentication Token")
        if presigned:
            algo = qparams.get("X-Amz-Algorithm")
            fields = {"Credential": qparams.get("X-Amz-Credential"),
                      "SignedHeaders": qparams.get("X-Amz-SignedHeaders"),
                      "Signature": qparams.get("X-Amz-Signature")}
            amzdate = qparams.get("X-Amz-Date")
        else:
            algo, _, rest = auth.strip().partition(" ")
            fields = {}
            for part in rest.split(","):
                k, _, v = part.strip().partition("=")
                if k:
                    fields[k] = v
            amzdate = headers.get("x-amz-date")
        if algo != "AWS4-HMAC-SHA256":
            raise AwsError(400, "IncompleteSignature",
                           f"Unsupported AWS 'algorithm': '{algo}'")
        missing = [k for k in ("Credential", "SignedHeaders", "Signature") if not fields.get(k)]
        if missing:
            raise AwsError(400, "IncompleteSignature", " ".join(
                f"Authorization header requires '{k}' parameter." for k in missing)
                + f" Authorization={auth}")
        scope = fields["Credential"].split("/")
        if len(scope) != 5 or scope[4] != "aws4_request":
            raise AwsError(400, "IncompleteSignature",
                           "Credential must have exactly 5 slash-delimited elements, "
                           f"e.g. keyid/date/region/service/term, got '{fields['Credential']}'")
        akid, sdate, sregion, sservice, _ = scope
        svc = svc_hint or sservice
        signed = [h.strip().lower() for h in fields["SignedHeaders"].split(";") if h.strip()]
        if "host" not in signed:
            raise AwsError(400, "IncompleteSignature",
                           "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
        if amzdate is None and headers.get("date"):
            try:
                amzdate = amz(email.utils.parsedate_to_datetime(headers["date"]).astimezone(dt.timezone.utc))
            except (TypeError, ValueError):
                amzdate = None
        if not amzdate:
            raise AwsError(400, "IncompleteSignature",
                           "Authorization header requires existence of either a 'X-Amz-Date' "
                           "or a 'Date' header.")
        try:
            when = dt.datetime.strptime(amzdate, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.timezone.utc)
        except ValueError:
            raise AwsError(400, "IncompleteSignature",
                           f"Date must be in ISO-8601 'basic format'. Got '{amzdate}'.")

        def sig_mismatch(msg):
            return AwsError(403, "SignatureDoesNotMatch", msg)

        # the key
        with self.creds_lock:
            cred = self.creds.get(akid)
        if cred is None:
            if svc == "ec2":
                raise AwsError(401, "AuthFailure",
                               "AWS was not able to validate the provided access credentials")
            raise AwsError(403, "InvalidClientTokenId",
                           "The security token included in the request is invalid.")
        token = headers.get("x-amz-security-token") if not presigned else qparams.get("X-Amz-Security-Token")
        if cred.token is not None or token is not None:
            if cred.token is None or token != cred.token:
                if svc == "ec2":
                    raise AwsError(401, "AuthFailure",
                                   "AWS was not able to validate the provided access credentials")
                raise AwsError(403, "InvalidClientTokenId",
                               "The security token included in the request is invalid.")
            if (not presigned and self.config["require_signed_token"]
                    and "x-amz-security-token" not in signed):
                raise AwsError(400, "IncompleteSignature",
                               "There were headers present in the request which were not "
                               "signed: x-amz-security-token")
            if cred.expiration is not None and utcnow() >= cred.expiration:
                if svc == "ec2":
                    raise AwsError(400, "RequestExpired", "Request has expired.")
                raise AwsError(403, "ExpiredToken",
                               "The security token included in the request is expired")
        # time
        now = utcnow()
        skew = dt.timedelta(seconds=self.config["max_clock_skew"])
        mins = int(self.config["max_clock_skew"] // 60)
        if when < now - skew or when > now + skew:
            if svc == "ec2":
                raise AwsError(400, "RequestExpired", "Request has expired.")
            if when < now - skew:
                raise sig_mismatch(f"Signature expired: {amzdate} is now earlier than "
                                   f"{amz(now - skew)} ({amz(now)} - {mins} min.)")
            raise sig_mismatch(f"Signature not yet current: {amzdate} is still later than "
                               f"{amz(now + skew)} ({amz(now)} + {mins} min.)")
        # scope
        if sdate != amzdate[:8]:
            raise sig_mismatch("Date in Credential scope does not match YYYYMMDD from ISO-8601 "
                               f"version of date from HTTP: '{sdate}' != '{amzdate[:8]}', "
                               f"from '{amzdate}'.")
        if svc_hint and sservice != svc_hint:
            raise sig_mismatch(f"Credential should be scoped to correct service: '{svc_hint}'. ")
        if svc in self.regions and sregion not in self.regions[svc]:
            raise sig_mismatch(f"Credential should be scoped to a valid region, not '{sregion}'. ")
        # signature, with botocore's SigV4 code on the request exactly as sent
        signer = SigV4Auth(Credentials(cred.akid, cred.secret, cred.token), sservice, sregion)
        hdrs = HTTPHeaders()
        for name in signed:
            for v in (headers.get_all(name) or []):
                hdrs[name] = v
        if presigned:
            qpairs = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True)
                      if k != "X-Amz-Signature"]
        else:
            qpairs = parse_qsl(query, keep_blank_values=True)
        cqs = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}"
                       for k, v in sorted(qpairs))
        canonical = "\n".join([
            method.upper(),
            signer._normalize_url_path(path),
            cqs,
            signer.canonical_headers(hdrs) + "\n",
            ";".join(signed),
            hashlib.sha256(body).hexdigest(),
        ])
        req = AWSRequest(method=method, url=f"http://{headers.get('host', '')}{path}")
        req.context["timestamp"] = amzdate
        sts = signer.string_to_sign(req, canonical)
        expected = signer.signature(sts, req)
        if not hmac.compare_digest(expected, fields["Signature"].strip()):
            raise sig_mismatch("The request signature we calculated does not match the signature "
                               "you provided. Check your AWS Secret Access Key and signing method. "
                               "Consult the service documentation for details.")
        return cred, sregion, sservice

    # ---------------- rules ----------------
    @staticmethod
    def stored_trust(role):
        doc = role.assume_role_policy_document
        return unquote(doc) if doc.lstrip().startswith("%") else doc

    def effective_trust(self, account, name, role):
        key = (account, name)
        now = time.monotonic()
        with self.policy_lock:
            hist = self.policy_history.get(key)
            if hist:
                doc = None
                for visible_from, d in hist:
                    if visible_from <= now:
                        doc = d
                if doc is not None:
                    return doc
        return self.stored_trust(role)

    def check_quota(self, doc):
        if doc is None:
            return
        quota = int(self.config["trust_policy_quota"])
        if len(re.sub(r"\s", "", doc)) > quota:
            raise AwsError(409, "LimitExceeded", f"Cannot exceed quota for ACLSizePerRole: {quota}")

    def assume_role(self, cred, params):
        role_arn = params.get("RoleArn", "")
        m = ROLE_ARN_RE.match(role_arn)
        denied = AwsError(403, "AccessDenied",
                          f"User: {cred.arn} is not authorized to perform: sts:AssumeRole "
                          f"on resource: {role_arn}")
        if not m:
            raise denied
        with self.moto.lock:
            role = self.moto.role(m.group(1), m.group(2))
            if role is None or role.arn != role_arn:
                raise denied
            doc = self.effective_trust(m.group(1), m.group(2), role)
        if not trust_allows(doc, cred):
            raise denied

    def learn_assumed(self, params, data):
        try:
            root = ET.fromstring(data)
        except ET.ParseError:
            return
        vals = {}
        for el in root.iter():
            vals.setdefault(local(el.tag), el.text)
        akid, secret, token = vals.get("AccessKeyId"), vals.get("SecretAccessKey"), vals.get("SessionToken")
        if not (akid and secret and token):
            return
        m = ROLE_ARN_RE.match(params["RoleArn"])
        exp = None
        if vals.get("Expiration"):
            try:
                exp = dt.datetime.fromisoformat(vals["Expiration"].replace("Z", "+00:00"))
                if exp.tzinfo is None:
                    exp = exp.replace(tzinfo=dt.timezone.utc)
            except ValueError:
                exp = None
        c = Cred(akid, secret, m.group(1), vals.get("Arn") or params["RoleArn"],
                 vals.get("AssumedRoleId") or akid, token=token,
                 role_arn=params["RoleArn"], expiration=exp)
        with self.creds_lock:
            self.creds[akid] = c

    def pre_rules(self, svc, action, params, cred, region):
        """Checks before moto runs; may return a ready response (status, body)."""
        if svc == "sts" and action == "GetCallerIdentity" and cred.configured:
            rid = request_id()
            return 200, (
                f'<GetCallerIdentityResponse xmlns="{NAMESPACES["sts"]}"><GetCallerIdentityResult>'
                f"<Arn>{escape(cred.arn)}</Arn><UserId>{cred.user_id}</UserId>"
                f"<Account>{cred.account}</Account></GetCallerIdentityResult>"
                f"<ResponseMetadata><RequestId>{rid}</RequestId></ResponseMetadata>"
                "</GetCallerIdentityResponse>").encode()
        if svc == "sts" and action == "AssumeRole":
            self.assume_role(cred, params)
        elif svc == "iam" and action == "CreateRole":
            self.check_quota(params.get("AssumeRolePolicyDocument"))
        elif svc == "iam" and action == "UpdateAssumeRolePolicy":
            self.check_quota(params.get("PolicyDocument"))
        elif svc == "ec2" and action == "CreateRoute":
            self.check_route_quota(cred, params, region)
        try:
            self.strict.before(svc, action, params, cred.account, region)
        except strict_ec2.StrictError as e:
            raise AwsError(e.status, e.code, e.message)
        if svc == "ec2":
            try:
                self.peerings.before(action, params, cred.account, region)
                self.hub_side.before(action, params, cred.account, region)
                self.tgw.before(action, params, cred.account, region)
                # transit gateways: answered by tgw.py, not moto (README, "Transit gateways")
                ready = self.tgw.handle(action, params, cred.account, region, request_id())
                if ready is not None:
                    return ready
            except PeeringError as e:
                raise AwsError(getattr(e, "status", 400), e.code, e.message)
        return None

    def check_route_quota(self, cred, params, region):
        limit = int(self.config["max_routes_per_table"])
        rt = self.moto.ec2(cred.account, region).route_tables.get(params.get("RouteTableId"))
        if rt is None:
            return
        dest = params.get("DestinationCidrBlock")
        routes = [r for r in rt.routes if not r.local]
        if any(r.destination_cidr_block == dest for r in routes):
            return  # moto answers RouteAlreadyExists
        if len(routes) >= limit:
            raise AwsError(400, "RouteLimitExceeded",
                           f"The maximum number of routes ({limit}) has been reached for "
                           f"route table '{rt.id}'.")

    def before_update_policy(self, account, params, when):
        """Remember the policy visible (to AssumeRole) and stored before an UpdateAssumeRolePolicy."""
        name = params.get("RoleName", "")
        role = self.moto.role(account, name)
        if role is None:
            return None
        return (account, name, self.effective_trust(account, name, role), self.stored_trust(role))

    def after_update_policy(self, pending, params):
        account, name, old, stored = pending
        delay = float(self.config["iam_propagation_delay"])
        now = time.monotonic()
        with self.policy_lock:
            self.stale_reads[(account, name)] = (now, stored)
            hist = self.policy_history.setdefault((account, name), [(float("-inf"), old)])
            # drop entries already superseded by the newest visible one
            visible = [h for h in hist if h[0] <= now]
            hist[:] = visible[-1:] + [h for h in hist if h[0] > now]
            hist.append((now + delay, params.get("PolicyDocument", "")))

    def stale_get_role(self, account, params, data):
        """IAM is eventually consistent (IAM User Guide, "Troubleshooting IAM": "Changes that
        I make are not always immediately visible"; and "Changes to IAM resources are
        eventually consistent"). A GetRole within iam_stale_read_window seconds of the role's
        last UpdateAssumeRolePolicy answers the document that update replaced (always: a
        deterministic worst case)."""
        window = float(self.config["iam_stale_read_window"])
        if window <= 0:
            return data
        with self.policy_lock:
            entry = self.stale_reads.get((account, params.get("RoleName", "")))
        if entry is None or time.monotonic() >= entry[0] + window:
            return data
        old = escape(quote(entry[1], safe="")).encode()
        return re.sub(rb"<AssumeRolePolicyDocument>[^<]*</AssumeRolePolicyDocument>",
                      lambda m: b"<AssumeRolePolicyDocument>" + old + b"</AssumeRolePolicyDocument>",
                      data, count=1)

    # ---------------- one AWS request ----------------
    def handle_aws(self, method, path, query, headers, body):
        """Returns (status, content_type, body, extra_headers); sleeps the injected latency."""
        call = self.begin_aws(method, path, query, headers, body)
        if call.latency:
            time.sleep(call.latency)
        return self.finish_aws(call)

    def begin_aws(self, method, path, query, headers, body):
        """The part of a call before its injected latency: the request read, the caller
        authenticated, the fault decided. The HTTP front waits call.latency, then
        finish_aws(call)."""
        call = AwsCall(method, path, query, headers, body)
        ctype = headers.get("content-type", "")
        for k, v in parse_qsl(query, keep_blank_values=True):
            call.params.setdefault(k, v)
        if method == "POST" and ctype.startswith("application/x-www-form-urlencoded"):
            try:
                for k, v in parse_qsl(body.decode("utf-8"), keep_blank_values=True):
                    call.params.setdefault(k, v)
            except UnicodeDecodeError:
                pass
        call.svc_hint = VERSIONS.get(call.params.get("Version", ""))
        call.action = call.params.get("Action", "")
        call.svc = call.svc_hint or "sts"
        try:
            if method not in ("GET", "POST") and not (  # RAM's one DELETE (tests/cfnsim)
                    method == "DELETE" and urlsplit(path).path.rstrip("/").lower() == "/deleteresourceshare"):
                raise AwsError(405, "InvalidAction", f"Method {method} is not allowed")
            call.cred, call.region, sservice = self.authenticate(method, path, query, headers,
                                                                 body, call.svc_hint)
            call.svc = call.svc_hint or sservice
            call.account = call.cred.account
            if call.svc == "ram" and not call.svc_hint:  # REST-JSON: the action is the path
                call.action = RAM_ACTIONS.get(urlsplit(path).path.rstrip("/").lower(), "") \
                    if method == "POST" else ""
                if method == "DELETE" and urlsplit(path).path.rstrip("/").lower() == "/deleteresourceshare":
                    call.action = "DeleteResourceShare"  # its parameters are in the query string
                if not call.action:
                    raise AwsError(404, "UnknownOperationException",
                                   f"No RAM operation {method} {path}")
            if not call.action and headers.get("x-amz-target") and call.svc in (
                    "acm", "secretsmanager"):
                # JSON 1.1 (ACM, for the broker's load balancer in tests/cfnsim; Secrets
                # Manager, the registry's credentials of serve-lambda): the action is the
                # target's operation; moto answers it as it is.
                call.action = headers["x-amz-target"].rsplit(".", 1)[-1]
            if call.svc == "route53" and not call.svc_hint:  # REST-XML: method and path
                call.action = r53rest.action_of(method, urlsplit(path).path)
                if not call.action:
                    raise AwsError(404, "InvalidAction", f"No Route 53 operation {method} {path}")
            if not call.action:
                raise AwsError(400, "MissingAction", "Could not find operation to perform.")
            call.latency, call.rule = self.faults.decide(call.svc, call.action, call.account)
        except AwsError as e:
            call.error = e
        return call

    def finish_aws(self, call):
        """The rest of a call begun by begin_aws: (status, content_type, body, extra)."""
        rid = request_id()
        method, path, query, headers, body = (call.method, call.path, call.query, call.headers,
                                              call.body)
        params, svc, action, account = call.params, call.svc, call.action, call.account
        cred, region, rule = call.cred, call.region, call.rule
        try:
            if call.error is not None:
                raise call.error
            if rule is not None and rule["fault"] != "latency":
                raise fault_error(svc, rule)
            denied = self.iam_eval.check(call)
            if denied is not None:
                raise AwsError(*denied)
            if svc == "ram":
                if action == "DeleteResourceShare":
                    body = json.dumps(dict(parse_qsl(call.query or ""))).encode()
                return self.ram_call(action, account, region, body, rid)
            if svc == "route53":
                return self.route53_call(call, rid)
            pending = None
            with self.moto.lock:
                ready = self.pre_rules(svc, action, params, cred, region)
                if ready is not None:
                    self.calls.add(svc, action, "ok", account)
                    return ready[0], "text/xml", ready[1], {"x-amzn-RequestId": rid}
                if svc == "iam" and action == "UpdateAssumeRolePolicy":
                    pending = self.before_update_policy(account, params, time.monotonic())
                host = {"iam": "iam.amazonaws.com", "sts": "sts.amazonaws.com"}.get(
                    svc, f"{svc}.{region}.amazonaws.com")
                try:
                    status, mh, data = self.moto.call(method, path, query, headers.items(),
                                                      body, host, account)
                finally:
                    self.strict.after()
                if status == 200:
                    if pending is not None:
                        self.after_update_policy(pending, params)
                    if svc == "iam" and action in ("CreateRole", "DeleteRole"):
                        with self.policy_lock:
                            self.policy_history.pop((account, params.get("RoleName", "")), None)
                            self.stale_reads.pop((account, params.get("RoleName", "")), None)
                    if svc == "iam" and action == "GetRole":
                        data = self.stale_get_role(account, params, data)
            if status == 200 and svc == "sts" and action == "AssumeRole":
                self.learn_assumed(params, data)
            outcome = "ok"
            if status >= 400:
                outcome = self.error_code(data) or str(status)
            self.calls.add(svc, action, outcome, account)
            ct = "text/xml"
            extra = {"x-amzn-RequestId": rid}
            for k, v in mh:
                if k.lower() == "content-type":
                    ct = v
                elif k.lower() == "x-amzn-requestid":
                    extra["x-amzn-RequestId"] = v
            return status, ct, data, extra
        except AwsError as e:
            self.calls.add(svc, action or "(none)", e.code, account)
            if svc == "ram":
                return e.status, "application/json", json.dumps({"message": e.message}).encode(), \
                    {"x-amzn-RequestId": rid, "x-amzn-ErrorType": e.code}
            return e.status, "text/xml", error_xml(svc, e.code, e.message, rid, e.sender), \
                {"x-amzn-RequestId": rid}

    def ram_call(self, action, account, region, body, rid):
        """One RAM (REST-JSON) call, answered by ram.py; errors as x-amzn-ErrorType."""
        try:
            doc = json.loads(body) if body.strip() else {}
            out = self.ram.handle(action, account, region, doc)
        except ValueError:
            raise AwsError(400, "InvalidParameterException", "The request body is not JSON.")
        except RamError as e:
            raise AwsError(e.status, e.code, e.message)
        self.calls.add("ram", action, "ok", account)
        return 200, "application/json", json.dumps(out).encode(), {"x-amzn-RequestId": rid}

    def route53_call(self, call, rid):
        """One Route 53 (REST-XML) call, answered by route53.py."""
        try:
            status, out = r53rest.handle(self.route53, call.action, call.account, call.method,
                                         urlsplit(call.path).path, call.query, call.body)
        except r53rest.Route53Error as e:
            raise AwsError(e.status, e.code, e.message)
        self.calls.add("route53", call.action, "ok", call.account)
        return status, "text/xml", out, {"x-amzn-RequestId": rid}

    def vpc_owner(self, region, vpc_id):
        """The account that created vpc_id in region (moto's model), or None."""
        from moto.ec2.models import ec2_backends
        with self.moto.lock:
            for account in list(ec2_backends.keys()):
                try:
                    vpc = ec2_backends[account][region].vpcs.get(vpc_id)
                except KeyError:
                    continue
                if vpc is not None:
                    return vpc.owner_id
        return None

    @staticmethod
    def error_code(data):
        m = re.search(rb"<Code>([^<]+)</Code>", data)
        return m.group(1).decode() if m else None


class Headers:
    """A request's headers as sent, looked up without regard to case (what awsenv reads of
    http.client's HTTPMessage: get, get_all, items, [name])."""
    __slots__ = ("_items", "_index")

    def __init__(self, items):
        self._items = items
        self._index = {}
        for name, value in items:
            self._index.setdefault(name.lower(), []).append(value)

    def get(self, name, default=None):
        values = self._index.get(name.lower())
        return values[0] if values else default

    def __getitem__(self, name):
        return self.get(name)

    def __contains__(self, name):
        return name.lower() in self._index

    def get_all(self, name, failobj=None):
        return list(self._index.get(name.lower(), ())) or failobj

    def items(self):
        return list(self._items)


class BadRequest(Exception):
    pass


MAX_LINE = 65536
MAX_HEADERS = 200


async def read_request(reader, writer):
    """One HTTP/1.x request: (method, target, version, Headers, body), or None at a clean
    end of the connection. Raises BadRequest on what is not HTTP."""
    line = await reader.readline()
    if not line:
        return None
    if not line.endswith(b"\n"):
        raise BadRequest("request line too long")
    parts = line.decode("latin-1").rstrip("\r\n").split()
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise BadRequest(f"bad request line {line[:80]!r}")
    method, target, version = parts
    items = []
    while True:
        h = await reader.readline()
        if not h.endswith(b"\n"):
            raise BadRequest("header line too long or connection closed")
        if h in (b"\r\n", b"\n"):
            break
        name, sep, value = h.decode("latin-1").partition(":")
        if not sep or not name or name != name.strip() or len(items) >= MAX_HEADERS:
            raise BadRequest(f"bad header line {h[:80]!r}")
        items.append((name, value.strip()))
    headers = Headers(items)
    if (headers.get("Expect") or "").lower() == "100-continue" and version == "HTTP/1.1":
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    if (headers.get("Transfer-Encoding") or "").lower() == "chunked":
        out = bytearray()
        while True:
            size_line = await reader.readline()
            try:
                n = int(size_line.split(b";")[0].strip() or b"0", 16)
            except ValueError:
                raise BadRequest("bad chunk size")
            if n == 0:
                while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                    pass
                return method, target, version, headers, bytes(out)
            out += await reader.readexactly(n)
            await reader.readline()
    try:
        n = int(headers.get("Content-Length") or 0)
    except ValueError:
        raise BadRequest("bad Content-Length")
    if n < 0:
        raise BadRequest("bad Content-Length")
    return method, target, version, headers, (await reader.readexactly(n)) if n else b""


class HttpFront:
    """awsenv's HTTP/1.1 server: one event loop, one coroutine per connection. The injected
    latency of a call is a timer, not a sleeping thread: 64 clients waiting 50 ms each cost
    nothing while they wait (a thread per connection cost awsenv most of its CPU in
    bench/broker.py, GIL hand-offs among the sleepers). moto's calls run on the loop, one
    at a time, as they did under moto's lock."""

    def __init__(self, env):
        self.env = env

    async def connection(self, reader, writer):
        sock = writer.get_extra_info("socket")
        if sock is not None:
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
        try:
            while True:
                try:
                    req = await read_request(reader, writer)
                except BadRequest as e:
                    self.send(writer, "-", 400, "text/plain", str(e).encode(), None, True)
                    break
                if req is None:
                    break
                method, target, version, headers, body = req
                conn = (headers.get("Connection") or "").lower()
                close = conn == "close" or (version == "HTTP/1.0" and conn != "keep-alive")
                status, ctype, data, extra = await self.dispatch(method, target, headers, body)
                self.send(writer, f"{method} {target} {version}", status, ctype,
                          b"" if method == "HEAD" else data, extra, close)
                await writer.drain()
                if close:
                    break
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                ValueError):
            pass
        except asyncio.CancelledError:
            pass  # awsenv is stopping: asyncio.run cancels the connections still open
        finally:
            writer.close()

    async def dispatch(self, method, target, headers, body):
        split = urlsplit(target)
        path = split.path or "/"
        env = self.env
        try:
            if path.startswith("/_awsenv/"):
                status, doc = env.control(method, path, body)
                return status, "application/json", json.dumps(doc).encode(), None
            if path.startswith("/moto-api"):
                status, mh, data = env.moto.call(method, path, split.query, headers.items(),
                                                 body, "moto_api", None)
                ct = next((v for k, v in mh if k.lower() == "content-type"), "text/plain")
                return status, ct, data, None
            call = env.begin_aws(method, path, split.query, headers, body)
            if call.latency:
                await asyncio.sleep(call.latency)
            return env.finish_aws(call)
        except Exception as e:  # never drop the connection without an answer
            import traceback
            traceback.print_exc()
            rid = request_id()
            return 500, "text/xml", error_xml("sts", "InternalFailure", f"awsenv: {e}", rid,
                                              False), None

    def send(self, writer, request_line, status, ctype, body, extra, close):
        reason = RESPONSES.get(status, "")
        lines = [f"HTTP/1.1 {status} {reason}", f"Content-Type: {ctype}",
                 f"Content-Length: {len(body)}",
                 f"Date: {email.utils.formatdate(usegmt=True)}", "Server: awsenv"]
        for k, v in (extra or {}).items():
            lines.append(f"{k}: {v}")
        if close:
            lines.append("Connection: close")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        if self.env.log:
            sys.stderr.write(f'awsenv: "{request_line}" {status} {len(body)}\n')


def main(argv=None):
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=0, help="loopback port (0: pick a free one)")
    ap.add_argument("--accounts", default=os.path.join(here, "accounts.json"),
                    help="accounts JSON file (default: accounts.json next to this script)")
    ap.add_argument("--exit-on-stdin-eof", action="store_true",
                    help="exit when stdin reaches EOF (the parent died or closed the pipe)")
    ap.add_argument("--iam-propagation-delay", type=float, default=DEFAULTS["iam_propagation_delay"],
                    help="seconds AssumeRole still sees the previous trust policy after an update")
    ap.add_argument("--iam-stale-read-window", type=float,
                    default=DEFAULTS["iam_stale_read_window"],
                    help="seconds GetRole still answers the previous trust policy after an update")
    ap.add_argument("--trust-policy-quota", type=int, default=DEFAULTS["trust_policy_quota"],
                    help="role trust policy length quota, whitespace not counted (2048)")
    ap.add_argument("--max-peerings-per-vpc", type=int, default=DEFAULTS["max_peerings_per_vpc"],
                    help="active peerings per VPC, checked on accept (50)")
    ap.add_argument("--max-outstanding-peering-requests", type=int,
                    default=DEFAULTS["max_outstanding_peering_requests"],
                    help="pending-acceptance requests an account has made, per Region (25)")
    ap.add_argument("--max-routes-per-table", type=int, default=DEFAULTS["max_routes_per_table"],
                    help="non-local routes per route table (50)")
    ap.add_argument("--max-clock-skew", type=int, default=DEFAULTS["max_clock_skew"],
                    help="seconds a request's X-Amz-Date may differ from now (900)")
    ap.add_argument("--allow-unsigned-token", action="store_true",
                    help="accept x-amz-security-token outside SignedHeaders")
    ap.add_argument("--no-iam-policies", action="store_true",
                    help="do not judge assumed roles' and users' calls by their policies")
    ap.add_argument("--lenient-ec2", action="store_true",
                    help="turn off every rule of strict_ec2.py (moto's behaviour)")
    ap.add_argument("--seed", type=int, default=0, help="default fault seed (0)")
    ap.add_argument("--log-requests", action="store_true", help="log each request to stderr")
    args = ap.parse_args(argv)

    env = AwsEnv(args)
    return asyncio.run(serve(env, args))


async def serve(env, args):
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    front = HttpFront(env)
    server = await asyncio.start_server(front.connection, LOOPBACK, args.port, limit=MAX_LINE,
                                        backlog=256, reuse_address=True)
    port = server.sockets[0].getsockname()[1]
    for sig in (signal.SIGTERM, signal.SIGINT, getattr(signal, "SIGHUP", None)):
        if sig is not None:
            loop.add_signal_handler(sig, stop.set)

    if args.exit_on_stdin_eof:
        def watch_stdin():
            try:
                while sys.stdin.buffer.read1(4096) if hasattr(sys.stdin.buffer, "read1") \
                        else sys.stdin.buffer.read(1):
                    pass
            except (OSError, ValueError):
                pass
            loop.call_soon_threadsafe(stop.set)
        threading.Thread(target=watch_stdin, daemon=True).start()

    print(f"awsenv listening on http://{LOOPBACK}:{port}", flush=True)
    await stop.wait()
    server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
