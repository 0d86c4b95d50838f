# SPDX-License-Identifier: Apache-2.0
"""A local API Gateway HTTP API in front of `vpcpeer serve-lambda` (issue 18).

One HTTP listener on 127.0.0.1 plays API Gateway: each request it receives becomes an HTTP
API event of payload format 2.0 (the fields of
https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html:
lower-case header names, duplicates joined by commas, cookies apart, rawPath and
rawQueryString as sent, requestContext.http.method/sourceIp, requestContext.domainName, a
body base64-encoded when it is not UTF-8 text), queued on the Runtime API of one of its
functions (round robin), and the function's response object becomes the HTTP answer. Each
function process gets a Runtime API of its own (AWS_LAMBDA_RUNTIME_API=runtime_api(i)):
GET next waits for an event, POST response / error answers it, POST init/error is recorded.

    gw = FakeApiGateway(functions=4, domain="vpcpeer-e2e.test").start()
    ... start 4 processes with AWS_LAMBDA_RUNTIME_API=gw.runtime_api(i) ...
    requests to gw.url; gw.invoke(event_bytes) sends a raw event; gw.close()

Nothing here sleeps to synchronise: queues and events are awaited.
"""

import base64
import itertools
import json
import queue
import re
import socket
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

INTEGRATION_TIMEOUT = 30    # s: HTTP API's integration timeout (http-api-quotas.html)
API_VERSION = "2018-06-01"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256    # a burst of clients connects at once


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        # headers and body go in two writes: without this, Nagle's algorithm holds the body
        # for the peer's delayed ACK (40 ms a request on Linux)
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _Invocation:
    def __init__(self, event):
        self.id = str(uuid.uuid4())
        self.event = event          # bytes
        self.done = threading.Event()
        self.kind = None            # "response" | "error"
        self.body = None            # bytes


class _Runtime:
    """One function's Runtime API."""

    def __init__(self, gw, index):
        self.gw, self.index = gw, index
        self.queue = queue.Queue()
        self.pending = {}
        self.init_errors = []
        self.server = _Server(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def address(self):
        return f"127.0.0.1:{self.server.server_address[1]}"

    def _handler(rt):
        class H(_Handler):

            def log_message(self, *a):
                pass

            def _reply(self, status, body=b"", headers=()):
                try:
                    self.send_response(status)
                    for k, v in headers:
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass    # the function is gone (stopped while it waited for an event)

            def do_GET(self):
                if self.path != f"/{API_VERSION}/runtime/invocation/next":
                    return self._reply(404)
                while True:
                    try:
                        inv = rt.queue.get(timeout=0.2)
                        break
                    except queue.Empty:
                        if rt.gw.closing:
                            return self._reply(503)
                rt.pending[inv.id] = inv
                deadline = int((time.time() + INTEGRATION_TIMEOUT) * 1000)
                self._reply(200, inv.event, [
                    ("Content-Type", "application/json"),
                    ("Lambda-Runtime-Aws-Request-Id", inv.id),
                    ("Lambda-Runtime-Deadline-Ms", str(deadline)),
                    ("Lambda-Runtime-Invoked-Function-Arn",
                     f"arn:aws:lambda:us-east-1:111111111111:function:vpcpeer-api-{rt.index}")])

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n)
                if self.path == f"/{API_VERSION}/runtime/init/error":
                    rt.init_errors.append(body)
                    return self._reply(202)
                m = re.fullmatch(rf"/{API_VERSION}/runtime/invocation/([^/]+)/(response|error)",
                                 self.path)
                inv = rt.pending.pop(m.group(1), None) if m else None
                if inv is None:
                    return self._reply(400, b'{"errorMessage":"unknown request id"}')
                inv.kind, inv.body = m.group(2), body
                inv.done.set()
                self._reply(202)
        return H


