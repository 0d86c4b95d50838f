"""Control API (faults, calls, reset, config) and process life cycle."""

import json
import os
import re
import signal
import subprocess
import sys
import time
import unittest
import urllib.request

from awsenv_base import AwsEnvCase, HUB
from harness import AWSENV, DEFAULT_ACCOUNTS, READY_RE


class ControlTest(AwsEnvCase):
    def faults(self, doc):
        return self.env.post("/_awsenv/faults", doc)

    def outcomes(self, fn, n):
        out = []
        for _ in range(n):
            try:
                fn()
                out.append("ok")
            except Exception as e:  # noqa: BLE001
                r = e.response
                out.append((r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"]))
        return out

    def test_throttle_formats_and_count(self):
        self.faults({"rules": [{"action": "DescribeVpcs", "fault": "throttle", "count": 2},
                               {"service": "iam", "action": "GetRole", "fault": "throttle", "count": 1},
                               {"service": "sts", "action": "*", "fault": "throttle", "count": 1}]})
        ec2, iam, sts = self.client("ec2"), self.client("iam"), self.client("sts")
        self.assertEqual(self.outcomes(ec2.describe_vpcs, 3),
                         [("RequestLimitExceeded", 503)] * 2 + ["ok"])
        err = self.assertAwsError(iam.get_role, "Throttling", 400, RoleName="x")
        self.assertEqual(err["Error"]["Message"], "Rate exceeded")
        self.assertEqual(err["Error"]["Type"], "Sender")
        self.assertAwsError(iam.get_role, "NoSuchEntity", 404, RoleName="x")
        self.assertAwsError(sts.get_caller_identity, "Throttling", 400)
        self.assertEqual(sts.get_caller_identity()["Account"], HUB)

    def test_retrying_client_rides_out_throttling(self):
        self.faults({"rules": [{"action": "DescribeVpcs", "fault": "throttle", "count": 2}]})
        ec2 = self.client("ec2", retries=3)
        ec2.describe_vpcs()
        calls = self.env.calls()["calls"]["ec2"]["DescribeVpcs"]
        self.assertEqual(calls["outcomes"], {"RequestLimitExceeded": 2, "ok": 1})

    def test_probability_is_deterministic_with_seed(self):
        ec2 = self.client("ec2")
        runs = []
        for _ in range(2):
            self.faults({"seed": 7, "rules": [{"action": "DescribeVpcs", "fault": "throttle",
                                               "probability": 0.5}]})
            runs.append(self.outcomes(ec2.describe_vpcs, 20))
        self.assertEqual(runs[0], runs[1])
        self.assertTrue(0 < runs[0].count("ok") < 20, runs[0])
        self.faults({"seed": 8, "rules": [{"action": "DescribeVpcs", "fault": "throttle",
                                           "probability": 0.5}]})
        self.assertNotEqual(self.outcomes(ec2.describe_vpcs, 20), runs[0])

    def test_server_errors_and_account_scope(self):
        self.faults({"rules": [{"service": "ec2", "action": "CreateRoute", "fault": "error",
                                "account": HUB, "count": 1},
                               {"service": "iam", "action": "UpdateAssumeRolePolicy", "fault": "error",
                                "count": 1}]})
        ec2 = self.client("ec2")
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/22")["Vpc"]["VpcId"]
        rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
        igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        self.assertAwsError(ec2.create_route, "InternalError", 500, RouteTableId=rt,
                            DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
        iam = self.client("iam")
        iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
             "Principal": {"AWS": HUB}, "Action": "sts:AssumeRole"}]}))
        err = self.assertAwsError(iam.update_assume_role_policy, "InternalFailure", 500,
                                  RoleName="r", PolicyDocument="{}")
        self.assertEqual(err["Error"]["Type"], "Receiver")
        # another account is not affected by the hub-only rule
        b = self.client("ec2", "client-b")
        self.assertEqual(len(b.describe_vpcs()["Vpcs"]), 1)
        # custom code and status
        self.faults({"rules": [{"action": "DescribeVpcs", "fault": "error", "count": 1,
                                "status": 503, "code": "Unavailable", "message": "down"}]})
        self.assertAwsError(ec2.describe_vpcs, "Unavailable", 503)

    def test_latency(self):
        ec2 = self.client("ec2")
        ec2.describe_vpcs()
        self.faults({"rules": [{"action": "DescribeVpcs", "fault": "latency", "latency_ms": 300}]})
        t = time.monotonic()
        ec2.describe_vpcs()
        self.assertGreaterEqual(time.monotonic() - t, 0.3)
        t = time.monotonic()
        self.client("sts").get_caller_identity()
        self.assertLess(time.monotonic() - t, 0.3)
        self.assertEqual(self.env.get("/_awsenv/faults")["rules"][0]["fired"], 1)

    def test_calls_counter_and_reset(self):
        ec2 = self.client("ec2")
        for _ in range(3):
            ec2.describe_vpcs()
        self.client("sts", "client-b").get_caller_identity()
        self.assertAwsError(self.env.client("ec2", creds=("AKIAHUB1111111111111", "z" * 40)).describe_vpcs,
                            "SignatureDoesNotMatch")
        calls = self.env.calls()
        self.assertEqual(calls["total"], 5)
        d = calls["calls"]["ec2"]["DescribeVpcs"]
        self.assertEqual((d["total"], d["outcomes"]), (4, {"ok": 3, "SignatureDoesNotMatch": 1}))
        self.assertEqual(d["accounts"], {HUB: 3})
        self.assertEqual(calls["calls"]["sts"]["GetCallerIdentity"]["accounts"], {"222222222222": 1})
        # reset: moto state, counters, faults
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/22")["Vpc"]["VpcId"]
        self.faults({"rules": [{"action": "GetRole", "fault": "throttle", "probability": 1}]})
        self.env.post("/_awsenv/config", {"max_routes_per_table": 5})
        self.env.reset()
        self.assertEqual(self.env.calls()["total"], 0)
        self.assertEqual(self.env.get("/_awsenv/faults")["rules"], [])
        self.assertEqual(self.env.get("/_awsenv/config")["max_routes_per_table"], 50)
        self.assertNotIn(vpc, [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]])
        self.assertAwsError(self.client("iam").get_role, "NoSuchEntity", 404, RoleName="x")

    def test_bad_control_requests(self):
        with self.assertRaises(RuntimeError):
            self.env.post("/_awsenv/faults", {"rules": [{"fault": "explode"}]})
        with self.assertRaises(RuntimeError):
            self.env.post("/_awsenv/config", {"nope": 1})
        self.assertEqual(self.env.get("/_awsenv/health"), {"ok": True})
        self.assertEqual(len(self.env.get("/_awsenv/accounts")["accounts"]), 4)


