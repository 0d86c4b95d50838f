#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""cfnsim: a CloudFormation simulator for vpcpeer's tests (see README.md here).

It deploys a template into one account of the AWS test environment (tests/awsenv) the way
CloudFormation would: parameters, conditions, intrinsic functions, resources in dependency
order, custom resources through a Lambda function that runs our real `bootstrap` under a
local Lambda Runtime API and answers on a local "pre-signed S3" ResponseURL, rollback with
Delete events on any failure, and stack deletion. It is an honest subset: anything it does
not model raises Unsupported (at validation, before any resource is created) instead of
being ignored.

    sim = Simulator(Aws(url, accounts), lambda_code="build/vpcpeer")
    stack = sim.create_stack("demo-b", "templates/client.yaml", account="client-b",
                             parameters={"BrokerUrl": ..., "HandlerCodeBucket": "x"},
                             capabilities=["CAPABILITY_IAM"])
    stack.status            # CREATE_COMPLETE | ROLLBACK_COMPLETE | ROLLBACK_FAILED | ...
    stack.outputs, stack.events, stack.resources
    sim.delete_stack(stack) # DELETE_COMPLETE | DELETE_FAILED
    sim.close()

Only 127.0.0.1 is ever contacted: awsenv, the local servers of this module, and whatever the
handler binary itself calls (the broker URL given as a parameter).
"""

import argparse
import base64
import datetime as dt
import hashlib
import http.server
import json
import os
import platform
import queue
import re
import shutil
import signal
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from urllib.parse import quote, urlsplit, parse_qs

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cfnsim_iam  # noqa: E402
import rules as template_rules  # noqa: E402
import servicecatalog  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

RESPONSE_LIMIT = 4096          # bytes of a custom resource's answer [CFN-RESP]
PHYSICAL_ID_LIMIT = 1024
LAMBDA_PAYLOAD_LIMIT = 6 * 1024 * 1024


class CfnError(Exception):
    """A stack operation failed (the message is what CloudFormation would show)."""


class ValidationError(CfnError):
    """The template or the parameters are refused before any resource is created."""


class Unsupported(ValidationError):
    """Something CloudFormation supports that this simulator does not model."""


# ==========================================================================================
# template loading: YAML with CloudFormation's short-form tags, or JSON
# ==========================================================================================

class _Loader(yaml.SafeLoader):
    pass


# CloudFormation keeps 2012-10-17 a string: drop YAML's timestamp resolver.
_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}


def _construct_tag(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "Condition":
        return {"Condition": value}
    if suffix == "GetAtt" and isinstance(value, str):
        res, _, attr = value.partition(".")
        return {"Fn::GetAtt": [res, attr]}
    return {"Fn::" + suffix: value}


_Loader.add_multi_constructor("!", _construct_tag)


def load_template(path_or_text):
    text = path_or_text
    if "\n" not in path_or_text and os.path.exists(path_or_text):
        with open(path_or_text) as f:
            text = f.read()
    doc = yaml.load(text, Loader=_Loader)
    if not isinstance(doc, dict) or not isinstance(doc.get("Resources"), dict) or not doc["Resources"]:
        raise ValidationError("Template format error: at least one Resources member must be defined.")
    return doc


# ==========================================================================================
# AWS access (awsenv: one URL for STS, IAM, EC2; accounts from its JSON file)
# ==========================================================================================

class Aws:
    def __init__(self, url, accounts, region="us-east-1"):
        """accounts: a path to awsenv's accounts file, its parsed document, or a dict
        name -> account (as tests/awsenv/harness.py's AwsEnvProcess.accounts)."""
        if isinstance(accounts, str):
            with open(accounts) as f:
                accounts = json.load(f)
        if isinstance(accounts, dict) and "accounts" in accounts:
            accounts = {a["name"]: a for a in accounts["accounts"]}
        self.url = url.rstrip("/")
        self.accounts = accounts
        self.region = region

    @classmethod
    def of(cls, env, region="us-east-1"):
        """From a running harness.AwsEnvProcess."""
        return cls(env.url, env.accounts, region)

    def account(self, who):
        if who in self.accounts:
            return self.accounts[who]
        for a in self.accounts.values():
            if a["id"] == who:
                return a
        raise KeyError(f"no account {who!r} in the accounts file")

    def account_id(self, who):
        return self.account(who)["id"]

    def service_session(self, role_arn, service, session_name):
        """The temporary keys SERVICE gets for ROLE_ARN (awsenv's /_awsenv/iam/service-session:
        the role must trust the service principal), as {"AccessKeyId", "SecretAccessKey",
        "SessionToken", "Arn"}."""
        import urllib.error
        import urllib.request
        req = urllib.request.Request(
            self.url + "/_awsenv/iam/service-session", method="POST",
            data=json.dumps({"role_arn": role_arn, "service": service,
                             "session_name": session_name[:64]}).encode(),
            headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return json.loads(r.read())
        except urllib.error.HTTPError as e:
            raise CfnError(f"{service} cannot assume {role_arn}: "
                           f"{json.loads(e.read() or b'{}').get('error', e.code)}") from None

    def client(self, service, who=None, creds=None, region=None, retries=3):
        import boto3
        from botocore.config import Config
        if creds is None:
            a = self.account(who)
            creds = (a["access_key_id"], a["secret_access_key"], None)
        cfg = Config(retries={"total_max_attempts": retries, "mode": "standard"},
                     connect_timeout=5, read_timeout=60)
        return boto3.client(service, region_name=region or self.region, endpoint_url=self.url,
                            aws_access_key_id=creds[0], aws_secret_access_key=creds[1],
                            aws_session_token=creds[2] if len(creds) > 2 else None, config=cfg)


def _aws_code(e):
    try:
        return e.response["Error"]["Code"]
    except (AttributeError, KeyError, TypeError):
        return None


def _aws_message(e):
    try:
        return f"{e.response['Error']['Message']} (Service: {e.operation_name}; " \
               f"Error Code: {e.response['Error']['Code']})"
    except (AttributeError, KeyError, TypeError):
        return str(e)


# ==========================================================================================
# the ResponseURL endpoint: a local stand-in for CloudFormation's pre-signed S3 URLs
# ==========================================================================================

class _QuietHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def _send(self, status, body=b"", ctype="application/xml", headers=None):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if body:
            self.wfile.write(body)

    def _read_body(self, limit):
        """(body, problem): reads Content-Length or chunked bodies up to limit bytes."""
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            out = b""
            while True:
                line = self.rfile.readline(100)
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(1000) not in (b"\r\n", b"\n", b""):
                        pass
                    return out, "chunked"
                out += self.rfile.read(size)
                self.rfile.readline(10)
                if len(out) > limit:
                    self.close_connection = True
                    return out, "too large"
        n = self.headers.get("Content-Length")
        if n is None:
            return b"", "no length"
        n = int(n)
        if n > limit:
            self.close_connection = True
            return b"", "too large"
        return self.rfile.read(n), None


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return                  # a client (a stopped sandbox) went away
        super().handle_error(request, client_address)


class ResponseBucket:
    """Issues ResponseURLs shaped like CloudFormation's (SigV2 pre-signed S3 PUT URLs:
    http://127.0.0.1:PORT/cloudformation-custom-resource-response-useast1/<quoted stack id
    |logical id|request id>?AWSAccessKeyId=..&Expires=..&Signature=..) and checks what is PUT
    to them as S3 would: the exact path and query (else 403 SignatureDoesNotMatch), no
    Content-Type (the signature covers an empty one), a Content-Length (411), no chunked body
    (501). A stored answer is then judged as CloudFormation does (size, fields)."""

    def __init__(self, strict_content_type=True):
        self.strict_content_type = strict_content_type
        self.cv = threading.Condition()
        self.pending = {}        # path -> request record
        self.puts = []           # every PUT: {"path", "status", "body", "headers", "request_id"}
        self.faults = {}         # logical id -> PUTs still to answer 503 SlowDown (fail_puts)
        self.refusals = {}       # logical id -> requests still to issue refused URLs (expire_urls)
        bucket = self

        class H(_QuietHandler):
            def do_PUT(self):
                bucket._put(self)

            def do_GET(self):
                self._send(403, _s3_error("AccessDenied", "Access Denied"))

            do_POST = do_DELETE = do_HEAD = do_GET

        self.server = _Server(("127.0.0.1", 0), H)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def issue(self, stack_id, logical_id, request_id, expires_s=7200):
        key = quote(f"{stack_id}|{logical_id}|{request_id}", safe="")
        path = f"/cloudformation-custom-resource-response-useast1/{key}"
        sig = base64.b64encode(hashlib.sha1(path.encode()).digest()).decode()
        query = (f"AWSAccessKeyId=AKIACFNSIMRESPONSE00&Expires={int(time.time()) + expires_s}"
                 f"&Signature={quote(sig, safe='')}")
        with self.cv:
            expired = self.refusals.get(logical_id, 0) > 0
            if expired:
                self.refusals[logical_id] -= 1
            self.pending[path] = {"query": query, "stack_id": stack_id, "logical_id": logical_id,
                                  "request_id": request_id, "answer": None, "count": 0,
                                  "expired": expired}
        return f"http://127.0.0.1:{self.port}{path}?{query}"

    def expire_urls(self, logical_id, count=1):
        """The next `count` requests for `logical_id` get ResponseURLs whose every PUT S3
        refuses with 403 AccessDenied "Request has expired" (a pre-signed URL past its
        Expires: final, the answer never reaches CloudFormation, which waits out
        ServiceTimeout)."""
        with self.cv:
            self.refusals[logical_id] = count

    def fail_puts(self, logical_id, count):
        """The next `count` PUTs of answers for `logical_id` get S3's 503 SlowDown (a lost
        answer: the handler's invocation then fails and Lambda retries it)."""
        with self.cv:
            self.faults[logical_id] = count

    def _put(self, h):
        path, _, query = h.path.partition("?")
        with self.cv:
            rec = self.pending.get(path)
        entry = {"path": path, "headers": dict(h.headers.items()), "body": None, "status": None,
                 "request_id": rec["request_id"] if rec else None}

        def answer(status, body=b""):
            entry["status"] = status
            with self.cv:
                self.puts.append(entry)
            h._send(status, body)

        if rec is None or query != rec["query"]:
            h._read_body(1 << 20)
            return answer(403, _s3_error("SignatureDoesNotMatch",
                                         "The request signature we calculated does not match "
                                         "the signature you provided. (path or query changed)"))
        if rec.get("expired"):
            h._read_body(1 << 20)
            return answer(403, _s3_error("AccessDenied", "Request has expired"))
        ctype = h.headers.get("Content-Type")
        if self.strict_content_type and ctype not in (None, ""):
            h._read_body(1 << 20)
            return answer(403, _s3_error("SignatureDoesNotMatch",
                                         f"The request signature we calculated does not match "
                                         f"the signature you provided (Content-Type {ctype!r} "
                                         "is signed as empty)."))
        if "chunked" in (h.headers.get("Transfer-Encoding") or "").lower():
            h.close_connection = True
            return answer(501, _s3_error("NotImplemented", "A header you provided implies "
                                         "functionality that is not implemented: Transfer-Encoding"))
        if h.headers.get("Content-Length") is None:
            h.close_connection = True
            return answer(411, _s3_error("MissingContentLength",
                                         "You must provide the Content-Length HTTP header."))
        body, _ = h._read_body(5 << 20)
        with self.cv:
            left = self.faults.get(rec["logical_id"], 0)
            if left > 0:
                self.faults[rec["logical_id"]] = left - 1
        if left > 0:
            return answer(503, _s3_error("SlowDown", "Please reduce your request rate."))
        entry["body"] = body
        with self.cv:
            rec["count"] += 1
            if rec["answer"] is None:
                rec["answer"] = body
                self.cv.notify_all()
        answer(200)

    def wait(self, url, timeout):
        """The first body PUT to url, or None when nothing came within timeout seconds."""
        path = urlsplit(url).path
        deadline = time.monotonic() + timeout
        with self.cv:
            rec = self.pending[path]
            while rec["answer"] is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cv.wait(left)
            return rec["answer"]


def _s3_error(code, message):
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
            f"<Message>{message}</Message><RequestId>{uuid.uuid4().hex[:16].upper()}</RequestId>"
            "</Error>")


# ==========================================================================================
# Lambda: functions run in "sandboxes", each a bootstrap process under a local Runtime API
# ==========================================================================================

class Invocation:
    def __init__(self, event, function):
        self.id = str(uuid.uuid4())
        self.event = event
        self.payload = json.dumps(event).encode()
        self.function = function
        self.deadline_ms = None
        self.done = threading.Event()
        self.outcome = None        # "response" | "error" | "timeout" | "exit" | "init-error"
        self.body = None
        self.error_type = None
        self.delivered = False


class Sandbox:
    """One execution environment of a function: the Runtime API (2018-06-01) on
    127.0.0.1:0 and the bootstrap process. One invocation at a time, as in Lambda."""

    def __init__(self, fn, service):
        self.fn, self.service = fn, service
        self.cv = threading.Condition()
        self.current = None
        self.closed = False
        self.proc = None
        self.init_error = None
        self.protocol_errors = []
        sb = self

        class H(_QuietHandler):
            def do_GET(self):
                if self.path == "/2018-06-01/runtime/invocation/next":
                    return sb._next(self)
                self._send(404, b'{"errorMessage":"not found","errorType":"NotFound"}',
                           "application/json")

            def do_POST(self):
                m = re.fullmatch(r"/2018-06-01/runtime/invocation/([^/]+)/(response|error)", self.path)
                if m:
                    return sb._result(self, m.group(1), m.group(2))
                if self.path == "/2018-06-01/runtime/init/error":
                    return sb._init_error(self)
                self._read_body(LAMBDA_PAYLOAD_LIMIT)
                self._send(404, b'{"errorMessage":"not found","errorType":"NotFound"}',
                           "application/json")

        self.server = _Server(("127.0.0.1", 0), H)
        self.api = f"127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        # A function with VpcConfig runs in its data-plane host's namespace, which cannot reach
        # this server on the machine's loopback: a forwarder listens on the namespace's own
        # loopback and carries each connection here (only the Runtime API goes this way; the
        # function's packets to its targets go through the data plane).
        self.netns = None
        self.forwarder = None
        if fn.vpc_host is not None:
            self.netns = fn.vpc_host.ns
            self.forwarder = _NetnsForwarder(self.netns, self.server.server_address[1])
            self.api = f"127.0.0.1:{self.forwarder.port}"

    # ---- the Runtime API ----
    def _next(self, h):
        with self.cv:
            if self.current is not None and self.current.delivered and not self.current.done.is_set():
                self.protocol_errors.append(f"next called during invocation {self.current.id}")
                self._finish(self.current, "error", b'{"errorType":"Runtime.InvalidResponse",'
                             b'"errorMessage":"next before response"}', "Runtime.InvalidResponse")
            while not self.closed and (self.current is None or self.current.delivered):
                self.cv.wait()
            if self.closed:
                h.close_connection = True
                return h._send(410, b"", "application/json")
            inv = self.current
            inv.delivered = True
            inv.deadline_ms = int(time.time() * 1000) + int(self.fn.timeout * 1000)
        h._send(200, inv.payload, "application/json", {
            "Lambda-Runtime-Aws-Request-Id": inv.id,
            "Lambda-Runtime-Deadline-Ms": str(inv.deadline_ms),
            "Lambda-Runtime-Invoked-Function-Arn": self.fn.arn,
            "Lambda-Runtime-Trace-Id": f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};"
                                       "Parent=0000000000000000;Sampled=0",
        })

    def _result(self, h, rid, kind):
        body, problem = h._read_body(LAMBDA_PAYLOAD_LIMIT)
        if problem == "too large":
            return h._send(413, b'{"errorMessage":"payload too large","errorType":'
                           b'"RequestEntityTooLarge"}', "application/json")
        with self.cv:
            inv = self.current
            if inv is None or inv.id != rid or not inv.delivered:
                self.protocol_errors.append(f"{kind} for unknown request id {rid}")
                return h._send(400, b'{"errorMessage":"Invalid request ID","errorType":'
                               b'"InvalidRequestID"}', "application/json")
            if inv.done.is_set():
                self.protocol_errors.append(f"second {kind} for {rid}")
                return h._send(403, b'{"errorMessage":"Invalid state transition","errorType":'
                               b'"InvalidStateTransition"}', "application/json")
            etype = h.headers.get("Lambda-Runtime-Function-Error-Type") if kind == "error" else None
            self._finish(inv, kind if kind == "error" else "response", body, etype)
        h._send(202, b'{"status":"OK"}', "application/json")

    def _init_error(self, h):
        body, _ = h._read_body(LAMBDA_PAYLOAD_LIMIT)
        with self.cv:
            self.init_error = body
            if self.current is not None and not self.current.done.is_set():
                self._finish(self.current, "init-error", body, "Runtime.InitError")
        h._send(202, b'{"status":"OK"}', "application/json")

    def _finish(self, inv, outcome, body, etype=None):
        inv.outcome, inv.body, inv.error_type = outcome, body, etype
        inv.done.set()
        self.current = None
        self.cv.notify_all()

    # ---- the process ----
    def _ensure_process(self):
        if self.proc is not None and self.proc.poll() is None:
            return
        if self.proc is not None:
            self.logf.close()
            self.service.log(self.fn, f"sandbox process exited with status {self.proc.returncode}")
        self.init_error = None
        env = self.fn.environment(self.api, self.service)
        self.logf = open(self.fn.log_path, "ab")
        argv = [os.path.join(self.fn.task_root, "bootstrap")]
        if self.netns is not None:
            argv = ["ip", "netns", "exec", self.netns] + argv
        self.proc = subprocess.Popen(argv,
                                     cwd=self.fn.task_root, env=env, stdin=subprocess.DEVNULL,
                                     stdout=self.logf, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def invoke(self, inv):
        """Runs one invocation to its end (response, error, timeout, process exit)."""
        with self.cv:
            self._ensure_process()
            self.current = inv
            self.cv.notify_all()
        deadline = time.monotonic() + self.fn.timeout + 10     # + init time
        while not inv.done.wait(0.05):
            rc = self.proc.poll()
            if rc is not None:
                with self.cv:
                    if not inv.done.is_set():
                        self._finish(inv, "exit", f"process exited with status {rc}".encode(),
                                     "Runtime.ExitError")
                break
            if inv.deadline_ms is not None and time.time() * 1000 > inv.deadline_ms:
                self._kill()
                with self.cv:
                    if not inv.done.is_set():
                        self._finish(inv, "timeout",
                                     f"Task timed out after {self.fn.timeout:.2f} seconds".encode(),
                                     "Sandbox.Timedout")
                break
            if inv.deadline_ms is None and time.monotonic() > deadline:
                self._kill()
                with self.cv:
                    if not inv.done.is_set():
                        self._finish(inv, "timeout", b"the runtime never asked for the event",
                                     "Runtime.InitTimeout")
                break
        return inv

    def _kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def close(self, grace=5):
        """Stops the process (SIGTERM, then SIGKILL after grace seconds); returns its status."""
        with self.cv:
            self.closed = True
            self.cv.notify_all()
        rc = None
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(grace)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
            rc = self.proc.returncode
            self.logf.close()
        if self.forwarder is not None:
            self.forwarder.close()
        self.server.shutdown()
        self.server.server_close()
        return rc


class _NetnsForwarder:
    """A TCP listener on 127.0.0.1 inside network namespace `ns` (lo brought up there), each
    connection forwarded to 127.0.0.1:target_port of the machine's namespace. The listening
    socket is created by a thread that entered ns (setns is per thread; a socket stays in the
    namespace it was made in), so nothing is added to the machine's namespace."""

    def __init__(self, ns, target_port):
        import socket
        sys.path.insert(0, os.path.join(ROOT, "tests", "dataplane"))
        import dataplane                          # noqa: E402  (only VPC functions need it)
        self.target_port = target_port
        subprocess.run(["ip", "-n", ns, "link", "set", "lo", "up"], check=True)

        def listen():
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", 0))
            sock.listen(16)
            return sock
        self.sock = dataplane.in_netns(ns, listen)
        self.port = self.sock.getsockname()[1]
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        import socket
        while not self.closed:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            try:
                up = socket.create_connection(("127.0.0.1", self.target_port), timeout=10)
                up.settimeout(None)
            except OSError:
                conn.close()
                continue
            for a, b in ((conn, up), (up, conn)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src, dst):
        import socket
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for x in (dst, src):
                try:
                    x.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self):
        self.closed = True
        self.sock.close()