class FakeApiGateway:
    def __init__(self, functions=1, domain="vpcpeer-e2e.test"):
        self.domain = domain
        self.closing = False
        self.runtimes = [_Runtime(self, i) for i in range(functions)]
        self._next = itertools.cycle(range(functions))
        self._lock = threading.Lock()
        self.server = _Server(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.errors = []            # invocation errors: (event, body)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def runtime_api(self, i=0):
        return self.runtimes[i].address

    def start(self):
        for rt in self.runtimes:
            rt.thread.start()
        self.thread.start()
        return self

    def close(self):
        self.closing = True
        self.server.shutdown()
        self.server.server_close()
        for rt in self.runtimes:
            rt.server.shutdown()
            rt.server.server_close()

    def invoke(self, event, function=None, timeout=INTEGRATION_TIMEOUT):
        """Queue a raw event (bytes); (kind, body) once the function answers, or
        (None, None) after timeout."""
        if function is None:
            with self._lock:
                function = next(self._next)
        inv = _Invocation(event)
        self.runtimes[function].queue.put(inv)
        if not inv.done.wait(timeout):
            return None, None
        if inv.kind == "error":
            self.errors.append((event, inv.body))
        return inv.kind, inv.body

    def event_of(self, method, raw_uri, headers, body, source):
        """The HTTP API event for one request (headers: [(name, value)] as received)."""
        path, _, query = raw_uri.partition("?")
        hdrs, cookies = {}, []
        for k, v in headers:
            k = k.lower()
            if k == "cookie":
                cookies.extend(c.strip() for c in v.split(";"))
                continue
            hdrs[k] = f"{hdrs[k]},{v}" if k in hdrs else v
        event = {
            "version": "2.0", "routeKey": "$default", "rawPath": path,
            "rawQueryString": query, "headers": hdrs,
            "requestContext": {
                "accountId": "111111111111", "apiId": "fakeapi", "domainName": self.domain,
                "domainPrefix": self.domain.split(".")[0],
                "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                         "sourceIp": source, "userAgent": hdrs.get("user-agent", "")},
                "requestId": str(uuid.uuid4()), "routeKey": "$default", "stage": "$default",
                "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime()),
                "timeEpoch": int(time.time() * 1000)},
            "isBase64Encoded": False,
        }
        if cookies:
            event["cookies"] = cookies
        if body:
            try:
                event["body"] = body.decode("utf-8")
            except UnicodeDecodeError:
                event["body"] = base64.b64encode(body).decode()
                event["isBase64Encoded"] = True
        return json.dumps(event).encode()

    def _handler(gw):
        class H(_Handler):

            def log_message(self, *a):
                pass

            def _send(self, status, headers, body):
                self.send_response(status)
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _body(self):
                if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
                    out = b""
                    while True:
                        size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                        if size > 10 << 20:
                            raise ValueError("a chunk over the 10 MB payload limit")
                        if size == 0:
                            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                                pass
                            return out
                        out += self.rfile.read(size)
                        self.rfile.readline()
                n = int(self.headers.get("Content-Length") or 0)
                if n < 0 or n > 10 << 20:
                    raise ValueError("a bad Content-Length")
                return self.rfile.read(n) if n else b""

            def _any(self):
                try:
                    body = self._body()
                except ValueError:
                    # what API Gateway answers a request it cannot read; the function never
                    # sees it
                    self.close_connection = True
                    return self._send(400, [("Content-Type", "application/json")],
                                      b'{"message":"Bad Request"}')
                # the path as sent: http.server collapses a leading "//", API Gateway does not
                raw_uri = self.requestline.split(" ")[1]
                event = gw.event_of(self.command, raw_uri, self.headers.items(), body,
                                    self.client_address[0])
                kind, out = gw.invoke(event)
                if kind is None:
                    return self._send(503, [("Content-Type", "application/json")],
                                      b'{"message":"Service Unavailable"}')
                if kind == "error":
                    return self._send(500, [("Content-Type", "application/json")],
                                      b'{"message":"Internal Server Error"}')
                r = json.loads(out)
                data = r.get("body", "").encode()
                if r.get("isBase64Encoded"):
                    data = base64.b64decode(data)
                self._send(int(r["statusCode"]), list(r.get("headers", {}).items()), data)

            do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = do_HEAD = do_OPTIONS = _any
        return H
