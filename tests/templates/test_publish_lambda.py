# SPDX-License-Identifier: Apache-2.0
"""scripts/publish-lambda against moto's S3 on 127.0.0.1 (issue 15): one bucket per region,
the zip uploaded, a bucket policy for the organization or the listed accounts; bad input
refused before any call."""
import json
import os
import socket
import subprocess
import sys
import tempfile
import unittest
import zipfile

import boto3
from moto.server import ThreadedMotoServer

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "..", "..", "scripts", "publish-lambda")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PublishLambda(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.port = free_port()
        cls.server = ThreadedMotoServer(ip_address="127.0.0.1", port=cls.port)
        cls.server.start()
        cls.url = f"http://127.0.0.1:{cls.port}"

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.zip = self.make_zip("handler.zip", 0x3e)
        self.env = dict(os.environ, AWS_ENDPOINT_URL=self.url, AWS_ACCESS_KEY_ID="testing",
                        AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")

    def tearDown(self):
        self.tmp.cleanup()

    def make_zip(self, name, machine=None):
        """A zip whose bootstrap starts with an ELF header for `machine` (None: no bootstrap)."""
        path = os.path.join(self.tmp.name, name)
        with zipfile.ZipFile(path, "w") as z:
            if machine is not None:
                header = b"\x7fELF\x02\x01\x01" + b"\0" * 9 + b"\x02\x00" + bytes([machine, 0])
                z.writestr("bootstrap", header + b"\0" * 44)
            else:
                z.writestr("README", "no program")
        return path

    def run_publish(self, *args):
        return subprocess.run(["bash", SCRIPT, "--zip", self.zip, *args], env=self.env,
                              capture_output=True, text=True, timeout=120)

    def s3(self, region):
        return boto3.client("s3", region_name=region, endpoint_url=self.url,
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    def test_organization(self):
        r = self.run_publish("--bucket-prefix", "vp-org", "--regions", "us-east-1,eu-west-1",
                             "--org-id", "o-abcdef1234")
        self.assertEqual(r.returncode, 0, r.stderr)
        for region in ("us-east-1", "eu-west-1"):
            s3 = self.s3(region)
            body = s3.get_object(Bucket=f"vp-org-{region}", Key="vpcpeer-lambda-x86_64.zip")["Body"].read()
            with open(self.zip, "rb") as f:
                self.assertEqual(body, f.read())
            policy = json.loads(s3.get_bucket_policy(Bucket=f"vp-org-{region}")["Policy"])
            st = policy["Statement"][0]
            self.assertEqual(st["Condition"]["StringEquals"]["aws:PrincipalOrgID"], "o-abcdef1234")
            self.assertEqual(st["Action"], "s3:GetObject")
            self.assertEqual(st["Resource"], f"arn:aws:s3:::vp-org-{region}/*")
            self.assertTrue(s3.get_public_access_block(Bucket=f"vp-org-{region}")[
                "PublicAccessBlockConfiguration"]["BlockPublicPolicy"])

    def test_accounts(self):
        r = self.run_publish("--bucket-prefix", "vp-acc", "--regions", "us-east-1",
                             "--accounts", "111111111111,222222222222")
        self.assertEqual(r.returncode, 0, r.stderr)
        st = json.loads(self.s3("us-east-1").get_bucket_policy(Bucket="vp-acc-us-east-1")["Policy"])["Statement"][0]
        principals = st["Principal"]["AWS"]
        self.assertEqual(sorted(principals if isinstance(principals, list) else [principals]),
                         ["arn:aws:iam::111111111111:root", "arn:aws:iam::222222222222:root"])
        self.assertNotIn("Condition", st)

    def test_bad_account_is_refused_before_any_bucket(self):
        r = self.run_publish("--bucket-prefix", "vp-bad", "--regions", "us-east-1",
                             "--accounts", "1111,222222222222")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("'1111'", r.stderr)
        names = [b["Name"] for b in self.s3("us-east-1").list_buckets()["Buckets"]]
        self.assertNotIn("vp-bad-us-east-1", names)

    def test_key_follows_the_architecture(self):
        """templates/client.yaml reads vpcpeer-lambda-<HandlerArchitecture>.zip: an arm64 zip
        goes there, and --arch cannot put an x86_64 one under the arm64 name."""
        self.zip = self.make_zip("arm.zip", 0xb7)
        r = self.run_publish("--bucket-prefix", "vp-arm", "--regions", "us-east-1",
                             "--accounts", "111111111111")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("s3://vp-arm-us-east-1/vpcpeer-lambda-arm64.zip", r.stdout)
        keys = [o["Key"] for o in self.s3("us-east-1").list_objects_v2(
            Bucket="vp-arm-us-east-1")["Contents"]]
        self.assertEqual(keys, ["vpcpeer-lambda-arm64.zip"])
        self.zip = self.make_zip("x86.zip", 0x3e)
        r = self.run_publish("--bucket-prefix", "vp-mix", "--regions", "us-east-1",
                             "--accounts", "111111111111", "--arch", "arm64")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("built for x86_64, not --arch arm64", r.stderr)
        self.zip = self.make_zip("none.zip")
        r = self.run_publish("--bucket-prefix", "vp-none", "--regions", "us-east-1",
                             "--accounts", "111111111111")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("give --arch", r.stderr)
        r = self.run_publish("--bucket-prefix", "vp-given", "--regions", "us-east-1",
                             "--accounts", "111111111111", "--arch", "arm64")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("vpcpeer-lambda-arm64.zip", r.stdout)
        names = [b["Name"] for b in self.s3("us-east-1").list_buckets()["Buckets"]]
        self.assertNotIn("vp-mix-us-east-1", names)

    def test_hub_only(self):
        """The broker's own zip (issue 18): no bucket policy; the first line is the
        FunctionCodeSha256 of templates/broker-serverless.yaml."""
        import base64
        import hashlib
        r = self.run_publish("--bucket-prefix", "vp-hub", "--regions", "us-east-1",
                             "--hub-only", "--key", "vpcpeer-serve-lambda-x86_64.zip")
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(self.zip, "rb") as f:
            want = base64.b64encode(hashlib.sha256(f.read()).digest()).decode()
        first = r.stdout.splitlines()[0]
        self.assertEqual(first, f"code-sha256 {want}")
        s3 = self.s3("us-east-1")
        s3.head_object(Bucket="vp-hub-us-east-1", Key="vpcpeer-serve-lambda-x86_64.zip")
        with self.assertRaises(s3.exceptions.ClientError):
            s3.get_bucket_policy(Bucket="vp-hub-us-east-1")
        r = self.run_publish("--bucket-prefix", "vp-hub2", "--regions", "us-east-1",
                             "--hub-only", "--accounts", "111111111111")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("--hub-only", r.stderr)

    def test_reader_required(self):
        r = self.run_publish("--bucket-prefix", "vp-none", "--regions", "us-east-1")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("--org-id or --accounts", r.stderr)


if __name__ == "__main__":
    sys.exit(unittest.main())