class Function:
    """A recorded AWS::Lambda::Function (no real Lambda: its code runs locally)."""

    def __init__(self, name, arn, account, region, role_arn, runtime, handler, timeout, memory,
                 variables, task_root, log_path):
        self.name, self.arn, self.account, self.region = name, arn, account, region
        self.role_arn, self.runtime, self.handler = role_arn, runtime, handler
        self.timeout, self.memory, self.variables = timeout, memory, variables
        self.task_root, self.log_path = task_root, log_path
        self.queue = queue.Queue()
        self.sandbox = None
        self.worker = None
        self.invocations = []
        self.vpc_config = None     # {"SubnetIds": [...], "SecurityGroupIds": [...]} or None
        self.vpc_host = None       # its data-plane host (the first subnet), made at first use
        self.sync_lock = threading.Lock()

    def environment(self, api, service):
        creds = service.credentials_for(self)
        env = {
            "AWS_LAMBDA_RUNTIME_API": api,
            "_HANDLER": self.handler,
            "LAMBDA_TASK_ROOT": self.task_root,
            "LAMBDA_RUNTIME_DIR": self.task_root,
            "AWS_LAMBDA_FUNCTION_NAME": self.name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(self.memory),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{self.name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": time.strftime("%Y/%m/%d/[$LATEST]") + uuid.uuid4().hex,
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_ACCESS_KEY_ID": creds[0],
            "AWS_SECRET_ACCESS_KEY": creds[1],
            "TZ": ":UTC",
            "LANG": "en_US.UTF-8",
            "PATH": "/usr/local/bin:/usr/bin/:/bin:/opt/bin",
            # not in real Lambda: where "AWS" is in this test environment; Lambda's API
            # (Invoke) is this simulator's own (LambdaService.api_url)
            "AWS_ENDPOINT_URL": service.aws.url,
            "AWS_ENDPOINT_URL_LAMBDA": service.api_url(),
            "AWS_EC2_METADATA_DISABLED": "true",
        }
        if creds[2]:
            env["AWS_SESSION_TOKEN"] = creds[2]
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "LD_LIBRARY_PATH"):
            if k in os.environ:
                env[k] = os.environ[k]
        env.update(service.extra_env)
        env.update(self.variables)
        return env


class LambdaService:
    """Holds the functions; invokes them asynchronously (Event invocation type, as
    CloudFormation does), with Lambda's two retries of a failed event."""

    def __init__(self, aws, workdir, code, credentials="session", extra_env=None,
                 retry_delays=(1.0, 2.0), verbose=False):
        self.aws, self.workdir, self.code = aws, workdir, code
        self.credentials = credentials
        self.extra_env = dict(extra_env or {})
        self.retry_delays = retry_delays
        self.verbose = verbose
        self.functions = {}
        self.lock = threading.Lock()
        self.data_plane = None     # tests/dataplane's DataPlane: where VPC functions run
        self.keys = {}             # access key id -> the function it was issued to
        self.api_server = None
        self.sync_invocations = [] # (caller function name or None, target arn, decision)

    def log(self, fn, msg):
        with open(fn.log_path, "ab") as f:
            f.write(f"[cfnsim] {msg}\n".encode())

    # ---- code ----
    def code_path(self, bucket, key):
        code = self.code
        if isinstance(code, dict):
            code = code.get(f"{bucket}/{key}") or code.get(key)
        if not code:
            raise CfnError(f"Error occurred while GetObject. S3 Error Code: NoSuchKey. "
                           f"S3 Error Message: The specified key does not exist. ({bucket}/{key}; "
                           "give the simulator lambda_code)")
        return code

    def create(self, name, account, region, role_arn, runtime, handler, timeout, memory,
               variables, bucket, key):
        arn = f"arn:aws:lambda:{region}:{account}:function:{name}"
        root = tempfile.mkdtemp(prefix=f"task.{name[:40]}.", dir=self.workdir)
        src = self.code_path(bucket, key)
        if zipfile.is_zipfile(src):
            with zipfile.ZipFile(src) as z:
                z.extractall(root)
                for info in z.infolist():            # keep the executable bits
                    mode = info.external_attr >> 16
                    if mode:
                        os.chmod(os.path.join(root, info.filename), mode & 0o777)
        else:
            os.symlink(os.path.abspath(src), os.path.join(root, "bootstrap"))
        if not os.access(os.path.join(root, "bootstrap"), os.X_OK):
            raise CfnError(f"Runtime {runtime}: the deployment package has no executable bootstrap")
        fn = Function(name, arn, account, region, role_arn, runtime, handler, timeout, memory,
                      variables, root, os.path.join(self.workdir, f"lambda.{name}.log"))
        with self.lock:
            self.functions[arn] = fn
        return fn

    def credentials_for(self, fn):
        a = self.aws.account(fn.account)
        if self.credentials != "session":
            return a["access_key_id"], a["secret_access_key"], None
        # the execution role's own session, as Lambda gets it: its policies are what awsenv
        # judges the function's calls by (tests/awsenv/iam_eval.py)
        c = self.aws.service_session(fn.role_arn, "lambda.amazonaws.com", fn.name)
        with self.lock:
            self.keys[c["AccessKeyId"]] = fn
        return c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"]

    # ---- Lambda's API: Invoke (synchronous) ----
    def api_url(self):
        """The URL of this simulator's Lambda API (POST /2015-03-31/functions/{name}/invocations,
        RequestResponse), started on first use."""
        with self.lock:
            if self.api_server is None:
                svc = self

                class H(_QuietHandler):
                    def do_POST(self):
                        svc._invoke_request(self)

                self.api_server = _Server(("127.0.0.1", 0), H)
                threading.Thread(target=self.api_server.serve_forever, daemon=True).start()
            return f"http://127.0.0.1:{self.api_server.server_address[1]}"

    @staticmethod
    def _lambda_error(h, status, code, message):
        h._send(status, json.dumps({"Type": "User", "message": message}), "application/json",
                {"x-amzn-ErrorType": code, "x-amzn-RequestId": str(uuid.uuid4())})

    def _invoke_request(self, h):
        """Invoke as Lambda answers it (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html):
        the caller is the function its access key was issued to, and its execution role's
        identity policies must allow lambda:InvokeFunction on the target (cfnsim_iam); the target
        runs synchronously; a function error is 200 with X-Amz-Function-Error: Unhandled."""
        from urllib.parse import unquote
        body, problem = h._read_body(LAMBDA_PAYLOAD_LIMIT)
        m = re.fullmatch(r"/2015-03-31/functions/([^/?]+)/invocations", urlsplit(h.path).path)
        if m is None:
            return self._lambda_error(h, 404, "UnknownOperationException", "Unknown operation")
        if problem == "too large":
            return self._lambda_error(h, 413, "RequestTooLargeException",
                                      "Request must be smaller than 6291456 bytes")
        itype = h.headers.get("X-Amz-Invocation-Type") or "RequestResponse"
        if itype != "RequestResponse":
            return self._lambda_error(h, 400, "InvalidParameterValueException",
                                      f"cfnsim models only RequestResponse, not {itype}")
        cred = re.search(r"Credential=([A-Z0-9]+)/", h.headers.get("Authorization") or "")
        with self.lock:
            caller = self.keys.get(cred.group(1)) if cred else None
        if caller is None:
            return self._lambda_error(h, 403, "UnrecognizedClientException",
                                      "The security token included in the request is invalid.")
        arn = cfnsim_iam.named_resource("lambda", {"FunctionName": unquote(m.group(1))},
                                        caller.account, caller.region)
        role = caller.role_arn.rsplit("/", 1)[1]
        try:
            docs = cfnsim_iam.role_policies(self.aws.client("iam", caller.account), role)
            decision = cfnsim_iam.decide(docs, "lambda:InvokeFunction", arn, caller.role_arn,
                                         caller.region)
        except cfnsim_iam.Unsupported as e:
            return self._lambda_error(h, 500, "ServiceException", f"cfnsim: {e}")
        self.sync_invocations.append((caller.name, arn, decision))
        if decision != "Allow":
            why = "an explicit deny" if decision == "ExplicitDeny" else \
                "no identity-based policy allows the lambda:InvokeFunction action"
            return self._lambda_error(h, 403, "AccessDeniedException", (
                f"User: arn:aws:sts::{caller.account}:assumed-role/{role}/{caller.name} is not "
                f"authorized to perform: lambda:InvokeFunction on resource: {arn} because {why}"))
        target = self.get(arn)
        if target is None:
            return self._lambda_error(h, 404, "ResourceNotFoundException",
                                      f"Function not found: {arn}")
        try:
            event = json.loads(body or b"{}")
        except ValueError:
            return self._lambda_error(h, 400, "InvalidRequestContentException",
                                      "Could not parse request body into json")
        inv = self.invoke_sync(target, event)
        if inv.outcome == "response":
            return h._send(200, inv.body or b"null", "application/json",
                           {"X-Amz-Executed-Version": "$LATEST"})
        err = inv.body or b""
        if inv.outcome != "error":
            err = json.dumps({"errorType": inv.error_type or "Runtime.Unknown",
                              "errorMessage": err.decode(errors="replace")}).encode()
        h._send(200, err, "application/json",
                {"X-Amz-Function-Error": "Unhandled", "X-Amz-Executed-Version": "$LATEST"})

    def invoke_sync(self, fn, event):
        """One RequestResponse invocation of fn, in its own sandbox; a VPC function's in the
        data plane, synced first so that its namespaces follow the API's current state."""
        with fn.sync_lock:
            if fn.vpc_config is not None:
                self._vpc_host(fn)
            if fn.sandbox is None:
                fn.sandbox = Sandbox(fn, self)
            inv = fn.sandbox.invoke(Invocation(event, fn))
            fn.invocations.append(inv)
            if inv.outcome != "response":
                self.log(fn, f"invocation {inv.id} failed: {inv.outcome} {inv.error_type}: "
                             f"{(inv.body or b'')[:300]!r}")
            return inv

    def _vpc_host(self, fn):
        """The data-plane host of a function with VpcConfig: in its first subnet, filtered by
        its security groups (Lambda's network interface there). Lambda places a function in
        any of its subnets; the first is taken so that tests know where."""
        dp = self.data_plane
        if dp is None:
            raise CfnError(f"{fn.name} has VpcConfig: give the simulator a data plane "
                           "(sim.lambdas.data_plane = tests/dataplane's DataPlane) to run it")
        dp.sync()
        if fn.vpc_host is None:
            fn.vpc_host = dp.host(fn.vpc_config["SubnetIds"][0],
                                  security_groups=list(fn.vpc_config.get("SecurityGroupIds") or []))
            self.log(fn, f"runs in data-plane host {fn.vpc_host.name} ({fn.vpc_host.addr}, "
                         f"namespace {fn.vpc_host.ns})")

    def delete(self, arn):
        with self.lock:
            fn = self.functions.pop(arn, None)
        if fn is None:
            return
        self._stop(fn)

    def _stop(self, fn):
        if fn.worker is not None:
            fn.queue.put(None)
            fn.worker.join(60)
            fn.worker = None
        if fn.sandbox is not None:
            rc = fn.sandbox.close()
            self.log(fn, f"sandbox stopped (status {rc})")
            fn.sandbox = None
        if fn.vpc_host is not None and self.data_plane is not None:
            # Lambda deletes the function's network interface (in AWS: later; see
            # docs/templates.md, "The probe function")
            if fn.vpc_host.name in self.data_plane.hosts:
                self.data_plane._drop_host(fn.vpc_host.name)
            fn.vpc_host = None

    def get(self, arn):
        with self.lock:
            return self.functions.get(arn)

    # ---- invocation ----
    def invoke_async(self, arn, event):
        fn = self.get(arn)
        if fn is None:
            raise CfnError(f"Invalid service token: no function {arn}")
        with self.lock:
            if fn.worker is None:
                fn.worker = threading.Thread(target=self._work, args=(fn,), daemon=True)
                fn.worker.start()
        fn.queue.put(event)

    def _work(self, fn):
        while True:
            event = fn.queue.get()
            if event is None:
                return
            for attempt in range(1 + len(self.retry_delays)):
                if fn.sandbox is None:
                    fn.sandbox = Sandbox(fn, self)
                inv = fn.sandbox.invoke(Invocation(event, fn))
                fn.invocations.append(inv)
                if inv.outcome == "response":
                    break
                self.log(fn, f"invocation {inv.id} ({event.get('RequestType')} "
                             f"{event.get('LogicalResourceId')}) failed: {inv.outcome} "
                             f"{inv.error_type}: {(inv.body or b'')[:300]!r}")
                if attempt < len(self.retry_delays):
                    time.sleep(self.retry_delays[attempt])   # Lambda's async retry back-off

    def close(self):
        with self.lock:
            fns = list(self.functions.values())
        for fn in fns:
            self._stop(fn)
        if self.api_server is not None:
            self.api_server.shutdown()
            self.api_server.server_close()