class LifecycleTest(unittest.TestCase):
    def start(self, *extra):
        p = subprocess.Popen([sys.executable, "-B", AWSENV, "--port", "0", "--accounts",
                              DEFAULT_ACCOUNTS, *extra], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
        line = p.stdout.readline()
        m = READY_RE.match(line.rstrip("\n"))
        self.assertTrue(m, repr(line))
        self.assertEqual(line, f"awsenv listening on http://127.0.0.1:{m.group(2)}\n")
        with urllib.request.urlopen(m.group(1) + "/_awsenv/health", timeout=10) as r:
            self.assertEqual(json.load(r), {"ok": True})
        return p

    def test_exit_on_stdin_eof(self):
        p = self.start("--exit-on-stdin-eof")
        p.stdin.close()
        self.assertEqual(p.wait(15), 0)
        self.assertEqual(p.stdout.read(), "")
        p.stdout.close()

    def test_sigterm_and_sigint(self):
        for sig in (signal.SIGTERM, signal.SIGINT):
            p = self.start()
            p.send_signal(sig)
            self.assertEqual(p.wait(15), 0)
            p.stdin.close()
            p.stdout.close()

    def test_fixed_port(self):
        import socket
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        p = self.start("--port", str(port))
        os.kill(p.pid, signal.SIGTERM)
        p.wait(15)
        p.stdin.close()
        p.stdout.close()


if __name__ == "__main__":
    unittest.main()
