# SPDX-License-Identifier: Apache-2.0
"""A stand-in broker for the client commands' black-box tests (tests/cli/test_client.sh).

Loopback only, port 0; prints "fake broker listening on URL" when ready, exits when stdin
closes. Answers by path (no real work): /v1/namespaces/7... 200, /8 409 conflict, /9 an
HTML 502, /5 503 with Retry-After: 1 on every other call (the client asks again), /6 after
3 s (the client's progress line); POST /v1/namespaces 201; GET /v1/namespaces 200 in two
pages (the first with NextCursor "p2"), each namespace with labels. Every answer echoes what
the request carried (method, path, body, the decoded proof's method/url/server id) in an
"Echo" field, so the test can check what the client sent. With CERT and KEY arguments
it speaks TLS (https://) with that certificate.
"""
import base64
import http.server
import json
import ssl
import sys
import threading
import time

CALLS = {"5": 0}


def namespace(n, labels, echo):
    return {"NamespaceId": n, "State": "active", "AccountId": "222222222222",
            "ClientRef": f"stack/{n}", "VpcCidrBlock": f"10.0.{4 * n}.0/22",
            "VpcPeeringConnectionId": f"pcx-{n:08d}", "Labels": labels, "Echo": echo}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, doc, ctype="application/json"):
        body = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def handle_any(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n).decode() if n else None
        auth = self.headers.get("Authorization", "")
        echo = {"method": self.command, "path": self.path, "body": body}
        if auth.startswith("Vpcpeer-Proof "):
            proof = json.loads(base64.b64decode(auth[len("Vpcpeer-Proof "):], validate=True))
            echo["proof"] = {"method": proof["method"], "url": proof["url"],
                             "server_id": proof["headers"].get("X-Vpcpeer-Server-Id"),
                             "body": proof["body"],
                             "signed": "x-vpcpeer-server-id" in proof["headers"]["Authorization"]}
        if self.path.startswith("/v1/namespaces/8"):
            self.answer(409, {"error": {"code": "conflict",
                                        "message": "namespace 8 is active, not pending"}})
        elif self.path.startswith("/v1/namespaces/9"):
            self.answer(502, b"<html>Bad Gateway</html>", "text/html")
        elif self.path.startswith("/v1/namespaces/5"):
            CALLS["5"] += 1
            if CALLS["5"] % 2:
                body = json.dumps({"error": {"code": "unavailable",
                                             "message": "AWS throttled; try again"}}).encode()
                self.send_response(503)
                self.send_header("Content-Type", "application/json")
                self.send_header("Retry-After", "1")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            else:
                self.answer(200, {"NamespaceId": 5, "State": "active", "Echo": echo})
        elif self.path.startswith("/v1/namespaces/6"):
            time.sleep(3)
            self.answer(200, {"NamespaceId": 6, "State": "active", "Echo": echo})
        elif self.command == "POST" and self.path == "/v1/namespaces":
            self.answer(201, {"NamespaceId": 1, "State": "pending", "Echo": echo})
        elif "state=released" in self.path:
            self.answer(200, {"Namespaces": [], "NextCursor": None, "Echo": echo})
        elif "cursor=p2" in self.path:
            self.answer(200, {"Namespaces": [namespace(3, {"team": "ops", "env": "dev"}, echo)],
                              "NextCursor": None, "Echo": echo})
        elif self.path.startswith("/v1/namespaces?") or self.path == "/v1/namespaces":
            self.answer(200, {"Namespaces": [namespace(1, {"team": "ops"}, echo),
                                             namespace(2, {"team": "web"}, echo)],
                              "NextCursor": "p2", "Echo": echo})
        else:
            self.answer(200, {"NamespaceId": 7, "State": "active", "Echo": echo})

    do_GET = do_POST = do_DELETE = handle_any


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
scheme = "http"
if len(sys.argv) == 3:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[1], sys.argv[2])
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    scheme = "https"
threading.Thread(target=server.serve_forever, daemon=True).start()
print(f"fake broker listening on {scheme}://127.0.0.1:{server.server_address[1]}", flush=True)
sys.stdin.read()
server.shutdown()