# ==========================================================================================
# intrinsic functions
# ==========================================================================================

NOVALUE = object()
PSEUDO = ("AWS::StackName", "AWS::StackId", "AWS::Region", "AWS::AccountId", "AWS::Partition",
          "AWS::NoValue", "AWS::URLSuffix", "AWS::NotificationARNs")
FUNCTIONS = {"Ref", "Fn::GetAtt", "Fn::Sub", "Fn::Join", "Fn::Select", "Fn::GetAZs", "Fn::If",
             "Fn::Equals", "Fn::Not", "Fn::And", "Fn::Or", "Fn::Base64", "Fn::Split",
             "Fn::FindInMap", "Condition"}
SUB_RE = re.compile(r"\$\{([^}]*)\}")


def _is_intrinsic(v):
    return isinstance(v, dict) and len(v) == 1 and (
        next(iter(v)) in ("Ref", "Condition") or next(iter(v)).startswith("Fn::"))


def _walk_intrinsics(v, out):
    """Collects (function name, argument) pairs of a value."""
    if isinstance(v, dict):
        if _is_intrinsic(v):
            k, a = next(iter(v.items()))
            out.append((k, a))
        for x in v.values():
            _walk_intrinsics(x, out)
    elif isinstance(v, list):
        for x in v:
            _walk_intrinsics(x, out)


def _sub_names(text):
    names = []
    for m in SUB_RE.finditer(text):
        inner = m.group(1)
        if not inner.startswith("!"):
            names.append(inner.strip())
    return names


# ==========================================================================================
# resource types
# ==========================================================================================

class Provider:
    """A resource type: create(ctx, logical, props) -> (physical id, attributes);
    delete(ctx, resource). `props` and `required` list the properties it models; anything
    else is refused at validation."""
    props = ()
    required = ()
    attributes = ()
    tags_ec2 = None           # EC2 resource type name for TagSpecifications

    def create(self, ctx, logical, props):
        raise NotImplementedError

    def delete(self, ctx, res):
        raise NotImplementedError


def _tags(ctx, logical, props):
    tags = [dict(t) for t in props.get("Tags", [])]
    tags += [{"Key": "aws:cloudformation:stack-name", "Value": ctx.stack.name},
             {"Key": "aws:cloudformation:stack-id", "Value": ctx.stack.id},
             {"Key": "aws:cloudformation:logical-id", "Value": logical}]
    return tags


def _spec(ctx, logical, props, rtype):
    return [{"ResourceType": rtype, "Tags": _tags(ctx, logical, props)}]


def _gone(e, *codes):
    return _aws_code(e) in codes


class IamRole(Provider):
    props = ("AssumeRolePolicyDocument", "Description", "ManagedPolicyArns", "MaxSessionDuration",
             "Path", "Policies", "RoleName", "Tags")
    required = ("AssumeRolePolicyDocument",)
    attributes = ("Arn", "RoleId")

    def create(self, ctx, logical, props):
        iam = ctx.client("iam")
        name = props.get("RoleName") or ctx.physical_name(logical, 64)
        doc = props["AssumeRolePolicyDocument"]
        kw = {"RoleName": name, "Path": props.get("Path", "/"),
              "AssumeRolePolicyDocument": doc if isinstance(doc, str) else json.dumps(doc)}
        if "Description" in props:
            kw["Description"] = props["Description"]
        if "MaxSessionDuration" in props:
            kw["MaxSessionDuration"] = int(props["MaxSessionDuration"])
        if props.get("Tags"):
            kw["Tags"] = props["Tags"]
        try:
            role = iam.create_role(**kw)["Role"]
        except Exception as e:                    # noqa: BLE001
            raise CfnError(_aws_message(e)) from None
        ctx.partial(name, {"Arn": role["Arn"], "RoleId": role["RoleId"]})
        try:
            for arn in props.get("ManagedPolicyArns", []):
                iam.attach_role_policy(RoleName=name, PolicyArn=arn)
            for p in props.get("Policies", []):
                d = p["PolicyDocument"]
                iam.put_role_policy(RoleName=name, PolicyName=p["PolicyName"],
                                    PolicyDocument=d if isinstance(d, str) else json.dumps(d))
        except Exception as e:                    # noqa: BLE001
            hint = ""
            if _aws_code(e) == "NoSuchEntity" and "arn:aws:iam::aws:policy" in str(e):
                hint = " (start awsenv with MOTO_IAM_LOAD_MANAGED_POLICIES=true for AWS managed policies)"
            raise CfnError(_aws_message(e) + hint) from None
        return name, {"Arn": role["Arn"], "RoleId": role["RoleId"]}

    def delete(self, ctx, res):
        iam = ctx.client("iam")
        name = res["PhysicalResourceId"]
        try:
            for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
                iam.detach_role_policy(RoleName=name, PolicyArn=p["PolicyArn"])
            for p in iam.list_role_policies(RoleName=name)["PolicyNames"]:
                iam.delete_role_policy(RoleName=name, PolicyName=p)
            iam.delete_role(RoleName=name)
        except Exception as e:                    # noqa: BLE001
            if not _gone(e, "NoSuchEntity"):
                raise CfnError(_aws_message(e)) from None


class IamPolicy(Provider):
    """An inline policy put on each role of Roles (PutRolePolicy); Ref is a generated id.
    Users and Groups are not modelled (refused as unknown properties)."""
    props = ("PolicyDocument", "PolicyName", "Roles")
    required = ("PolicyDocument", "PolicyName", "Roles")
    attributes = ()

    def create(self, ctx, logical, props):
        iam = ctx.client("iam")
        roles = props["Roles"]
        d = props["PolicyDocument"]
        doc = d if isinstance(d, str) else json.dumps(d)
        physical = ctx.physical_name(logical, 128)
        ctx.partial(physical, {})
        try:
            for r in roles:
                iam.put_role_policy(RoleName=r, PolicyName=props["PolicyName"], PolicyDocument=doc)
        except Exception as e:                    # noqa: BLE001
            raise CfnError(_aws_message(e)) from None
        return physical, {}

    def delete(self, ctx, res):
        iam = ctx.client("iam")
        props = res.get("Properties") or {}
        for r in props.get("Roles") or []:
            try:
                iam.delete_role_policy(RoleName=r, PolicyName=props["PolicyName"])
            except Exception as e:                # noqa: BLE001
                if not _gone(e, "NoSuchEntity"):
                    raise CfnError(_aws_message(e)) from None


class LambdaFunction(Provider):
    props = ("Architectures", "Code", "Description", "Environment", "FunctionName", "Handler",
             "Layers", "MemorySize", "Role", "Runtime", "Timeout", "Tags", "VpcConfig")
    required = ("Code", "Role")
    attributes = ("Arn",)
    RUNTIMES = ("provided.al2023", "provided.al2", "provided")

    def create(self, ctx, logical, props):
        runtime = props.get("Runtime")
        if runtime not in self.RUNTIMES:
            raise Unsupported(f"{logical}: Runtime {runtime!r}: only the OS-only runtimes "
                              f"{self.RUNTIMES} are run (a local bootstrap)")
        if props.get("Layers"):       # only its absence (!Ref AWS::NoValue) is modelled
            raise Unsupported(f"{logical}: Layers are not modelled (no layer is unpacked into /opt)")
        archs = props.get("Architectures", ["x86_64"])
        host = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}.get(
            platform.machine(), platform.machine())
        if archs != [host]:
            raise Unsupported(f"{logical}: Architectures {archs}: this machine runs only {host}")
        code = props["Code"]
        if set(code) - {"S3Bucket", "S3Key"} or "S3Bucket" not in code or "S3Key" not in code:
            raise Unsupported(f"{logical}: Code must be S3Bucket + S3Key here")
        timeout = float(props.get("Timeout", 3))
        memory = int(props.get("MemorySize", 128))
        if not 1 <= timeout <= 900:
            raise CfnError(f"1 validation error detected: Value '{timeout}' at 'timeout' failed "
                           "to satisfy constraint: Member must have value between 1 and 900")
        if not 128 <= memory <= 10240:
            raise CfnError(f"MemorySize {memory} out of range 128..10240")
        role_arn = props["Role"]
        m = re.fullmatch(r"arn:aws:iam::(\d{12}):role/(?:.*/)?([\w+=,.@-]+)", role_arn)
        if not m or m.group(1) != ctx.account:
            raise CfnError(f"The role defined for the function cannot be assumed by Lambda. ({role_arn})")
        try:
            role = ctx.client("iam").get_role(RoleName=m.group(2))["Role"]
        except Exception:                         # noqa: BLE001
            raise CfnError("The role defined for the function cannot be assumed by Lambda.") from None
        trust = role["AssumeRolePolicyDocument"]
        if isinstance(trust, str):
            from urllib.parse import unquote
            trust = json.loads(unquote(trust))
        if not cfnsim_iam.trusts_service(trust, "lambda.amazonaws.com"):
            raise CfnError("The role defined for the function cannot be assumed by Lambda.")
        name = props.get("FunctionName") or ctx.physical_name(logical, 64)
        ctx.authorize("lambda:CreateFunction",
                      cfnsim_iam.named_resource("lambda", {"FunctionName": name}, ctx.account, ctx.region))
        ctx.authorize("iam:PassRole", role_arn)
        variables = (props.get("Environment") or {}).get("Variables") or {}
        vpc = self._vpc_config(ctx, logical, props.get("VpcConfig"), role_arn)
        fn = ctx.sim.lambdas.create(name, ctx.account, ctx.region, role_arn, runtime,
                                    props.get("Handler", "bootstrap"), timeout, memory,
                                    {k: str(v) for k, v in variables.items()},
                                    code["S3Bucket"], code["S3Key"])
        fn.vpc_config = vpc
        return name, {"Arn": fn.arn}

    # Lambda creates the function's network interfaces with its execution role: without
    # these actions the create fails (Lambda Developer Guide, "Giving Lambda functions access
    # to resources in an Amazon VPC"; the managed AWSLambdaVPCAccessExecutionRole holds them).
    VPC_ACTIONS = ("ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces",
                   "ec2:DeleteNetworkInterface")

    def _vpc_config(self, ctx, logical, vpc, role_arn):
        if not vpc or not vpc.get("SubnetIds"):
            return None
        if set(vpc) - {"SubnetIds", "SecurityGroupIds"}:
            raise Unsupported(f"{logical}: VpcConfig {sorted(set(vpc) - {'SubnetIds', 'SecurityGroupIds'})}")
        ec2 = ctx.client("ec2")
        try:
            subs = ec2.describe_subnets(SubnetIds=vpc["SubnetIds"])["Subnets"]
            if vpc.get("SecurityGroupIds"):
                ec2.describe_security_groups(GroupIds=vpc["SecurityGroupIds"])
        except Exception as e:                    # noqa: BLE001
            raise CfnError(_aws_message(e)) from None
        if len({x["VpcId"] for x in subs}) != 1:
            raise CfnError("The subnets of a function's VpcConfig must be in one VPC")
        role = role_arn.rsplit("/", 1)[1]
        docs = cfnsim_iam.role_policies(ctx.client("iam"), role)
        for action in self.VPC_ACTIONS:
            try:
                verdict = cfnsim_iam.decide(docs, action, "*", role_arn, ctx.region)
            except cfnsim_iam.Unsupported as e:
                raise Unsupported(f"{logical}: execution role {role}: {e}") from None
            if verdict != "Allow":
                raise CfnError(f"The provided execution role does not have permissions to call "
                               f"{action.split(':')[1]} on EC2")
        return {"SubnetIds": list(vpc["SubnetIds"]),
                "SecurityGroupIds": list(vpc.get("SecurityGroupIds") or [])}

    def delete(self, ctx, res):
        ctx.authorize("lambda:DeleteFunction", res["Attributes"].get("Arn", "*"))
        ctx.sim.lambdas.delete(res["Attributes"].get("Arn", ""))


class CustomResource(Provider):
    """Custom::* and AWS::CloudFormation::CustomResource through a Lambda ServiceToken."""
    props = None               # any
    required = ("ServiceToken",)

    def _request(self, ctx, logical, rtype, request_type, props, physical=None, old=None):
        token = props.get("ServiceToken")
        fn = ctx.sim.lambdas.get(token) if isinstance(token, str) else None
        if fn is None:
            if isinstance(token, str) and token.startswith("arn:aws:sns:"):
                raise Unsupported(f"{logical}: SNS service tokens are not modelled")
            raise CfnError(f"Invalid service token: {token!r} (no such Lambda function)")
        if fn.region != ctx.region:
            raise CfnError("Invalid service token: the function must be in the stack's region")
        ctx.authorize("lambda:InvokeFunction", fn.arn)
        timeout = int(str(props.get("ServiceTimeout", "3600")))
        if not 1 <= timeout <= 3600:
            raise CfnError(f"ServiceTimeout {timeout} must be between 1 and 3600")
        wait = timeout if ctx.sim.service_timeout_cap is None else min(timeout, ctx.sim.service_timeout_cap)
        request_id = str(uuid.uuid4())
        url = ctx.sim.bucket.issue(ctx.stack.id, logical, request_id)
        event = {"RequestType": request_type, "ServiceToken": token, "ResponseURL": url,
                 "StackId": ctx.stack.id, "RequestId": request_id, "ResourceType": rtype,
                 "LogicalResourceId": logical, "ResourceProperties": _stringify(props)}
        if physical is not None:
            event["PhysicalResourceId"] = physical
        if old is not None:
            event["OldResourceProperties"] = _stringify(old)
        ctx.stack.requests.append(event)
        ctx.sim.lambdas.invoke_async(token, event)
        body = ctx.sim.bucket.wait(url, wait)
        if body is None:
            raise CfnError(f"CloudFormation did not receive a response from your Custom Resource "
                           f"within {wait} s ({request_type} of {logical}). Please check your "
                           "logs for requestId [" + request_id + "].")
        return _judge_response(body, event)

    def create(self, ctx, logical, props):
        r = self._request(ctx, logical, ctx.rtype, "Create", props)
        if r["Status"] != "SUCCESS":
            ctx.partial(r.get("PhysicalResourceId"), {})
            raise CfnError(f"Received response status [FAILED] from custom resource. Message "
                           f"returned: {r.get('Reason', '')}")
        return r["PhysicalResourceId"], dict(r.get("Data") or {})

    def delete(self, ctx, res):
        r = self._request(ctx, res["LogicalResourceId"], res["Type"], "Delete",
                          res["Properties"], physical=res["PhysicalResourceId"])
        if r["Status"] != "SUCCESS":
            raise CfnError(f"Received response status [FAILED] from custom resource. Message "
                           f"returned: {r.get('Reason', '')}")


