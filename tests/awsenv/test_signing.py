"""SigV4 verification: every rule, in each service's error format."""

import datetime as dt
import http.client
import re
import unittest

from awsenv_base import AwsEnvCase, HUB
from harness import raw_request

DVPC = {"Action": "DescribeVpcs", "Version": "2016-11-15"}
GCI = {"Action": "GetCallerIdentity", "Version": "2011-06-15"}
LROLES = {"Action": "ListRoles", "Version": "2010-05-08"}


def code_of(body):
    m = re.search(r"<Code>([^<]+)</Code>", body)
    return m.group(1) if m else None


def msg_of(body):
    m = re.search(r"<Message>([^<]*)</Message>", body)
    return m.group(1) if m else None


class SigningTest(AwsEnvCase):
    def hub(self):
        return self.env.credentials("hub")

    def test_good_signature_each_service(self):
        for svc, params in (("ec2", DVPC), ("sts", GCI), ("iam", LROLES)):
            st, body, _ = raw_request(self.env, svc, params, self.hub())
            self.assertEqual(st, 200, body)

    def test_wrong_secret(self):
        akid = self.hub()[0]
        bad = (akid, "x" * 40)
        st, body, _ = raw_request(self.env, "sts", GCI, bad)
        self.assertEqual((st, code_of(body)), (403, "SignatureDoesNotMatch"))
        self.assertIn("<ErrorResponse", body)
        self.assertIn("<Type>Sender</Type>", body)
        self.assertIn("<RequestId>", body)
        st, body, _ = raw_request(self.env, "iam", LROLES, bad)
        self.assertEqual((st, code_of(body)), (403, "SignatureDoesNotMatch"))
        st, body, _ = raw_request(self.env, "ec2", DVPC, bad)
        self.assertEqual((st, code_of(body)), (403, "SignatureDoesNotMatch"))
        self.assertTrue(body.startswith("<?xml") and "<Response><Errors><Error>" in body, body)
        self.assertIn("<RequestID>", body)
        # and through boto3
        c = self.env.client("ec2", creds=bad)
        self.assertAwsError(c.describe_vpcs, "SignatureDoesNotMatch", 403)

    def test_unknown_key(self):
        unknown = ("AKIAUNKNOWN000000000", "y" * 40)
        st, body, _ = raw_request(self.env, "sts", GCI, unknown)
        self.assertEqual((st, code_of(body)), (403, "InvalidClientTokenId"))
        st, body, _ = raw_request(self.env, "iam", LROLES, unknown)
        self.assertEqual((st, code_of(body)), (403, "InvalidClientTokenId"))
        st, body, _ = raw_request(self.env, "ec2", DVPC, unknown)
        self.assertEqual((st, code_of(body)), (401, "AuthFailure"))

    def test_tampered_body_and_host(self):
        # body changed after signing
        from urllib.parse import urlencode
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
        akid, secret = self.hub()
        req = AWSRequest(method="POST", url=self.env.url + "/", data=urlencode(DVPC).encode(),
                         headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
        SigV4Auth(Credentials(akid, secret), "ec2", "us-east-1").add_auth(req)
        conn = http.client.HTTPConnection("127.0.0.1", self.env.port)
        conn.request("POST", "/", body=req.body + b"&VpcId.1=vpc-1", headers=dict(req.headers))
        r = conn.getresponse()
        self.assertEqual((r.status, code_of(r.read().decode())), (403, "SignatureDoesNotMatch"))
        # Host without the port (signature was over host:port)
        conn.request("POST", "/", body=req.body,
                     headers=dict(req.headers, Host="127.0.0.1"))
        r = conn.getresponse()
        self.assertEqual((r.status, code_of(r.read().decode())), (403, "SignatureDoesNotMatch"))
        conn.close()

    def test_stale_and_future_date(self):
        old = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=16)
        st, body, _ = raw_request(self.env, "sts", GCI, self.hub(), when=old)
        self.assertEqual((st, code_of(body)), (403, "SignatureDoesNotMatch"))
        self.assertRegex(msg_of(body), r"^Signature expired: \d{8}T\d{6}Z is now earlier than "
                                       r"\d{8}T\d{6}Z \(\d{8}T\d{6}Z - 15 min\.\)$")
        st, body, _ = raw_request(self.env, "ec2", DVPC, self.hub(), when=old)
        self.assertEqual((st, code_of(body)), (400, "RequestExpired"))
        fut = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=16)
        st, body, _ = raw_request(self.env, "iam", LROLES, self.hub(), when=fut)
        self.assertEqual((st, code_of(body)), (403, "SignatureDoesNotMatch"))
        self.assertIn("Signature not yet current", msg_of(body))
        # 14 minutes of skew is still fine
        ok = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=14)
        st, body, _ = raw_request(self.env, "sts", GCI, self.hub(), when=ok)
        self.assertEqual(st, 200, body)

    def test_wrong_scope(self):
        st, body, _ = raw_request(self.env, "iam", LROLES, self.hub(), region="us-west-2")
        self.assertEqual((st, code_of(body)), (403, "SignatureDoesNotMatch"))
        self.assertEqual(msg_of(body), "Credential should be scoped to a valid region, not 'us-west-2'. ")
        st, body, _ = raw_request(self.env, "ec2", DVPC, self.hub(), region="mars-north-1")
        self.assertEqual((st, code_of(body)), (403, "SignatureDoesNotMatch"))
        st, body, _ = raw_request(self.env, "sts", GCI, self.hub(), scope_service="iam")
        self.assertEqual((st, code_of(body)), (403, "SignatureDoesNotMatch"))
        self.assertEqual(msg_of(body), "Credential should be scoped to correct service: 'sts'. ")
        st, body, _ = raw_request(self.env, "sts", GCI, self.hub(), scope_date="20200101")
        self.assertEqual((st, code_of(body)), (403, "SignatureDoesNotMatch"))
        self.assertIn("Date in Credential scope does not match YYYYMMDD", msg_of(body))
        # regional STS and another EC2 region are valid scopes
        st, body, _ = raw_request(self.env, "sts", GCI, self.hub(), region="eu-west-1")
        self.assertEqual(st, 200, body)
        st, body, _ = raw_request(self.env, "ec2", DVPC, self.hub(), region="eu-west-1")
        self.assertEqual(st, 200, body)

    def test_missing_authentication(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.env.port)
        conn.request("POST", "/", body="Action=GetCallerIdentity&Version=2011-06-15",
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        r = conn.getresponse()
        self.assertEqual((r.status, code_of(r.read().decode())), (403, "MissingAuthenticationToken"))
        conn.close()

    def _temp_creds(self):
        iam = self.client("iam")
        import json
        from awsenv_base import trust
        arn = iam.create_role(RoleName="r1", AssumeRolePolicyDocument=json.dumps(trust(HUB)))["Role"]["Arn"]
        # the session's own rights (iam_eval.py): the calls below are judged by them
        iam.put_role_policy(RoleName="r1", PolicyName="describe", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                                                    "Action": ["ec2:DescribeVpcs", "iam:ListRoles"],
                                                    "Resource": "*"}]}))
        c = self.client("sts").assume_role(RoleArn=arn, RoleSessionName="sess")["Credentials"]
        return (c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])

    def test_session_token_rules(self):
        tmp = self._temp_creds()
        st, body, _ = raw_request(self.env, "sts", GCI, tmp)
        self.assertEqual(st, 200, body)
        self.assertIn(f"arn:aws:sts::{HUB}:assumed-role/r1/sess", body)
        st, body, _ = raw_request(self.env, "ec2", DVPC, tmp)
        self.assertEqual(st, 200, body)
        # temporary key without its token
        st, body, _ = raw_request(self.env, "sts", GCI, tmp, send_token=False)
        self.assertEqual((st, code_of(body)), (403, "InvalidClientTokenId"))
        st, body, _ = raw_request(self.env, "ec2", DVPC, tmp, send_token=False)
        self.assertEqual((st, code_of(body)), (401, "AuthFailure"))
        # token sent but not signed
        st, body, _ = raw_request(self.env, "iam", LROLES, tmp, sign_token=False)
        self.assertEqual((st, code_of(body)), (400, "IncompleteSignature"))
        # wrong token
        st, body, _ = raw_request(self.env, "sts", GCI, (tmp[0], tmp[1], "bogus"))
        self.assertEqual((st, code_of(body)), (403, "InvalidClientTokenId"))
        # a long-term key with a token it never had
        st, body, _ = raw_request(self.env, "sts", GCI, self.hub() + ("tok",))
        self.assertEqual((st, code_of(body)), (403, "InvalidClientTokenId"))
        # unsigned token accepted when configured
        self.env.post("/_awsenv/config", {"require_signed_token": False})
        st, body, _ = raw_request(self.env, "iam", LROLES, tmp, sign_token=False)
        self.assertEqual(st, 200, body)

    def test_learned_keys_forgotten_on_reset(self):
        tmp = self._temp_creds()
        self.env.reset()
        st, body, _ = raw_request(self.env, "sts", GCI, tmp)
        self.assertEqual((st, code_of(body)), (403, "InvalidClientTokenId"))
        st, body, _ = raw_request(self.env, "sts", GCI, self.hub())
        self.assertEqual(st, 200, body)

    def test_get_with_query_string_and_keepalive(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.env.port)
        for _ in range(3):
            st, body, hdrs = raw_request(self.env, "ec2", DVPC, self.hub(), method="GET", conn=conn)
            self.assertEqual(st, 200, body)
            self.assertIn("<vpcSet>", body)
        st, body, _ = raw_request(self.env, "sts", GCI, self.hub(), conn=conn)
        self.assertEqual(st, 200, body)
        self.assertIn(f"<Account>{HUB}</Account>", body)
        conn.close()

    def test_presigned_query(self):
        from botocore.auth import SigV4QueryAuth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
        akid, secret = self.hub()
        conn = http.client.HTTPConnection("127.0.0.1", self.env.port)
        for sec, want in ((secret, 200), ("x" * 40, 403)):
            req = AWSRequest(method="GET",
                             url=self.env.url + "/?Action=GetCallerIdentity&Version=2011-06-15")
            SigV4QueryAuth(Credentials(akid, sec), "sts", "us-east-1", expires=60).add_auth(req)
            conn.request("GET", req.url[len(self.env.url):])
            r = conn.getresponse()
            self.assertEqual(r.status, want, r.read())
            r.read()
        conn.close()

    def test_moto_account_header_is_ignored(self):
        st, body, _ = raw_request(self.env, "ec2", DVPC, self.env.credentials("client-b"),
                                  extra_headers={"x-moto-account-id": HUB})
        self.assertEqual(st, 200, body)
        self.assertIn("<ownerId>222222222222</ownerId>", body)
        self.assertNotIn(HUB, body)


if __name__ == "__main__":
    unittest.main()
