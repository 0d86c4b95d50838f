# SPDX-License-Identifier: Apache-2.0
"""A stand-in custom-resource handler for cfnsim's own tests (not vpcpeer's handler): the
Lambda Runtime API loop of a custom runtime, in Python, answering CloudFormation as the
property `Behaviour` asks. It logs every event as one JSON line to $FAKE_HANDLER_LOG.

Behaviours (Create/Update; Delete always answers SUCCESS unless `DeleteBehaviour` says):
  ok            SUCCESS, Data {"Echo": <properties>, "Answer": "42", "Big": <Size chars>}
  fail          FAILED with a reason (and PhysicalResourceId "failed-<logical>")
  crash-once    exit(3) on the first delivery (marker file), then ok
  error-once    report an invocation error to the Runtime API once, then ok
  silent        never answer CloudFormation (the Lambda invocation succeeds)
  content-type  PUT with Content-Type: application/json (S3 refuses: 403), then stay silent
  big           a body over 4096 bytes
  bad-id        POST the response to a wrong request id first (400), then ok
"""

import http.client
import json
import os
import sys
from urllib.parse import urlsplit

API = os.environ["AWS_LAMBDA_RUNTIME_API"]
LOG = os.environ.get("FAKE_HANDLER_LOG")
MARK = os.environ.get("FAKE_HANDLER_MARKS", "/tmp")


def call(method, path, body=None, headers=None):
    host, port = API.split(":")
    c = http.client.HTTPConnection(host, int(port), timeout=None)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    hdrs = dict(r.getheaders())
    c.close()
    return r.status, data, hdrs


def put(url, doc, content_type=None):
    u = urlsplit(url)
    body = json.dumps(doc).encode()
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    c.putrequest("PUT", u.path + "?" + u.query, skip_accept_encoding=True)
    if content_type is not None:
        c.putheader("Content-Type", content_type)
    c.putheader("Content-Length", str(len(body)))
    c.endheaders(body)
    r = c.getresponse()
    r.read()
    c.close()
    return r.status


def once(name):
    path = os.path.join(MARK, "fake-handler." + name)
    if os.path.exists(path):
        return False
    open(path, "w").close()
    return True


def main():
    while True:
        status, data, hdrs = call("GET", "/2018-06-01/runtime/invocation/next")
        if status != 200:
            return
        rid = hdrs["Lambda-Runtime-Aws-Request-Id"]
        ev = json.loads(data)
        if LOG:
            with open(LOG, "a") as f:
                f.write(json.dumps({"event": ev, "deadline": hdrs.get("Lambda-Runtime-Deadline-Ms"),
                                    "arn": hdrs.get("Lambda-Runtime-Invoked-Function-Arn"),
                                    "env": {k: os.environ.get(k) for k in (
                                        "AWS_ACCESS_KEY_ID", "AWS_SESSION_TOKEN", "AWS_REGION",
                                        "_HANDLER", "AWS_LAMBDA_FUNCTION_NAME")}}) + "\n")
        props = ev.get("ResourceProperties", {})
        kind = props.get("Behaviour", "ok")
        if ev["RequestType"] == "Delete":
            kind = props.get("DeleteBehaviour", "ok")
        logical = ev["LogicalResourceId"]
        key = f"{ev['RequestId']}"
        if kind == "crash-once" and once("crash." + key):
            sys.exit(3)
        if kind == "error-once" and once("error." + key):
            call("POST", f"/2018-06-01/runtime/invocation/{rid}/error",
                 json.dumps({"errorMessage": "boom", "errorType": "Fake"}).encode(),
                 {"Lambda-Runtime-Function-Error-Type": "Unhandled"})
            continue
        if kind == "bad-id":
            s, _, _ = call("POST", "/2018-06-01/runtime/invocation/not-this-one/response", b"{}")
            props = dict(props, BadIdStatus=str(s))
        phys = ev.get("PhysicalResourceId") or f"phys-{logical}-{ev['RequestId'][:8]}"
        doc = {"Status": "SUCCESS", "PhysicalResourceId": phys, "StackId": ev["StackId"],
               "RequestId": ev["RequestId"], "LogicalResourceId": logical,
               "Data": {"Echo": json.dumps(props, sort_keys=True), "Answer": "42"}}
        if kind == "fail":
            doc.update(Status="FAILED", Reason=f"{logical} was told to fail",
                       PhysicalResourceId=ev.get("PhysicalResourceId") or f"failed-{logical}")
            doc.pop("Data")
        if kind == "big":
            doc["Data"]["Big"] = "x" * 5000
        if kind == "silent":
            pass
        elif kind == "content-type":
            put(ev["ResponseURL"], doc, "application/json")
        else:
            put(ev["ResponseURL"], doc, "")
        call("POST", f"/2018-06-01/runtime/invocation/{rid}/response", b'{"ok":true}')


if __name__ == "__main__":
    main()