def _stringify(v):
    """CloudFormation passes every scalar of a custom resource's properties as a string."""
    if isinstance(v, dict):
        return {k: _stringify(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_stringify(x) for x in v]
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    return v


def _judge_response(body, event):
    """What CloudFormation accepts as a custom resource's answer; raises CfnError otherwise."""
    if len(body) > RESPONSE_LIMIT:
        raise CfnError(f"Response object is too long. ({len(body)} bytes > {RESPONSE_LIMIT})")
    try:
        r = json.loads(body)
    except ValueError:
        raise CfnError(f"Invalid response object: not JSON: {body[:200]!r}") from None
    if not isinstance(r, dict):
        raise CfnError("Invalid response object: not a JSON object")
    if r.get("Status") not in ("SUCCESS", "FAILED"):
        raise CfnError(f"Invalid response object: Status {r.get('Status')!r}")
    for k in ("StackId", "RequestId", "LogicalResourceId"):
        if r.get(k) != event[k]:
            raise CfnError(f"Invalid response object: {k} {r.get(k)!r} does not match the "
                           f"request's {event[k]!r}")
    pid = r.get("PhysicalResourceId")
    if not isinstance(pid, str) or not pid or len(pid.encode()) > PHYSICAL_ID_LIMIT:
        raise CfnError(f"Invalid PhysicalResourceId {pid!r}")
    if event["RequestType"] != "Create" and pid != event.get("PhysicalResourceId"):
        if event["RequestType"] == "Delete":
            raise CfnError(f"Invalid response object: PhysicalResourceId changed on Delete "
                           f"({event.get('PhysicalResourceId')!r} -> {pid!r})")
    if r["Status"] == "FAILED" and not r.get("Reason"):
        raise CfnError("Invalid response object: Reason is required when Status is FAILED")
    if "Data" in r and r["Data"] is not None and not isinstance(r["Data"], dict):
        raise CfnError("Invalid response object: Data must be an object")
    if "NoEcho" in r and not isinstance(r["NoEcho"], bool):
        raise CfnError("Invalid response object: NoEcho must be a boolean")
    return r


class Ec2Vpc(Provider):
    props = ("CidrBlock", "EnableDnsHostnames", "EnableDnsSupport", "InstanceTenancy", "Tags")
    required = ("CidrBlock",)
    attributes = ("CidrBlock", "VpcId", "DefaultSecurityGroup", "DefaultNetworkAcl")

    def create(self, ctx, logical, props):
        ec2 = ctx.client("ec2")
        try:
            vpc = ec2.create_vpc(CidrBlock=props["CidrBlock"],
                                 InstanceTenancy=props.get("InstanceTenancy", "default"),
                                 TagSpecifications=_spec(ctx, logical, props, "vpc"))["Vpc"]
            vid = vpc["VpcId"]
            ctx.partial(vid, {})
            for attr in ("EnableDnsSupport", "EnableDnsHostnames"):
                if attr in props:
                    ec2.modify_vpc_attribute(VpcId=vid, **{attr: {"Value": _bool(props[attr])}})
            sg = ec2.describe_security_groups(Filters=[
                {"Name": "vpc-id", "Values": [vid]}, {"Name": "group-name", "Values": ["default"]}])
            acl = ec2.describe_network_acls(Filters=[
                {"Name": "vpc-id", "Values": [vid]}, {"Name": "default", "Values": ["true"]}])
        except CfnError:
            raise
        except Exception as e:                    # noqa: BLE001
            raise CfnError(_aws_message(e)) from None
        return vid, {"CidrBlock": vpc["CidrBlock"], "VpcId": vid,
                     "DefaultSecurityGroup": (sg["SecurityGroups"] or [{}])[0].get("GroupId"),
                     "DefaultNetworkAcl": (acl["NetworkAcls"] or [{}])[0].get("NetworkAclId")}

    def delete(self, ctx, res):
        _delete(ctx, lambda ec2: ec2.delete_vpc(VpcId=res["PhysicalResourceId"]),
                "InvalidVpcID.NotFound")


def _bool(v):
    return v if isinstance(v, bool) else str(v).lower() == "true"


def _delete(ctx, call, *gone):
    try:
        call(ctx.client("ec2"))
    except Exception as e:                        # noqa: BLE001
        if not _gone(e, *gone):
            raise CfnError(_aws_message(e)) from None


def _ec2(call):
    try:
        return call()
    except CfnError:
        raise
    except Exception as e:                        # noqa: BLE001
        raise CfnError(_aws_message(e)) from None


class Ec2Subnet(Provider):
    props = ("VpcId", "CidrBlock", "AvailabilityZone", "MapPublicIpOnLaunch", "Tags")
    required = ("VpcId", "CidrBlock")
    attributes = ("AvailabilityZone", "CidrBlock", "VpcId", "SubnetId")

    def create(self, ctx, logical, props):
        ec2 = ctx.client("ec2")
        kw = {"VpcId": props["VpcId"], "CidrBlock": props["CidrBlock"],
              "TagSpecifications": _spec(ctx, logical, props, "subnet")}
        if props.get("AvailabilityZone"):
            kw["AvailabilityZone"] = props["AvailabilityZone"]
        s = _ec2(lambda: ec2.create_subnet(**kw)["Subnet"])
        ctx.partial(s["SubnetId"], {})
        if "MapPublicIpOnLaunch" in props:
            _ec2(lambda: ec2.modify_subnet_attribute(
                SubnetId=s["SubnetId"], MapPublicIpOnLaunch={"Value": _bool(props["MapPublicIpOnLaunch"])}))
        return s["SubnetId"], {"AvailabilityZone": s["AvailabilityZone"], "CidrBlock": s["CidrBlock"],
                               "VpcId": s["VpcId"], "SubnetId": s["SubnetId"]}

    def delete(self, ctx, res):
        _delete(ctx, lambda ec2: ec2.delete_subnet(SubnetId=res["PhysicalResourceId"]),
                "InvalidSubnetID.NotFound")


class Ec2InternetGateway(Provider):
    props = ("Tags",)
    attributes = ("InternetGatewayId",)

    def create(self, ctx, logical, props):
        ec2 = ctx.client("ec2")
        g = _ec2(lambda: ec2.create_internet_gateway(
            TagSpecifications=_spec(ctx, logical, props, "internet-gateway"))["InternetGateway"])
        return g["InternetGatewayId"], {"InternetGatewayId": g["InternetGatewayId"]}

    def delete(self, ctx, res):
        _delete(ctx, lambda ec2: ec2.delete_internet_gateway(
            InternetGatewayId=res["PhysicalResourceId"]), "InvalidInternetGatewayID.NotFound")


class Ec2GatewayAttachment(Provider):
    props = ("VpcId", "InternetGatewayId")
    required = ("VpcId", "InternetGatewayId")

    def create(self, ctx, logical, props):
        ec2 = ctx.client("ec2")
        _ec2(lambda: ec2.attach_internet_gateway(InternetGatewayId=props["InternetGatewayId"],
                                                 VpcId=props["VpcId"]))
        return f"IGW|{props['VpcId']}", {}

    def delete(self, ctx, res):
        p = res["Properties"]
        _delete(ctx, lambda ec2: ec2.detach_internet_gateway(
            InternetGatewayId=p["InternetGatewayId"], VpcId=p["VpcId"]),
            "Gateway.NotAttached", "InvalidInternetGatewayID.NotFound", "InvalidVpcID.NotFound")


class Ec2RouteTable(Provider):
    props = ("VpcId", "Tags")
    required = ("VpcId",)
    attributes = ("RouteTableId",)

    def create(self, ctx, logical, props):
        ec2 = ctx.client("ec2")
        t = _ec2(lambda: ec2.create_route_table(
            VpcId=props["VpcId"], TagSpecifications=_spec(ctx, logical, props, "route-table"))["RouteTable"])
        return t["RouteTableId"], {"RouteTableId": t["RouteTableId"]}

    def delete(self, ctx, res):
        _delete(ctx, lambda ec2: ec2.delete_route_table(RouteTableId=res["PhysicalResourceId"]),
                "InvalidRouteTableID.NotFound")


class Ec2PrefixList(Provider):
    """AWS::EC2::PrefixList (templates/hub.yaml's list of live clients, issue 19)."""
    props = ("PrefixListName", "AddressFamily", "MaxEntries", "Entries", "Tags")
    required = ("PrefixListName", "AddressFamily", "MaxEntries")
    attributes = ("PrefixListId", "Arn", "Version", "OwnerId")

    def create(self, ctx, logical, props):
        ec2 = ctx.client("ec2")
        pl = _ec2(lambda: ec2.create_managed_prefix_list(
            PrefixListName=props["PrefixListName"], AddressFamily=props["AddressFamily"],
            MaxEntries=int(props["MaxEntries"]), Entries=props.get("Entries", []),
            TagSpecifications=_spec(ctx, logical, props, "prefix-list"))["PrefixList"])
        return pl["PrefixListId"], {"PrefixListId": pl["PrefixListId"],
                                    "Arn": pl["PrefixListArn"], "Version": pl["Version"],
                                    "OwnerId": pl["OwnerId"]}

    def delete(self, ctx, res):
        _delete(ctx, lambda ec2: ec2.delete_managed_prefix_list(
            PrefixListId=res["PhysicalResourceId"]), "InvalidPrefixListID.NotFound")


class Ec2Route(Provider):
    TARGETS = ("GatewayId", "VpcPeeringConnectionId", "NatGatewayId", "TransitGatewayId",
               "NetworkInterfaceId")
    props = ("RouteTableId", "DestinationCidrBlock") + TARGETS
    required = ("RouteTableId", "DestinationCidrBlock")

    def create(self, ctx, logical, props):
        targets = [t for t in self.TARGETS if props.get(t)]
        if len(targets) != 1:
            raise CfnError(f"{logical}: exactly one route target is required, got {targets}")
        ec2 = ctx.client("ec2")
        _ec2(lambda: ec2.create_route(RouteTableId=props["RouteTableId"],
                                      DestinationCidrBlock=props["DestinationCidrBlock"],
                                      **{targets[0]: props[targets[0]]}))
        return f"{props['RouteTableId']}|{props['DestinationCidrBlock']}", {}

    def delete(self, ctx, res):
        p = res["Properties"]
        _delete(ctx, lambda ec2: ec2.delete_route(RouteTableId=p["RouteTableId"],
                                                  DestinationCidrBlock=p["DestinationCidrBlock"]),
                "InvalidRoute.NotFound", "InvalidRouteTableID.NotFound")


class Ec2SubnetRouteTableAssociation(Provider):
    props = ("SubnetId", "RouteTableId")
    required = ("SubnetId", "RouteTableId")
    attributes = ("Id",)

    def create(self, ctx, logical, props):
        ec2 = ctx.client("ec2")
        a = _ec2(lambda: ec2.associate_route_table(SubnetId=props["SubnetId"],
                                                   RouteTableId=props["RouteTableId"]))
        return a["AssociationId"], {"Id": a["AssociationId"]}

    def delete(self, ctx, res):
        _delete(ctx, lambda ec2: ec2.disassociate_route_table(AssociationId=res["PhysicalResourceId"]),
                "InvalidAssociationID.NotFound")


class Ec2VpcPeeringConnection(Provider):
    """Created in the stack's account; with PeerRoleArn, accepted in the peer account with
    credentials from assuming that role (retried while IAM propagates, within a bound), as
    CloudFormation does. Without a role, a peering inside the same account is accepted with
    the stack's own credentials."""
    props = ("VpcId", "PeerVpcId", "PeerOwnerId", "PeerRegion", "PeerRoleArn", "Tags")
    required = ("VpcId", "PeerVpcId")
    attributes = ("Id",)

    def create(self, ctx, logical, props):
        ec2 = ctx.client("ec2")
        owner = str(props.get("PeerOwnerId") or ctx.account)
        region = props.get("PeerRegion") or ctx.region
        role = props.get("PeerRoleArn")
        if owner != ctx.account and not role:
            raise CfnError(f"{logical}: PeerRoleArn is required to accept a peering with "
                           f"account {owner}")
        kw = {"VpcId": props["VpcId"], "PeerVpcId": props["PeerVpcId"], "PeerOwnerId": owner,
              "TagSpecifications": _spec(ctx, logical, props, "vpc-peering-connection")}
        if props.get("PeerRegion"):
            kw["PeerRegion"] = region
        pcx = _ec2(lambda: ec2.create_vpc_peering_connection(**kw))["VpcPeeringConnection"]
        pid = pcx["VpcPeeringConnectionId"]
        ctx.partial(pid, {"Id": pid})
        if role:
            creds = self._assume(ctx, role, logical)
            accepter = ctx.sim.aws.client("ec2", creds=creds, region=region)
        else:
            accepter = ctx.client("ec2")
        _ec2(lambda: accepter.accept_vpc_peering_connection(VpcPeeringConnectionId=pid))
        deadline = time.monotonic() + ctx.sim.peering_active_timeout
        while True:
            st = _ec2(lambda: ec2.describe_vpc_peering_connections(
                VpcPeeringConnectionIds=[pid]))["VpcPeeringConnections"][0]["Status"]
            if st["Code"] == "active":
                break
            if st["Code"] in ("failed", "rejected", "deleted", "expired") or time.monotonic() > deadline:
                raise CfnError(f"VpcPeeringConnection {pid} is {st['Code']}: {st.get('Message', '')}")
            time.sleep(0.2)
        return pid, {"Id": pid}

    @staticmethod
    def _assume(ctx, role, logical):
        sts = ctx.client("sts")
        deadline = time.monotonic() + ctx.sim.peer_role_timeout
        delay, last = 0.25, None
        while True:
            try:
                c = sts.assume_role(RoleArn=role, RoleSessionName=f"AWSCloudFormation-{logical}"[:64])
                c = c["Credentials"]
                ctx.stack.note(logical, f"assumed {role}")
                return c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"]
            except Exception as e:                # noqa: BLE001
                last = e
                if _aws_code(e) not in ("AccessDenied", "Throttling", "InternalFailure") \
                        or time.monotonic() + delay > deadline:
                    break
            time.sleep(delay)                     # CloudFormation's retry while IAM propagates
            delay = min(delay * 2, 4.0)
        raise CfnError(f"Unable to assume role {role} to accept the peering: "
                       f"{_aws_message(last)}")

    def delete(self, ctx, res):
        _delete(ctx, lambda ec2: ec2.delete_vpc_peering_connection(
            VpcPeeringConnectionId=res["PhysicalResourceId"]),
            "InvalidVpcPeeringConnectionID.NotFound", "InvalidVpcPeeringConnectionId.NotFound")


# ---- the broker's compute (templates/broker.yaml): moto behind awsenv answers the calls ----

def _call(call):
    return _ec2(call)


def _ints(d, *keys):
    return {k: (int(v) if k in keys else v) for k, v in d.items()}


class IamInstanceProfile(Provider):
    props = ("InstanceProfileName", "Path", "Roles")
    required = ("Roles",)
    attributes = ("Arn",)

    def create(self, ctx, logical, props):
        iam = ctx.client("iam")
        name = props.get("InstanceProfileName") or ctx.physical_name(logical, 128)
        if len(props["Roles"]) != 1:
            raise CfnError("Roles: an instance profile holds exactly one role")
        p = _call(lambda: iam.create_instance_profile(InstanceProfileName=name,
                                                      Path=props.get("Path", "/"))["InstanceProfile"])
        ctx.partial(name, {"Arn": p["Arn"]})
        _call(lambda: iam.add_role_to_instance_profile(InstanceProfileName=name,
                                                       RoleName=props["Roles"][0]))
        return name, {"Arn": p["Arn"]}

    def delete(self, ctx, res):
        iam = ctx.client("iam")
        name = res["PhysicalResourceId"]
        try:
            for r in iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]["Roles"]:
                iam.remove_role_from_instance_profile(InstanceProfileName=name, RoleName=r["RoleName"])
            iam.delete_instance_profile(InstanceProfileName=name)
        except Exception as e:                    # noqa: BLE001
            if not _gone(e, "NoSuchEntity"):
                raise CfnError(_aws_message(e)) from None


_RULE_KEYS = ("IpProtocol", "FromPort", "ToPort", "CidrIp", "CidrIpv6", "SourceSecurityGroupId",
              "SourcePrefixListId", "DestinationPrefixListId", "DestinationSecurityGroupId",
              "Description")


def _permission(rule, where):
    extra = sorted(set(rule) - set(_RULE_KEYS) - {"GroupId"})
    if extra:
        raise Unsupported(f"{where}: rule properties not modelled: {extra}")
    p = {"IpProtocol": str(rule["IpProtocol"])}
    if "FromPort" in rule:
        p["FromPort"] = int(rule["FromPort"])
    if "ToPort" in rule:
        p["ToPort"] = int(rule["ToPort"])
    d = {"Description": rule["Description"]} if "Description" in rule else {}
    if "CidrIp" in rule:
        p["IpRanges"] = [{"CidrIp": rule["CidrIp"], **d}]
    elif "CidrIpv6" in rule:
        p["Ipv6Ranges"] = [{"CidrIpv6": rule["CidrIpv6"], **d}]
    elif "SourcePrefixListId" in rule or "DestinationPrefixListId" in rule:
        p["PrefixListIds"] = [{"PrefixListId": rule.get("SourcePrefixListId")
                               or rule["DestinationPrefixListId"], **d}]
    elif "SourceSecurityGroupId" in rule or "DestinationSecurityGroupId" in rule:
        p["UserIdGroupPairs"] = [{"GroupId": rule.get("SourceSecurityGroupId")
                                  or rule["DestinationSecurityGroupId"], **d}]
    else:
        raise CfnError(f"{where}: a rule needs a CIDR, a prefix list or a security group")
    return p


class Ec2SecurityGroup(Provider):
    props = ("GroupDescription", "GroupName", "SecurityGroupEgress", "SecurityGroupIngress",
             "Tags", "VpcId")
    required = ("GroupDescription",)
    attributes = ("GroupId", "VpcId")

    def create(self, ctx, logical, props):
        ec2 = ctx.client("ec2")
        kw = {"GroupName": props.get("GroupName") or ctx.physical_name(logical, 255),
              "Description": props["GroupDescription"],
              "TagSpecifications": _spec(ctx, logical, props, "security-group")}
        if props.get("VpcId"):
            kw["VpcId"] = props["VpcId"]
        gid = _call(lambda: ec2.create_security_group(**kw)["GroupId"])
        ctx.partial(gid, {"GroupId": gid, "VpcId": props.get("VpcId")})
        ing = [_permission(r, logical) for r in props.get("SecurityGroupIngress", [])]
        if ing:
            _call(lambda: ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=ing))
        if "SecurityGroupEgress" in props:
            # CloudFormation: given egress rules replace the default allow-all rule.
            _call(lambda: ec2.revoke_security_group_egress(GroupId=gid, IpPermissions=[
                {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]))
            eg = [_permission(r, logical) for r in props["SecurityGroupEgress"]]
            if eg:
                _call(lambda: ec2.authorize_security_group_egress(GroupId=gid, IpPermissions=eg))
        return gid, {"GroupId": gid, "VpcId": props.get("VpcId")}

    def delete(self, ctx, res):
        _delete(ctx, lambda ec2: ec2.delete_security_group(GroupId=res["PhysicalResourceId"]),
                "InvalidGroup.NotFound")


class Ec2SecurityGroupIngress(Provider):
    props = ("GroupId",) + _RULE_KEYS
    required = ("GroupId", "IpProtocol")

    def create(self, ctx, logical, props):
        ec2 = ctx.client("ec2")
        perm = _permission(props, logical)
        r = _call(lambda: ec2.authorize_security_group_ingress(GroupId=props["GroupId"],
                                                                IpPermissions=[perm]))
        rid = (r.get("SecurityGroupRules") or [{}])[0].get("SecurityGroupRuleId") or \
            f"sgr-{uuid.uuid4().hex[:17]}"
        return rid, {}

    def delete(self, ctx, res):
        p = res["Properties"]
        _delete(ctx, lambda ec2: ec2.revoke_security_group_ingress(
            GroupId=p["GroupId"], IpPermissions=[_permission(p, res["LogicalResourceId"])]),
            "InvalidGroup.NotFound", "InvalidPermission.NotFound")


def _elb(ctx):
    return ctx.client("elbv2")


def _elb_name(ctx, logical):
    # CloudFormation's generated load balancer / target group names fit ELB's 32 characters
    # of letters, digits and hyphens.
    base = re.sub(r"[^A-Za-z0-9-]", "", f"{ctx.stack.name[:10]}-{logical[:8]}")
    return f"{base}-{uuid.uuid4().hex[:12]}"[:32].strip("-")


class ElbLoadBalancer(Provider):
    props = ("IpAddressType", "LoadBalancerAttributes", "Name", "Scheme", "SecurityGroups",
             "Subnets", "Tags", "Type")
    attributes = ("CanonicalHostedZoneID", "DNSName", "LoadBalancerFullName", "LoadBalancerName",
                  "SecurityGroups")

    def create(self, ctx, logical, props):
        elb = _elb(ctx)
        kw = {"Name": props.get("Name") or _elb_name(ctx, logical),
              "Subnets": props.get("Subnets", []), "Type": props.get("Type", "application"),
              "Scheme": props.get("Scheme", "internet-facing"), "Tags": _tags(ctx, logical, props)}
        if "SecurityGroups" in props:
            kw["SecurityGroups"] = props["SecurityGroups"]
        if "IpAddressType" in props:
            kw["IpAddressType"] = props["IpAddressType"]
        lb = _call(lambda: elb.create_load_balancer(**kw)["LoadBalancers"][0])
        arn = lb["LoadBalancerArn"]
        attrs = {"CanonicalHostedZoneID": lb.get("CanonicalHostedZoneId"), "DNSName": lb["DNSName"],
                 "LoadBalancerFullName": arn.split(":loadbalancer/", 1)[1],
                 "LoadBalancerName": lb["LoadBalancerName"], "SecurityGroups": lb.get("SecurityGroups", [])}
        ctx.partial(arn, attrs)
        if props.get("LoadBalancerAttributes"):
            _call(lambda: elb.modify_load_balancer_attributes(
                LoadBalancerArn=arn, Attributes=[{"Key": a["Key"], "Value": str(a["Value"])}
                                                 for a in props["LoadBalancerAttributes"]]))
        return arn, attrs

    def delete(self, ctx, res):
        try:
            _elb(ctx).delete_load_balancer(LoadBalancerArn=res["PhysicalResourceId"])
        except Exception as e:                    # noqa: BLE001
            if not _gone(e, "LoadBalancerNotFound"):
                raise CfnError(_aws_message(e)) from None


class ElbTargetGroup(Provider):
    props = ("HealthCheckEnabled", "HealthCheckIntervalSeconds", "HealthCheckPath",
             "HealthCheckPort", "HealthCheckProtocol", "HealthCheckTimeoutSeconds",
             "HealthyThresholdCount", "Matcher", "Name", "Port", "Protocol", "Tags", "TargetType",
             "UnhealthyThresholdCount", "VpcId")
    attributes = ("LoadBalancerArns", "TargetGroupFullName", "TargetGroupName")
    INTS = ("Port", "HealthCheckIntervalSeconds", "HealthCheckTimeoutSeconds",
            "HealthyThresholdCount", "UnhealthyThresholdCount")

    def create(self, ctx, logical, props):
        kw = _ints({k: v for k, v in props.items() if k not in ("Tags", "Name")}, *self.INTS)
        if "HealthCheckEnabled" in kw:
            kw["HealthCheckEnabled"] = _bool(kw["HealthCheckEnabled"])
        kw["Name"] = props.get("Name") or _elb_name(ctx, logical)
        kw["Tags"] = _tags(ctx, logical, props)
        tg = _call(lambda: _elb(ctx).create_target_group(**kw)["TargetGroups"][0])
        arn = tg["TargetGroupArn"]
        return arn, {"LoadBalancerArns": tg.get("LoadBalancerArns", []),
                     "TargetGroupFullName": arn.split(":", 5)[5], "TargetGroupName": tg["TargetGroupName"]}

    def delete(self, ctx, res):
        try:
            _elb(ctx).delete_target_group(TargetGroupArn=res["PhysicalResourceId"])
        except Exception as e:                    # noqa: BLE001
            if not _gone(e, "TargetGroupNotFound"):
                raise CfnError(_aws_message(e)) from None


class ElbListener(Provider):
    props = ("AlpnPolicy", "Certificates", "DefaultActions", "LoadBalancerArn", "Port",
             "Protocol", "SslPolicy")
    required = ("DefaultActions", "LoadBalancerArn")
    attributes = ("ListenerArn",)

    def create(self, ctx, logical, props):
        kw = _ints(dict(props), "Port")
        li = _call(lambda: _elb(ctx).create_listener(**kw)["Listeners"][0])
        return li["ListenerArn"], {"ListenerArn": li["ListenerArn"]}

    def delete(self, ctx, res):
        try:
            _elb(ctx).delete_listener(ListenerArn=res["PhysicalResourceId"])
        except Exception as e:                    # noqa: BLE001
            if not _gone(e, "ListenerNotFound", "LoadBalancerNotFound"):
                raise CfnError(_aws_message(e)) from None


class RdsSubnetGroup(Provider):
    props = ("DBSubnetGroupDescription", "DBSubnetGroupName", "SubnetIds", "Tags")
    required = ("DBSubnetGroupDescription", "SubnetIds")

    def create(self, ctx, logical, props):
        name = props.get("DBSubnetGroupName") or ctx.physical_name(logical, 255).lower()
        _call(lambda: ctx.client("rds").create_db_subnet_group(
            DBSubnetGroupName=name, DBSubnetGroupDescription=props["DBSubnetGroupDescription"],
            SubnetIds=props["SubnetIds"], Tags=_tags(ctx, logical, props)))
        return name, {}

    def delete(self, ctx, res):
        try:
            ctx.client("rds").delete_db_subnet_group(DBSubnetGroupName=res["PhysicalResourceId"])
        except Exception as e:                    # noqa: BLE001
            if not _gone(e, "DBSubnetGroupNotFoundFault"):
                raise CfnError(_aws_message(e)) from None


class RdsDbInstance(Provider):
    props = ("AllocatedStorage", "BackupRetentionPeriod", "DBInstanceClass",
             "DBInstanceIdentifier", "DBName", "DBSubnetGroupName", "DeletionProtection",
             "EnableIAMDatabaseAuthentication", "Engine", "EngineVersion",
             "ManageMasterUserPassword", "MasterUsername", "MultiAZ", "PubliclyAccessible",
             "StorageEncrypted", "StorageType", "Tags", "VPCSecurityGroups")
    required = ("DBInstanceClass",)
    attributes = ("DBInstanceArn", "Endpoint.Address", "Endpoint.Port",
                  "MasterUserSecret.SecretArn")
    BOOLS = ("DeletionProtection", "EnableIAMDatabaseAuthentication", "ManageMasterUserPassword",
             "MultiAZ", "PubliclyAccessible", "StorageEncrypted")

    def create(self, ctx, logical, props):
        kw = {k: v for k, v in props.items() if k not in ("VPCSecurityGroups", "Tags")}
        for k in self.BOOLS:
            if k in kw:
                kw[k] = _bool(kw[k])
        for k in ("AllocatedStorage", "BackupRetentionPeriod"):
            if k in kw:
                kw[k] = int(kw[k])
        kw["DBInstanceIdentifier"] = props.get("DBInstanceIdentifier") or \
            ctx.physical_name(logical, 63).lower()
        if "VPCSecurityGroups" in props:
            kw["VpcSecurityGroupIds"] = props["VPCSecurityGroups"]
        kw["Tags"] = _tags(ctx, logical, props)
        db = _call(lambda: ctx.client("rds").create_db_instance(**kw)["DBInstance"])
        ep = db.get("Endpoint") or {}
        return kw["DBInstanceIdentifier"], {
            "DBInstanceArn": db["DBInstanceArn"], "Endpoint.Address": ep.get("Address"),
            "Endpoint.Port": str(ep.get("Port", "")),
            "MasterUserSecret.SecretArn": (db.get("MasterUserSecret") or {}).get("SecretArn")}

    def delete(self, ctx, res):
        kw = {"DBInstanceIdentifier": res["PhysicalResourceId"]}
        if ctx.deletion_policy == "Snapshot":
            kw["FinalDBSnapshotIdentifier"] = f"{res['PhysicalResourceId']}-final"[:255]
        else:
            kw["SkipFinalSnapshot"] = True
        try:
            ctx.client("rds").delete_db_instance(**kw)
        except Exception as e:                    # noqa: BLE001
            if not _gone(e, "DBInstanceNotFound", "DBInstanceNotFoundFault"):
                raise CfnError(_aws_message(e)) from None


class Ec2Volume(Provider):
    props = ("AutoEnableIO", "AvailabilityZone", "Encrypted", "Iops", "KmsKeyId", "Size",
             "SnapshotId", "Tags", "Throughput", "VolumeType")
    required = ("AvailabilityZone",)
    attributes = ("VolumeId",)

    def create(self, ctx, logical, props):
        if "AutoEnableIO" in props:
            raise Unsupported(f"{logical}: AutoEnableIO is not modelled")
        kw = _ints({k: v for k, v in props.items() if k != "Tags"}, "Size", "Iops", "Throughput")
        if "Encrypted" in kw:
            kw["Encrypted"] = _bool(kw["Encrypted"])
        kw["TagSpecifications"] = _spec(ctx, logical, props, "volume")
        v = _call(lambda: ctx.client("ec2").create_volume(**kw))
        return v["VolumeId"], {"VolumeId": v["VolumeId"]}

    def delete(self, ctx, res):
        vid = res["PhysicalResourceId"]
        if ctx.deletion_policy == "Snapshot":
            ec2 = ctx.client("ec2")
            try:
                ec2.create_snapshot(VolumeId=vid, Description=f"{ctx.stack.name} {res['LogicalResourceId']}")
            except Exception as e:                # noqa: BLE001
                if not _gone(e, "InvalidVolume.NotFound"):
                    raise CfnError(_aws_message(e)) from None
        _delete(ctx, lambda ec2: ec2.delete_volume(VolumeId=vid), "InvalidVolume.NotFound")


class Ec2LaunchTemplate(Provider):
    props = ("LaunchTemplateData", "LaunchTemplateName", "TagSpecifications", "VersionDescription")
    required = ("LaunchTemplateData",)
    attributes = ("DefaultVersionNumber", "LatestVersionNumber", "LaunchTemplateId")

    def create(self, ctx, logical, props):
        data = json.loads(json.dumps(props["LaunchTemplateData"]))
        for bd in data.get("BlockDeviceMappings", []):
            ebs = bd.get("Ebs") or {}
            for k in ("VolumeSize", "Iops", "Throughput"):
                if k in ebs:
                    ebs[k] = int(ebs[k])
            for k in ("Encrypted", "DeleteOnTermination"):
                if k in ebs:
                    ebs[k] = _bool(ebs[k])
        mo = data.get("MetadataOptions") or {}
        if "HttpPutResponseHopLimit" in mo:
            mo["HttpPutResponseHopLimit"] = int(mo["HttpPutResponseHopLimit"])
        name = props.get("LaunchTemplateName") or ctx.physical_name(logical, 128)
        lt = _call(lambda: ctx.client("ec2").create_launch_template(
            LaunchTemplateName=name, LaunchTemplateData=data)["LaunchTemplate"])
        return lt["LaunchTemplateId"], {
            "DefaultVersionNumber": str(lt["DefaultVersionNumber"]),
            "LatestVersionNumber": str(lt["LatestVersionNumber"]),
            "LaunchTemplateId": lt["LaunchTemplateId"]}

    def delete(self, ctx, res):
        _delete(ctx, lambda ec2: ec2.delete_launch_template(LaunchTemplateId=res["PhysicalResourceId"]),
                "InvalidLaunchTemplateId.NotFound")


def _iso_duration(text):
    m = re.fullmatch(r"PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?", str(text))
    if not m or not any(m.groups()):
        raise CfnError(f"CreationPolicy Timeout {text!r} is not an ISO 8601 duration PT#H#M#S")
    h, mi, s = (int(x or 0) for x in m.groups())
    return h * 3600 + mi * 60 + s


class AutoScalingGroup(Provider):
    props = ("AutoScalingGroupName", "Cooldown", "DesiredCapacity", "HealthCheckGracePeriod",
             "HealthCheckType", "LaunchTemplate", "MaxSize", "MinSize", "Tags",
             "TargetGroupARNs", "VPCZoneIdentifier")
    required = ("MaxSize", "MinSize")
    INTS = ("Cooldown", "DesiredCapacity", "HealthCheckGracePeriod", "MaxSize", "MinSize")

    def create(self, ctx, logical, props):
        kw = _ints({k: v for k, v in props.items() if k != "Tags"}, *self.INTS)
        kw["AutoScalingGroupName"] = props.get("AutoScalingGroupName") or ctx.physical_name(logical, 255)
        if isinstance(kw.get("VPCZoneIdentifier"), list):
            kw["VPCZoneIdentifier"] = ",".join(kw["VPCZoneIdentifier"])
        kw["Tags"] = [dict(t, PropagateAtLaunch=_bool(t.get("PropagateAtLaunch", True)))
                      for t in _tags(ctx, logical, props)]
        asg = ctx.client("autoscaling")
        name = kw["AutoScalingGroupName"]
        _call(lambda: asg.create_auto_scaling_group(**kw))
        ctx.partial(name, {})
        policy = ctx.stack.template["Resources"][logical].get("CreationPolicy")
        if policy:
            g = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]
            ctx.stack.wait_for_signals(logical, ctx.stack.eval(policy),
                                       [i["InstanceId"] for i in g["Instances"]])
        return name, {}

    def delete(self, ctx, res):
        try:
            ctx.client("autoscaling").delete_auto_scaling_group(
                AutoScalingGroupName=res["PhysicalResourceId"], ForceDelete=True)
        except Exception as e:                    # noqa: BLE001
            if "not found" not in str(e).lower():
                raise CfnError(_aws_message(e)) from None


# ---- Service Catalog (servicecatalog.py holds the catalog and AWS's rules) ----

def _sc(call):
    try:
        return call()
    except servicecatalog.ScError as e:
        raise CfnError(e.message) from None


class ScPortfolio(Provider):
    props = ("AcceptLanguage", "Description", "DisplayName", "ProviderName", "Tags")
    required = ("DisplayName", "ProviderName")
    attributes = ("PortfolioName",)

    def create(self, ctx, logical, props):
        pid = _sc(lambda: ctx.sim.catalog.create_portfolio(ctx.account, props))
        return pid, {"PortfolioName": props["DisplayName"]}

    def delete(self, ctx, res):
        _sc(lambda: ctx.sim.catalog.delete_portfolio(ctx.account, res["PhysicalResourceId"]))


class ScProduct(Provider):
    props = ("AcceptLanguage", "Description", "Distributor", "Name", "Owner", "ProductType",
             "ProvisioningArtifactParameters", "ReplaceProvisioningArtifacts", "SupportDescription",
             "SupportEmail", "SupportUrl", "Tags")
    required = ("Name", "Owner")
    attributes = ("ProductName", "ProvisioningArtifactIds", "ProvisioningArtifactNames")

    def create(self, ctx, logical, props):
        if props.get("ProductType", "CLOUD_FORMATION_TEMPLATE") != "CLOUD_FORMATION_TEMPLATE":
            raise Unsupported(f"{logical}: ProductType {props['ProductType']} is not modelled")
        pid, arts = _sc(lambda: ctx.sim.catalog.create_product(ctx.account, props))
        return pid, {"ProductName": props["Name"],
                     "ProvisioningArtifactIds": ",".join(a["id"] for a in arts),
                     "ProvisioningArtifactNames": ",".join(a["name"] for a in arts)}

    def delete(self, ctx, res):
        _sc(lambda: ctx.sim.catalog.delete_product(ctx.account, res["PhysicalResourceId"]))


class ScAssociation(Provider):
    props = ("AcceptLanguage", "PortfolioId", "ProductId", "SourcePortfolioId")
    required = ("PortfolioId", "ProductId")

    def create(self, ctx, logical, props):
        if "SourcePortfolioId" in props:
            raise Unsupported(f"{logical}: SourcePortfolioId is not modelled")
        return _sc(lambda: ctx.sim.catalog.associate(ctx.account, props["PortfolioId"],
                                                     props["ProductId"])), {}

    def delete(self, ctx, res):
        p = res["Properties"]
        _sc(lambda: ctx.sim.catalog.disassociate(ctx.account, p["PortfolioId"], p["ProductId"]))


class ScLaunchRoleConstraint(Provider):
    props = ("AcceptLanguage", "Description", "LocalRoleName", "PortfolioId", "ProductId", "RoleArn")
    required = ("PortfolioId", "ProductId")

    def create(self, ctx, logical, props):
        # "The given role name must exist in the account used to create the launch constraint
        # and the account of the user who launches a product with this launch constraint."
        # (aws-resource-servicecatalog-launchroleconstraint.html)
        name = props.get("LocalRoleName") or str(props.get("RoleArn", "")).rsplit("/", 1)[-1]
        if name:
            try:
                ctx.client("iam").get_role(RoleName=name)
            except Exception as e:                # noqa: BLE001
                if _aws_code(e) == "NoSuchEntity":
                    raise CfnError(f"launch role {name} does not exist in account {ctx.account}: "
                                   "deploy templates/client-launch-role.yaml here first") from None
                raise
        return _sc(lambda: ctx.sim.catalog.create_constraint(ctx.account, "LAUNCH", props)), {}

    def delete(self, ctx, res):
        _sc(lambda: ctx.sim.catalog.delete_constraint(ctx.account, res["PhysicalResourceId"]))


class ScTemplateConstraint(ScLaunchRoleConstraint):
    props = ("AcceptLanguage", "Description", "PortfolioId", "ProductId", "Rules")
    required = ("PortfolioId", "ProductId", "Rules")

    def create(self, ctx, logical, props):
        return _sc(lambda: ctx.sim.catalog.create_constraint(ctx.account, "TEMPLATE", props)), {}


class ScPortfolioShare(Provider):
    props = ("AcceptLanguage", "AccountId", "PortfolioId", "ShareTagOptions")
    required = ("AccountId", "PortfolioId")

    def create(self, ctx, logical, props):
        return _sc(lambda: ctx.sim.catalog.share(ctx.account, props["PortfolioId"],
                                                 str(props["AccountId"]))), {}

    def delete(self, ctx, res):
        p = res["Properties"]
        _sc(lambda: ctx.sim.catalog.unshare(ctx.account, p["PortfolioId"], str(p["AccountId"])))


class LaunchRole:
    """A played Service Catalog launch: the product's stack is created (and deleted) as the
    launch role: cfnsim checks the role trusts servicecatalog.amazonaws.com, makes the calls
    with the role's own session (awsenv's service sessions), which awsenv judges by the role's
    policies (tests/awsenv/iam_eval.py), and judges the calls that do not reach awsenv
    (Lambda, CloudFormation, S3, iam:PassRole) itself with the same evaluator (cfnsim_iam):
    what the role does not allow fails as AccessDenied."""

    def __init__(self, sim, account, role_arn, template_url):
        self.sim, self.account, self.role_arn, self.template_url = sim, account, role_arn, template_url
        self.role_name = role_arn.rsplit("/", 1)[1]
        self.docs, self.creds = None, None

    def begin(self, stack, action="cloudformation:CreateStack"):
        iam = self.sim.aws.client("iam", self.account)
        try:
            role = iam.get_role(RoleName=self.role_name)["Role"]
        except Exception:                         # noqa: BLE001
            raise CfnError(f"launch role {self.role_arn} does not exist") from None
        trust = role["AssumeRolePolicyDocument"]
        if isinstance(trust, str):
            from urllib.parse import unquote
            trust = json.loads(unquote(trust))
        if not cfnsim_iam.trusts_service(trust, "servicecatalog.amazonaws.com"):
            raise CfnError(f"launch role {self.role_arn} does not trust servicecatalog.amazonaws.com")
        self.docs = cfnsim_iam.role_policies(iam, self.role_name)
        try:
            self.authorize(action, stack.id)
            if action == "cloudformation:CreateStack":
                self.authorize("s3:GetObject", _s3_arn(self.template_url))
        except Exception as e:                    # noqa: BLE001  (AccessDenied)
            raise CfnError(_aws_message(e)) from None
        c = self.sim.aws.service_session(self.role_arn, "servicecatalog.amazonaws.com",
                                         "ServiceCatalogProvisioning")
        self.creds = (c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])

    def end(self):
        self.creds = None

    def credentials(self):
        return self.creds

    def authorize(self, action, resource):
        try:
            d = cfnsim_iam.decide(self.docs, action, resource, self.role_arn, self.sim.aws.region)
        except cfnsim_iam.Unsupported as e:
            raise Unsupported(f"launch role {self.role_name}: {e}") from None
        if d != "Allow":
            why = "an explicit deny" if d == "ExplicitDeny" else "no identity-based policy allows it"
            from botocore.exceptions import ClientError
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": (
                f"User: arn:aws:sts::{self.account}:assumed-role/{self.role_name}/"
                f"ServiceCatalogProvisioning is not authorized to perform: {action} on resource: "
                f"{resource} because {why}")}}, action.split(":", 1)[1])


def _s3_arn(url):
    u = urlsplit(url)
    host, path = u.hostname or "", u.path.lstrip("/")
    m = re.fullmatch(r"(.+)\.s3[.-]?([a-z0-9-]*)\.amazonaws\.com", host)
    if m and not m.group(1).startswith("s3"):
        bucket, key = m.group(1), path
    elif re.fullmatch(r"s3[.-]?([a-z0-9-]*)\.amazonaws\.com", host):
        bucket, _, key = path.partition("/")
    else:
        raise CfnError(f"TemplateURL {url} is not an Amazon S3 URL")
    return cfnsim_iam.named_resource("s3", {"Bucket": bucket, "Key": key}, None, None)


EC2_ID_TYPES = ("AWS::EC2::VPC::Id", "AWS::EC2::Subnet::Id", "AWS::EC2::SecurityGroup::Id")

PROVIDERS = {
    "AWS::IAM::Role": IamRole(),
    "AWS::IAM::Policy": IamPolicy(),
    "AWS::Lambda::Function": LambdaFunction(),
    "AWS::CloudFormation::CustomResource": CustomResource(),
    "AWS::EC2::VPC": Ec2Vpc(),
    "AWS::EC2::Subnet": Ec2Subnet(),
    "AWS::EC2::InternetGateway": Ec2InternetGateway(),
    "AWS::EC2::VPCGatewayAttachment": Ec2GatewayAttachment(),
    "AWS::EC2::RouteTable": Ec2RouteTable(),
    "AWS::EC2::Route": Ec2Route(),
    "AWS::EC2::PrefixList": Ec2PrefixList(),
    "AWS::EC2::SubnetRouteTableAssociation": Ec2SubnetRouteTableAssociation(),
    "AWS::EC2::VPCPeeringConnection": Ec2VpcPeeringConnection(),
    "AWS::ServiceCatalog::Portfolio": ScPortfolio(),
    "AWS::ServiceCatalog::CloudFormationProduct": ScProduct(),
    "AWS::ServiceCatalog::PortfolioProductAssociation": ScAssociation(),
    "AWS::ServiceCatalog::LaunchRoleConstraint": ScLaunchRoleConstraint(),
    "AWS::ServiceCatalog::LaunchTemplateConstraint": ScTemplateConstraint(),
    "AWS::ServiceCatalog::PortfolioShare": ScPortfolioShare(),
    "AWS::IAM::InstanceProfile": IamInstanceProfile(),
    "AWS::EC2::SecurityGroup": Ec2SecurityGroup(),
    "AWS::EC2::SecurityGroupIngress": Ec2SecurityGroupIngress(),
    "AWS::EC2::Volume": Ec2Volume(),
    "AWS::EC2::LaunchTemplate": Ec2LaunchTemplate(),
    "AWS::ElasticLoadBalancingV2::LoadBalancer": ElbLoadBalancer(),
    "AWS::ElasticLoadBalancingV2::TargetGroup": ElbTargetGroup(),
    "AWS::ElasticLoadBalancingV2::Listener": ElbListener(),
    "AWS::RDS::DBSubnetGroup": RdsSubnetGroup(),
    "AWS::RDS::DBInstance": RdsDbInstance(),
    "AWS::AutoScaling::AutoScalingGroup": AutoScalingGroup(),
}
# templates/hub-tgw.yaml's types (tgw_providers.py): through awsenv's own transit gateways
# and RAM, not moto's backend.
import tgw_providers  # noqa: E402
PROVIDERS.update(tgw_providers.providers(sys.modules[__name__]))
# DeletionPolicy Snapshot, where CloudFormation offers it among the modelled types.
SNAPSHOT_TYPES = ("AWS::EC2::Volume", "AWS::RDS::DBInstance")
IAM_TYPES = ("AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group", "AWS::IAM::Policy",
             "AWS::IAM::ManagedPolicy", "AWS::IAM::InstanceProfile", "AWS::IAM::AccessKey")
# The parts of templates/hub.yaml that run the broker host; the tests run the broker locally.
HUB_BROKER_HOST_TYPES = ("AWS::EC2::Instance", "AWS::EC2::EIP", "AWS::IAM::InstanceProfile",
                         "AWS::EC2::SecurityGroup")


def provider(rtype):
    if rtype.startswith("Custom::"):
        return PROVIDERS["AWS::CloudFormation::CustomResource"]
    return PROVIDERS.get(rtype)


# ==========================================================================================
# stacks
# ==========================================================================================

class _Ctx:
    def __init__(self, stack, rtype, record):
        self.stack, self.sim, self.rtype, self.record = stack, stack.sim, rtype, record
        self.account, self.region = stack.account, stack.region
        self.deletion_policy = record.get("DeletionPolicy", "Delete")

    def client(self, service):
        launch = self.stack.launch
        if launch is None:
            return self.sim.aws.client(service, self.account)
        # the launch role's session: awsenv judges each call by the role's policies
        return self.sim.aws.client(service, creds=launch.credentials())

    def authorize(self, action, resource):
        """In a played Service Catalog launch, the launch role must allow ACTION on
        RESOURCE, a call that does not reach awsenv (cfnsim_iam); elsewhere nothing to
        judge."""
        if self.stack.launch is not None:
            self.stack.launch.authorize(action, resource)

    def physical_name(self, logical, limit):
        rand = uuid.uuid4().hex[:12].upper()
        base = f"{self.stack.name}-{logical}"[:limit - 13]
        return f"{base}-{rand}"

    def partial(self, physical, attrs):
        """Records a physical id known before the create finished, so a failure still
        deletes it on rollback (as CloudFormation does for a CREATE_FAILED resource)."""
        if physical:
            self.record["PhysicalResourceId"] = physical
            self.record["Attributes"] = attrs


class Stack:
    def __init__(self, sim, name, template, account, parameters, capabilities, skip_types,
                 disable_rollback, launch=None):
        self.sim = sim
        self.launch = launch       # a played Service Catalog launch (LaunchRole) or None
        self.name = name
        self.account = sim.aws.account_id(account)
        self.region = sim.aws.region
        self.id = f"arn:aws:cloudformation:{self.region}:{self.account}:stack/{name}/{uuid.uuid4()}"
        self.template = template
        self.parameters_in = dict(parameters or {})
        self.capabilities = set(capabilities or ())
        self.skip_types = set(skip_types or ())
        self.disable_rollback = disable_rollback
        self.status = None
        self.status_reason = None
        self.events = []
        self.resources = {}        # logical -> record (created or failed with a physical id)
        self.order = []            # creation order of the records
        self.skipped = set()
        self.outputs = {}
        self.requests = []         # custom-resource events sent
        self.params = {}
        self.conditions = {}
        self._azs = None

    # ---- events ----
    def event(self, logical, rtype, status, physical=None, reason=None):
        e = {"Timestamp": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
             "StackName": self.name, "LogicalResourceId": logical, "ResourceType": rtype,
             "ResourceStatus": status, "PhysicalResourceId": physical or "",
             "ResourceStatusReason": reason or ""}
        self.events.append(e)
        if self.sim.on_event:
            self.sim.on_event(e)

    def stack_status(self, status, reason=None):
        self.status, self.status_reason = status, reason
        self.event(self.name, "AWS::CloudFormation::Stack", status, self.id, reason)

    def note(self, logical, text):
        pass

    def failure_reasons(self):
        return [f"{e['LogicalResourceId']}: {e['ResourceStatusReason']}" for e in self.events
                if e["ResourceStatus"].endswith("FAILED") and e["ResourceStatusReason"]]

    # ---- validation ----
    def validate(self):
        t = self.template
        res = t["Resources"]
        unknown = sorted({r.get("Type") for r in res.values()
                          if provider(r.get("Type", "")) is None and r.get("Type") not in self.skip_types})
        if unknown:
            raise Unsupported(f"Template format error: resource types not modelled by cfnsim: {unknown}")
        for k in t:
            if k not in ("AWSTemplateFormatVersion", "Description", "Parameters", "Conditions",
                         "Resources", "Outputs", "Mappings", "Metadata", "Rules"):
                raise Unsupported(f"Template section {k} is not modelled")
        names = set(res) | set(t.get("Parameters", {})) | set(PSEUDO)
        conds = t.get("Conditions", {})
        for logical, r in res.items():
            for k in r:
                if k not in ("Type", "Properties", "DependsOn", "Condition", "DeletionPolicy",
                             "UpdateReplacePolicy", "Metadata", "CreationPolicy", "UpdatePolicy"):
                    raise Unsupported(f"{logical}: resource attribute {k} is not modelled")
            dp = r.get("DeletionPolicy", "Delete")
            if dp not in ("Delete", "Retain") and not (dp == "Snapshot" and r["Type"] in SNAPSHOT_TYPES):
                raise Unsupported(f"{logical}: DeletionPolicy {dp} is not modelled for {r['Type']}")
            cp = r.get("CreationPolicy")
            if cp is not None and (r["Type"] != "AWS::AutoScaling::AutoScalingGroup"
                                   or set(cp) != {"ResourceSignal"}):
                raise Unsupported(f"{logical}: only an Auto Scaling group's CreationPolicy "
                                  "ResourceSignal is modelled")
            # UpdatePolicy is read only by stack updates, which cfnsim does not model.
            if "Condition" in r and r["Condition"] not in conds:
                raise ValidationError(f"Template format error: Unresolved condition "
                                      f"{r['Condition']} for resource {logical}")
            for d in _as_list(r.get("DependsOn")):
                if d not in res:
                    raise ValidationError(f"Template format error: Unresolved resource "
                                          f"dependencies [{d}] in the Resources block of the template")
            p = provider(r["Type"])
            if p is None:
                continue
            props = r.get("Properties") or {}
            if p.props is not None:
                extra = sorted(set(props) - set(p.props))
                if extra:
                    raise Unsupported(f"{logical} ({r['Type']}): properties not modelled: {extra}")
            for req in p.required:
                if req not in props:
                    raise ValidationError(f"{logical}: Properties validation failed: required "
                                          f"key [{req}] not found")
        calls = []
        _walk_intrinsics({"R": res, "O": t.get("Outputs", {}), "C": conds}, calls)
        for fn, arg in calls:
            if fn not in FUNCTIONS:
                raise Unsupported(f"Template uses {fn}, which cfnsim does not model")
            if fn == "Ref" and arg not in names:
                raise ValidationError(f"Template format error: Unresolved resource dependencies "
                                      f"[{arg}] in the Resources block of the template")
            if fn == "Fn::GetAtt" and (not isinstance(arg, list) or arg[0] not in res):
                raise ValidationError(f"Template error: instance of Fn::GetAtt references "
                                      f"undefined resource {arg}")
            if fn == "Condition" and arg not in conds:
                raise ValidationError(f"Template format error: Unresolved condition {arg}")
            if fn == "Fn::If" and (not isinstance(arg, list) or len(arg) != 3 or arg[0] not in conds):
                raise ValidationError(f"Template error: Fn::If requires a defined condition: {arg}")
            if fn == "Fn::Sub":
                text = arg if isinstance(arg, str) else arg[0]
                local = {} if isinstance(arg, str) else arg[1]
                for n in _sub_names(text):
                    head = n.split(".")[0]
                    if n not in local and n not in names and head not in res:
                        raise ValidationError(f"Template format error: Unresolved resource "
                                              f"dependencies [{n}] in the Resources block of the template")
        iam = [r for r in res.values() if r["Type"] in IAM_TYPES and r["Type"] not in self.skip_types]
        need = None
        if any((r.get("Properties") or {}).get("RoleName") for r in iam):
            need = "CAPABILITY_NAMED_IAM"
        elif iam:
            need = "CAPABILITY_IAM"
        if need and need not in self.capabilities and "CAPABILITY_NAMED_IAM" not in self.capabilities:
            raise ValidationError(f"Requires capabilities : [{need}]")
        self.dependencies()          # raises on a cycle

    def dependencies(self):
        res = self.template["Resources"]
        deps = {}
        for logical, r in res.items():
            d = set(_as_list(r.get("DependsOn")))
            calls = []
            _walk_intrinsics(r.get("Properties") or {}, calls)
            for fn, arg in calls:
                if fn == "Ref" and arg in res:
                    d.add(arg)
                elif fn == "Fn::GetAtt":
                    d.add(arg[0])
                elif fn == "Fn::Sub":
                    text = arg if isinstance(arg, str) else arg[0]
                    local = {} if isinstance(arg, str) else arg[1]
                    for n in _sub_names(text):
                        if n not in local and n.split(".")[0] in res:
                            d.add(n.split(".")[0])
            deps[logical] = d
        order, done = [], set()
        pending = list(res)
        while pending:
            ready = [x for x in pending if deps[x] <= done]
            if not ready:
                raise ValidationError(f"Circular dependency between resources: {sorted(pending)}")
            x = ready[0]                 # template order among the ready ones
            order.append(x)
            done.add(x)
            pending.remove(x)
        self._deps = deps
        return order

    def resolve_parameters(self):
        decl = self.template.get("Parameters", {})
        unknown = sorted(set(self.parameters_in) - set(decl))
        if unknown:
            raise ValidationError(f"Parameters: {unknown} do not exist in the template")
        missing = [k for k, p in decl.items() if k not in self.parameters_in and "Default" not in p]
        if missing:
            raise ValidationError(f"Parameters: {missing} must have values")
        for k, p in decl.items():
            v = self.parameters_in.get(k, p.get("Default"))
            v = str(v) if not isinstance(v, list) else ",".join(map(str, v))
            typ = p.get("Type", "String")
            if typ.startswith("AWS::SSM::Parameter::Value<"):
                ssm = self.sim.ssm_parameters
                self.params[k] = ssm[v] if v in ssm else _LazyMissing(k, typ, v)
                continue
            for c in (v.split(",") if typ in ("CommaDelimitedList", "List<Number>") else [v]):
                self._check_parameter(k, p, c, typ)
            if typ in ("CommaDelimitedList", "List<Number>"):
                self.params[k] = v.split(",")
            elif typ in ("String", "Number") + EC2_ID_TYPES + ("AWS::EC2::AvailabilityZone::Name",):
                self.params[k] = v
            elif typ.startswith("List<") and typ[5:-1] in EC2_ID_TYPES:
                self.params[k] = v.split(",")
                for c in self.params[k]:
                    self._check_parameter(k, p, c, typ[5:-1])
            else:
                raise Unsupported(f"Parameter {k}: type {typ} is not modelled")

    def _check_parameter(self, k, p, v, typ):
        if "AllowedValues" in p and v not in [str(x) for x in p["AllowedValues"]]:
            raise ValidationError(f"Parameter '{k}' must be one of AllowedValues")
        if "AllowedPattern" in p and not re.fullmatch(p["AllowedPattern"], v):
            raise ValidationError(f"Parameter '{k}' must match pattern {p['AllowedPattern']}")
        if "MinLength" in p and len(v) < int(p["MinLength"]):
            raise ValidationError(f"Parameter '{k}' must contain at least {p['MinLength']} characters")
        if "MaxLength" in p and len(v) > int(p["MaxLength"]):
            raise ValidationError(f"Parameter '{k}' must contain at most {p['MaxLength']} characters")
        if typ in ("Number", "List<Number>"):
            try:
                x = float(v)
            except ValueError:
                raise ValidationError(f"Parameter '{k}' must be a number") from None
            if "MinValue" in p and x < float(p["MinValue"]) or "MaxValue" in p and x > float(p["MaxValue"]):
                raise ValidationError(f"Parameter '{k}' out of range")
        if typ in EC2_ID_TYPES:
            ec2 = self.sim.aws.client("ec2", self.account)
            try:
                if typ == "AWS::EC2::VPC::Id":
                    ec2.describe_vpcs(VpcIds=[v])
                elif typ == "AWS::EC2::SecurityGroup::Id":
                    ec2.describe_security_groups(GroupIds=[v])
                else:
                    ec2.describe_subnets(SubnetIds=[v])
            except Exception:                     # noqa: BLE001
                raise ValidationError(f"Parameter validation failed: parameter value {v} for "
                                      f"parameter name {k} does not exist") from None

    def wait_for_signals(self, logical, policy, instances):
        """CreationPolicy ResourceSignal: Count SUCCESS signals (SignalResource, played by
        the test through Simulator.signal_resource) within Timeout; a FAILURE signal or the
        timeout fails the resource, as CloudFormation does."""
        rs = policy["ResourceSignal"]
        count = int(rs.get("Count", 1))
        timeout = _iso_duration(rs.get("Timeout", "PT5M"))
        wait = timeout if self.sim.service_timeout_cap is None else min(timeout, self.sim.service_timeout_cap)
        sig = self.sim.signals
        key = (self.name, logical)
        with sig:
            self.sim.waiting[key] = {}
        try:
            if self.sim.on_signal_wait:
                self.sim.on_signal_wait(self, logical, list(instances))
            deadline = time.monotonic() + wait
            with sig:
                while True:
                    got = self.sim.waiting[key]
                    bad = [u for u, st in got.items() if st == "FAILURE"]
                    if bad:
                        raise CfnError(f"Received FAILURE signal with UniqueId {bad[0]}")
                    if sum(1 for st in got.values() if st == "SUCCESS") >= count:
                        return
                    left = deadline - time.monotonic()
                    if left <= 0:
                        n = count - sum(1 for st in got.values() if st == "SUCCESS")
                        raise CfnError(f"Failed to receive {n} resource signal(s) within the "
                                       f"specified duration")
                    sig.wait(left)
        finally:
            with sig:
                self.sim.waiting.pop(key, None)

    def check_rules(self):
        """The template's Rules, after the parameters (rules.py)."""
        rules = self.template.get("Rules")
        if not rules:
            return
        decl = self.template.get("Parameters", {})

        def value_of(name, attr):
            typ = decl[name].get("Type", "")
            ids = self.params[name] if isinstance(self.params[name], list) else [self.params[name]]
            if typ.endswith("AWS::EC2::Subnet::Id>") or typ == "AWS::EC2::Subnet::Id":
                if attr not in ("AvailabilityZone", "VpcId"):
                    raise Unsupported(f"Fn::ValueOf {name} {attr} is not modelled")
                subs = self.sim.aws.client("ec2", self.account).describe_subnets(SubnetIds=ids)["Subnets"]
                by = {x["SubnetId"]: x[attr] for x in subs}
                return [by[i] for i in ids]
            raise Unsupported(f"Fn::ValueOf of a {typ} parameter is not modelled")
        try:
            failed = template_rules.evaluate(rules, lambda n: self.params[n], value_of)
        except template_rules.RuleError as e:
            raise Unsupported(f"Rules: {e}") from None
        if failed:
            raise ValidationError("; ".join(failed))

    # ---- intrinsic evaluation ----
    def condition(self, name):
        if name not in self.conditions:
            self.conditions[name] = None         # cycle guard
            v = self.eval(self.template["Conditions"][name])
            if not isinstance(v, bool):
                raise ValidationError(f"Condition {name} does not evaluate to a boolean")
            self.conditions[name] = v
        if self.conditions[name] is None:
            raise ValidationError(f"Circular condition {name}")
        return self.conditions[name]

    def ref(self, name):
        if name in self.params:
            v = self.params[name]
            if isinstance(v, _LazyMissing):
                raise Unsupported(v.message())
            return v
        pseudo = {"AWS::StackName": self.name, "AWS::StackId": self.id, "AWS::Region": self.region,
                  "AWS::AccountId": self.account, "AWS::Partition": "aws",
                  "AWS::URLSuffix": "amazonaws.com", "AWS::NotificationARNs": []}
        if name == "AWS::NoValue":
            return NOVALUE
        if name in pseudo:
            return pseudo[name]
        return self._resource(name)["PhysicalResourceId"]

    def _resource(self, name):
        if name in self.skipped:
            raise _SkippedRef(name)
        r = self.resources.get(name)
        if r is None or r.get("Status") != "CREATE_COMPLETE":
            raise CfnError(f"resource {name} is not available (not created)")
        return r

    def getatt(self, name, attr):
        r = self._resource(name)
        attrs = r["Attributes"]
        if attr not in attrs:
            raise CfnError(f"Template error: resource {name} does not support attribute type "
                           f"{attr} in Fn::GetAtt" + (
                               f" (Data keys: {sorted(attrs)})" if r["Type"].startswith("Custom::") else ""))
        return attrs[attr]

    def eval(self, v):
        if isinstance(v, list):
            out = [self.eval(x) for x in v]
            return [x for x in out if x is not NOVALUE]
        if not isinstance(v, dict):
            return v
        if _is_intrinsic(v):
            fn, a = next(iter(v.items()))
            return self._call(fn, a)
        out = {}
        for k, x in v.items():
            y = self.eval(x)
            if y is not NOVALUE:
                out[k] = y
        return out

    def _call(self, fn, a):
        if fn == "Ref":
            return self.ref(a)
        if fn == "Condition":
            return self.condition(a)
        if fn == "Fn::GetAtt":
            name, attr = (a if isinstance(a, list) else a.split(".", 1))
            return self.getatt(name, self.eval(attr))
        if fn == "Fn::Sub":
            text, local = (a, {}) if isinstance(a, str) else (a[0], self.eval(a[1]))

            def one(m):
                inner = m.group(1)
                if inner.startswith("!"):
                    return "${" + inner[1:] + "}"
                n = inner.strip()
                if n in local:
                    val = local[n]
                elif "." in n and n.split(".")[0] in self.template["Resources"]:
                    val = self.getatt(*n.split(".", 1))
                else:
                    val = self.ref(n)
                if isinstance(val, list):
                    raise CfnError(f"Fn::Sub: {n} is a list")
                return str(val)
            return SUB_RE.sub(one, text)
        if fn == "Fn::Join":
            sep, items = a[0], self.eval(a[1])
            if not isinstance(items, list):
                raise CfnError("Fn::Join needs a list")
            return sep.join(str(x) for x in items)
        if fn == "Fn::Select":
            i, items = int(self.eval(a[0])), self.eval(a[1])
            if not isinstance(items, list) or not 0 <= i < len(items):
                raise CfnError(f"Template error: Fn::Select cannot select nonexistent value at index {i}")
            return items[i]
        if fn == "Fn::Split":
            return str(self.eval(a[1])).split(a[0])
        if fn == "Fn::GetAZs":
            region = self.eval(a) or self.region
            if region != self.region:
                raise Unsupported("Fn::GetAZs of another region")
            if self._azs is None:
                ec2 = self.sim.aws.client("ec2", self.account)
                self._azs = sorted(z["ZoneName"] for z in ec2.describe_availability_zones(
                    Filters=[{"Name": "state", "Values": ["available"]}])["AvailabilityZones"])
            return list(self._azs)
        if fn == "Fn::If":
            return self.eval(a[1] if self.condition(a[0]) else a[2])
        if fn == "Fn::Equals":
            x, y = self.eval(a[0]), self.eval(a[1])
            return str(x) == str(y) if not isinstance(x, (list, dict)) else x == y
        if fn == "Fn::Not":
            return not self._bool(a[0])
        if fn == "Fn::And":
            return all(self._bool(x) for x in a)
        if fn == "Fn::Or":
            return any(self._bool(x) for x in a)
        if fn == "Fn::Base64":
            return base64.b64encode(str(self.eval(a)).encode()).decode()
        if fn == "Fn::FindInMap":
            m, k1, k2 = (self.eval(x) for x in a)
            try:
                return self.template["Mappings"][m][k1][k2]
            except KeyError:
                raise CfnError(f"Fn::FindInMap: no {m}/{k1}/{k2}") from None
        raise Unsupported(f"{fn} is not modelled")

    def _bool(self, x):
        v = self.eval(x)
        if not isinstance(v, bool):
            raise ValidationError(f"not a condition: {x}")
        return v

    # ---- operations ----
    def create(self):
        self.stack_status("CREATE_IN_PROGRESS", "User Initiated")
        try:
            self.validate()
            self.resolve_parameters()
            self.check_rules()
            if self.launch is not None:
                self.launch.begin(self)
            for c in self.template.get("Conditions", {}):
                self.condition(c)
            order = self.dependencies()
        except CfnError as e:
            self.stack_status("ROLLBACK_COMPLETE" if not self.disable_rollback else "CREATE_FAILED",
                              str(e))
            self.validation_error = e
            raise
        failure = None
        for logical in order:
            r = self.template["Resources"][logical]
            rtype = r["Type"]
            if rtype in self.skip_types or self._deps[logical] & self.skipped:
                self.skipped.add(logical)
                self.event(logical, rtype, "SKIPPED", reason="cfnsim: skipped (skip_types)")
                continue
            if "Condition" in r and not self.condition(r["Condition"]):
                continue
            record = {"LogicalResourceId": logical, "Type": rtype, "Status": "CREATE_IN_PROGRESS",
                      "PhysicalResourceId": None, "Attributes": {}, "Properties": {},
                      "DeletionPolicy": r.get("DeletionPolicy", "Delete")}
            self.event(logical, rtype, "CREATE_IN_PROGRESS")
            try:
                props = self.eval(r.get("Properties") or {})
                record["Properties"] = props
                self.resources[logical] = record
                self.order.append(logical)
                ctx = _Ctx(self, rtype, record)
                physical, attrs = provider(rtype).create(ctx, logical, props)
                record.update(PhysicalResourceId=physical, Attributes=attrs, Status="CREATE_COMPLETE")
                self.event(logical, rtype, "CREATE_COMPLETE", physical)
            except _SkippedRef as e:
                raise CfnError(f"{logical} needs skipped resource {e}") from None
            except CfnError as e:
                record["Status"] = "CREATE_FAILED"
                self.event(logical, rtype, "CREATE_FAILED", record["PhysicalResourceId"], str(e))
                failure = f"The following resource(s) failed to create: [{logical}]. {e}"
                break
            except Exception as e:                # noqa: BLE001  (a bug here, or AWS)
                record["Status"] = "CREATE_FAILED"
                self.event(logical, rtype, "CREATE_FAILED", record["PhysicalResourceId"],
                           f"{type(e).__name__}: {e}")
                failure = f"The following resource(s) failed to create: [{logical}]. {e}"
                break
        try:
            return self._finish_create(failure)
        finally:
            if self.launch is not None:
                self.launch.end()

    def _finish_create(self, failure):
        if failure is None:
            try:
                for k, o in (self.template.get("Outputs") or {}).items():
                    if "Condition" in o and not self.condition(o["Condition"]):
                        continue
                    try:
                        self.outputs[k] = self.eval(o["Value"])
                    except _SkippedRef:
                        pass
                self.stack_status("CREATE_COMPLETE")
                return self
            except CfnError as e:
                failure = f"Outputs: {e}"
        if self.disable_rollback:
            self.stack_status("CREATE_FAILED", failure)
            return self
        self.stack_status("ROLLBACK_IN_PROGRESS", failure)
        ok = self._delete_all()
        self.stack_status("ROLLBACK_COMPLETE" if ok else "ROLLBACK_FAILED", failure)
        return self

    def _delete_all(self):
        ok = True
        for logical in reversed(list(self.order)):
            rec = self.resources[logical]
            if rec["PhysicalResourceId"] is None and not rec["Type"].startswith("Custom::"):
                self.resources.pop(logical)
                self.order.remove(logical)
                continue
            if rec.get("DeletionPolicy") == "Retain" and self.status != "ROLLBACK_IN_PROGRESS":
                self.event(logical, rec["Type"], "DELETE_SKIPPED", rec["PhysicalResourceId"])
                self.resources.pop(logical)
                self.order.remove(logical)
                continue
            if rec["PhysicalResourceId"] is None:       # a custom resource that never answered
                rec["PhysicalResourceId"] = f"{self.name}-{logical}-{uuid.uuid4().hex[:12].upper()}"
            self.event(logical, rec["Type"], "DELETE_IN_PROGRESS", rec["PhysicalResourceId"])
            try:
                provider(rec["Type"]).delete(_Ctx(self, rec["Type"], rec), rec)
            except Exception as e:                # noqa: BLE001
                ok = False
                rec["Status"] = "DELETE_FAILED"
                self.event(logical, rec["Type"], "DELETE_FAILED", rec["PhysicalResourceId"], str(e))
                continue
            self.event(logical, rec["Type"], "DELETE_COMPLETE", rec["PhysicalResourceId"])
            self.resources.pop(logical)
            self.order.remove(logical)
        return ok

    def delete(self):
        self.stack_status("DELETE_IN_PROGRESS", "User Initiated")
        if self.launch is not None:
            try:
                self.launch.begin(self, "cloudformation:DeleteStack")
            except CfnError as e:
                self.stack_status("DELETE_FAILED", str(e))
                return self
            try:
                ok = self._delete_all()
            finally:
                self.launch.end()
            self.stack_status("DELETE_COMPLETE" if ok else "DELETE_FAILED",
                              None if ok else "; ".join(self.failure_reasons()[-3:]))
            return self
        ok = self._delete_all()
        self.stack_status("DELETE_COMPLETE" if ok else "DELETE_FAILED",
                          None if ok else "; ".join(self.failure_reasons()[-3:]))
        return self

    # ---- state (for the command line: deploy in one process, delete in another) ----
    def state(self):
        fns = [self.sim.lambdas.get(r["Attributes"].get("Arn")) for r in self.resources.values()
               if r["Type"] == "AWS::Lambda::Function"]
        return {"name": self.name, "id": self.id, "account": self.account, "status": self.status,
                "resources": self.resources, "order": self.order, "outputs": self.outputs,
                "functions": [vars_of(f) for f in fns if f is not None]}


def vars_of(fn):
    return {k: getattr(fn, k) for k in ("name", "arn", "account", "region", "role_arn", "runtime",
                                        "handler", "timeout", "memory", "variables")}


class _LazyMissing:
    def __init__(self, name, typ, value):
        self.name, self.typ, self.value = name, typ, value

    def message(self):
        return (f"Parameter {self.name} ({self.typ}) = {self.value}: SSM parameters are not "
                "modelled; give the simulator ssm_parameters or skip what uses it")


class _SkippedRef(Exception):
    pass


def _as_list(v):
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


class Simulator:
    """CloudFormation for one AWS test environment. Not thread-safe per stack; several
    stacks may be created from different threads."""

    def __init__(self, aws, lambda_code=None, workdir=None, lambda_credentials="session",
                 lambda_env=None, service_timeout_cap=None, peer_role_timeout=60.0,
                 peering_active_timeout=30.0, lambda_retry_delays=(1.0, 2.0),
                 strict_response_content_type=True, ssm_parameters=None, on_event=None,
                 on_signal_wait=None):
        """lambda_code: the handler's deployment package for every function (a zip with a
        `bootstrap`, or an executable used as `bootstrap`), or a dict "bucket/key" -> path.
        service_timeout_cap: wait at most this long for a custom resource (the template's
        ServiceTimeout otherwise). lambda_credentials: "session" (temporary credentials with
        a session token, see LambdaService) or "keys" (the account's long-term keys)."""
        self.aws = aws
        self.own_workdir = workdir is None
        self.workdir = workdir or tempfile.mkdtemp(prefix="cfnsim.")
        self.bucket = ResponseBucket(strict_response_content_type)
        self.lambdas = LambdaService(aws, self.workdir, lambda_code, lambda_credentials,
                                     lambda_env, lambda_retry_delays)
        self.service_timeout_cap = service_timeout_cap
        self.peer_role_timeout = peer_role_timeout
        self.peering_active_timeout = peering_active_timeout
        self.ssm_parameters = dict(ssm_parameters or {})
        self.on_event = on_event
        self.stacks = []
        self.catalog = servicecatalog.Catalog()
        self.signals = threading.Condition()
        self.waiting = {}          # (stack name, logical id) -> {unique id: status}
        self.on_signal_wait = on_signal_wait

    def signal_resource(self, stack_name, logical, unique_id, status):
        """CloudFormation's SignalResource: only a resource waiting on its CreationPolicy
        takes signals; a unique id counts once."""
        if status not in ("SUCCESS", "FAILURE"):
            raise ValidationError(f"Status {status!r} must be SUCCESS or FAILURE")
        with self.signals:
            got = self.waiting.get((stack_name, logical))
            if got is None:
                raise ValidationError(f"Resource {logical} of stack {stack_name} is not waiting "
                                      "for signals and cannot be signaled")
            got.setdefault(unique_id, status)
            self.signals.notify_all()

    @staticmethod
    def load_template(path_or_text):
        return load_template(path_or_text)

    def create_stack(self, name, template, account, parameters=None, capabilities=(),
                     skip_types=(), disable_rollback=False, launch_role=None):
        """Creates the stack and returns it whatever the outcome (look at .status); raises
        ValidationError (Unsupported) only for a template or parameters refused up front.
        launch_role=(role ARN, template URL): a played Service Catalog launch (servicecatalog.py),
        every call judged against that role's policies."""
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9-]{0,127}", name):
            raise ValidationError(f"Stack name {name!r} must match [a-zA-Z][-a-zA-Z0-9]*")
        doc = load_template(template) if isinstance(template, str) else template
        launch = LaunchRole(self, self.aws.account_id(account), *launch_role) if launch_role else None
        st = Stack(self, name, doc, account, parameters, capabilities, skip_types, disable_rollback,
                   launch)
        self.stacks.append(st)
        return st.create()

    def delete_stack(self, stack):
        if stack.status == "DELETE_COMPLETE":
            return stack
        return stack.delete()

    def lambda_logs(self):
        out = {}
        for name in sorted(os.listdir(self.workdir)):
            if name.startswith("lambda.") and name.endswith(".log"):
                with open(os.path.join(self.workdir, name), errors="replace") as f:
                    out[name[7:-4]] = f.read()
        return out

    def invocations(self):
        with self.lambdas.lock:
            fns = list(self.lambdas.functions.values())
        return [i for f in fns for i in f.invocations]

    def close(self):
        self.lambdas.close()
        self.bucket.close()
        if self.own_workdir and not os.environ.get("CFNSIM_KEEP"):
            shutil.rmtree(self.workdir, ignore_errors=True)


# ==========================================================================================
# command line
# ==========================================================================================

def _print_event(e):
    print(f"{e['Timestamp'][11:23]}  {e['LogicalResourceId']:<22} {e['ResourceStatus']:<20} "
          f"{e['PhysicalResourceId'][:40]:<40} {e['ResourceStatusReason']}".rstrip(),
          file=sys.stderr, flush=True)


def _common(ap):
    ap.add_argument("--endpoint", required=True, help="awsenv URL")
    ap.add_argument("--accounts", default=os.path.join(ROOT, "tests", "awsenv", "accounts.json"))


def _data_plane(aws, serve):
    """tests/dataplane's DataPlane over every account of aws, with a host serving each
    SUBNET_ID:PORT of serve (their addresses printed on stderr)."""
    sys.path.insert(0, os.path.join(ROOT, "tests", "dataplane"))
    import dataplane                              # noqa: E402
    ok, why = dataplane.available()
    if not ok:
        raise CfnError(f"--data-plane: {why}")
    dp = dataplane.DataPlane({aws.account_id(n): aws.client("ec2", n) for n in aws.accounts})
    for item in serve:
        subnet, port = item.rsplit(":", 1)
        h = dp.host(subnet)
        dp.serve(h, int(port))
        print(f"cfnsim: data-plane host {h.addr} in {subnet} serves port {port}",
              file=sys.stderr, flush=True)
    return dp


def cmd_deploy(a):
    params = dict(p.split("=", 1) for p in a.param)
    aws = Aws(a.endpoint, a.accounts)
    sim = Simulator(aws, lambda_code=a.lambda_code, workdir=a.workdir,
                    service_timeout_cap=a.service_timeout_cap,
                    on_event=None if a.quiet else _print_event)
    dp = None
    try:
        if a.data_plane or a.serve:
            dp = sim.lambdas.data_plane = _data_plane(aws, a.serve)
        st = sim.create_stack(a.stack_name, a.template, a.account, params,
                              capabilities=a.capability or ["CAPABILITY_NAMED_IAM"],
                              skip_types=HUB_BROKER_HOST_TYPES if a.skip_broker_host else ())
    except (ValidationError, CfnError) as e:
        print(f"cfnsim: {e}", file=sys.stderr)
        sim.close()
        if dp is not None:
            dp.close()
        return 2
    # The answers of the functions that ran in the data plane (the client template's probe).
    probes = [json.loads(i.body) for f in sim.lambdas.functions.values() if f.vpc_config
              for i in f.invocations if i.outcome == "response"]
    out = {"StackName": st.name, "StackId": st.id, "StackStatus": st.status,
           "Outputs": st.outputs}
    if probes:
        out["Probes"] = probes
    print(json.dumps(out, indent=1))
    sim.close()
    if dp is not None:
        dp.close()
    return 0 if st.status == "CREATE_COMPLETE" else 1


def cmd_hub(a):
    """The hub as its operator sets it up: a VPC with route tables and a subnet (boto3), then
    templates/hub.yaml (broker role, peer roles in peer-role mode; the broker host skipped).
    Prints shell assignments for the broker's flags (HUB_PEER_ROLES empty without roles)."""
    aws = Aws(a.endpoint, a.accounts)
    ec2 = aws.client("ec2", a.account)
    vpc = ec2.create_vpc(CidrBlock=a.cidr)["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=a.subnet)["Subnet"]["SubnetId"]
    rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.associate_route_table(SubnetId=subnet, RouteTableId=rtb)
    sim = Simulator(aws, on_event=None if a.quiet else _print_event)
    try:
        st = sim.create_stack(a.stack_name, os.path.join(ROOT, "templates", "hub.yaml"), a.account, {
            "HubVpcId": vpc,
            "PeeringAccepter": a.peering_accepter,
            "KeepPeerRoles": "true" if a.keep_peer_roles else "false"},
            capabilities=["CAPABILITY_NAMED_IAM"], skip_types=HUB_BROKER_HOST_TYPES)
    finally:
        sim.close()
    if st.status != "CREATE_COMPLETE":
        print(f"cfnsim: hub stack {st.status}: {st.failure_reasons()}", file=sys.stderr)
        return 1
    arns = st.outputs.get("PeerRoleArns")
    roles = [r.rsplit("/", 1)[1] for r in arns.split(",")] if arns else []
    acct = aws.account(a.account)
    for k, v in (("HUB_ACCOUNT", acct["id"]), ("HUB_VPC", vpc), ("HUB_SUBNET", subnet),
                 ("HUB_ROUTE_TABLE", rtb),
                 ("HUB_PEER_ROLES", ",".join(roles)), ("HUB_ACCESS_KEY_ID", acct["access_key_id"]),
                 ("HUB_SECRET_ACCESS_KEY", acct["secret_access_key"])):
        print(f"{k}={v}")
    return 0


def cmd_routes(a):
    """The route tables of a VPC as a table."""
    ec2 = Aws(a.endpoint, a.accounts).client("ec2", a.account)
    tables = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [a.vpc]}])["RouteTables"]
    for t in sorted(tables, key=lambda t: t["RouteTableId"]):
        main = any(x.get("Main") for x in t.get("Associations", []))
        print(f"{t['RouteTableId']}{' (main)' if main else ''} in {a.vpc}")
        print(f"  {'destination':<18} {'target':<24} state")
        for r in t["Routes"]:
            target = r.get("VpcPeeringConnectionId") or r.get("GatewayId") or "?"
            print(f"  {r.get('DestinationCidrBlock', ''):<18} {target:<24} {r.get('State', '')}")
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description="cfnsim: CloudFormation, simulated, against awsenv")
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("deploy", help="create a stack (events on stderr, outputs as JSON)")
    _common(d)
    d.add_argument("--account", required=True, help="account name or id (stack owner)")
    d.add_argument("--template", required=True)
    d.add_argument("--stack-name", required=True)
    d.add_argument("--param", action="append", default=[], metavar="KEY=VALUE")
    d.add_argument("--capability", action="append", default=[])
    d.add_argument("--lambda-code", help="handler package (zip, or the vpcpeer binary)")
    d.add_argument("--skip-broker-host", action="store_true",
                   help=f"skip {', '.join(HUB_BROKER_HOST_TYPES)} (templates/hub.yaml)")
    d.add_argument("--service-timeout-cap", type=float)
    d.add_argument("--workdir", help="keep the Lambda logs here")
    d.add_argument("--quiet", action="store_true", help="no stack events on stderr")
    d.add_argument("--data-plane", action="store_true",
                   help="run functions with VpcConfig in tests/dataplane's namespaces (root)")
    d.add_argument("--serve", action="append", default=[], metavar="SUBNET_ID:PORT",
                   help="a data-plane host in the subnet serving PORT (implies --data-plane)")
    d.set_defaults(fn=cmd_deploy)
    h = sub.add_parser("hub", help="hub VPC + templates/hub.yaml; prints shell assignments")
    _common(h)
    h.add_argument("--account", default="hub")
    h.add_argument("--cidr", default="10.0.0.0/22")
    h.add_argument("--subnet", default="10.0.0.0/24")
    h.add_argument("--stack-name", default="vpcpeer-hub")
    h.add_argument("--allow", action="append", default=[], metavar="ACCOUNT_ID")
    h.add_argument("--peering-accepter", default="broker", choices=("broker", "peer-role"),
                   help="hub.yaml's PeeringAccepter (peer roles only with peer-role)")
    h.add_argument("--keep-peer-roles", action="store_true",
                   help="hub.yaml's KeepPeerRoles: the peer roles in broker mode too")
    h.add_argument("--quiet", action="store_true")
    h.set_defaults(fn=cmd_hub)
    r = sub.add_parser("routes", help="print a VPC's route tables")
    _common(r)
    r.add_argument("--account", default="hub")
    r.add_argument("--vpc", required=True)
    r.set_defaults(fn=cmd_routes)
    a = ap.parse_args(argv)
    return a.fn(a)


if __name__ == "__main__":
    sys.exit(main())
