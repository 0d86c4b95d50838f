"""STS and IAM: the operations the broker uses, trust policies, propagation delay, stale
reads, quota."""

import json
import time
import unittest

from awsenv_base import AwsEnvCase, HUB, B, C, D, trust


class IamStsTest(AwsEnvCase):
    def make_role(self, doc, name="peer"):
        iam = self.client("iam")
        return iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(doc))["Role"]["Arn"]

    def can_assume(self, who, arn):
        try:
            self.client("sts", who).assume_role(RoleArn=arn, RoleSessionName="s-" + who)
            return True
        except Exception as e:  # noqa: BLE001
            code = getattr(e, "response", {}).get("Error", {}).get("Code")
            self.assertEqual(code, "AccessDenied", e)
            return False

    def test_caller_identity(self):
        r = self.client("sts", "client-b").get_caller_identity()
        self.assertEqual(r["Account"], B)
        self.assertEqual(r["Arn"], f"arn:aws:iam::{B}:user/client-b")
        self.assertTrue(r["UserId"].startswith("AIDA"))

    def test_role_crud_and_policy_roundtrip(self):
        iam = self.client("iam")
        arn = self.make_role(trust(HUB))
        self.assertEqual(arn, f"arn:aws:iam::{HUB}:role/peer")
        role = iam.get_role(RoleName="peer")["Role"]
        self.assertEqual(role["AssumeRolePolicyDocument"], trust(HUB))
        iam.update_assume_role_policy(RoleName="peer", PolicyDocument=json.dumps(trust(HUB, B)))
        self.assertEqual(iam.get_role(RoleName="peer")["Role"]["AssumeRolePolicyDocument"],
                         trust(HUB, B))
        self.assertAwsError(iam.get_role, "NoSuchEntity", 404, RoleName="nope")
        # roles are per account
        self.assertAwsError(self.client("iam", "client-b").get_role, "NoSuchEntity", 404,
                            RoleName="peer")

    def test_trust_principal_forms(self):
        forms = {
            "account id": (trust(B), {B}),
            "root arn": (trust(f"arn:aws:iam::{B}:root"), {B}),
            "list": (trust(B, f"arn:aws:iam::{C}:root"), {B, C}),
            "user arn": (trust(f"arn:aws:iam::{D}:user/client-d"), {D}),
            "other user arn": (trust(f"arn:aws:iam::{D}:user/someone-else"), set()),
            "action list": (trust(B, action=["sts:TagSession", "sts:AssumeRole"]), {B}),
            "sts:*": (trust(C, action="sts:*"), {C}),
            "*": (trust(C, action="*"), {C}),
            "other action": (trust(B, action="sts:AssumeRoleWithSAML"), set()),
            "deny": (trust(B, effect="Deny"), set()),
        }
        for i, (label, (doc, allowed)) in enumerate(forms.items()):
            with self.subTest(label):
                arn = self.make_role(doc, name=f"r{i}")
                for who, acct in (("client-b", B), ("client-c", C), ("client-d", D)):
                    self.assertEqual(self.can_assume(who, arn), acct in allowed, (label, who))

    def test_deny_wins_and_statement_object(self):
        doc = {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": [B, C]}, "Action": "sts:AssumeRole"},
            {"Effect": "Deny", "Principal": {"AWS": C}, "Action": "sts:AssumeRole"}]}
        arn = self.make_role(doc)
        self.assertTrue(self.can_assume("client-b", arn))
        self.assertFalse(self.can_assume("client-c", arn))
        single = {"Version": "2012-10-17",
                  "Statement": {"Effect": "Allow", "Principal": {"AWS": D}, "Action": "sts:AssumeRole"}}
        arn2 = self.make_role(single, name="single")
        self.assertTrue(self.can_assume("client-d", arn2))

    def test_role_principal_and_assumed_identity(self):
        # B has role "app"; hub's role trusts exactly that role
        b_iam = self.client("iam", "client-b")
        app_arn = b_iam.create_role(RoleName="app", AssumeRolePolicyDocument=json.dumps(trust(B)))["Role"]["Arn"]
        hub_arn = self.make_role(trust(app_arn))
        # chaining: the session's own policies must allow sts:AssumeRole too (iam_eval.py)
        b_iam.put_role_policy(RoleName="app", PolicyName="chain", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                    "Resource": hub_arn}]}))
        self.assertFalse(self.can_assume("client-b", hub_arn))  # the user, not the role
        c = self.client("sts", "client-b").assume_role(RoleArn=app_arn, RoleSessionName="app1")["Credentials"]
        sts_b_app = self.env.client("sts", creds=(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"]))
        ident = sts_b_app.get_caller_identity()
        self.assertEqual(ident["Account"], B)
        self.assertEqual(ident["Arn"], f"arn:aws:sts::{B}:assumed-role/app/app1")
        c2 = sts_b_app.assume_role(RoleArn=hub_arn, RoleSessionName="chain")["Credentials"]
        ident2 = self.env.client("sts", creds=(c2["AccessKeyId"], c2["SecretAccessKey"],
                                               c2["SessionToken"])).get_caller_identity()
        self.assertEqual(ident2["Account"], HUB)
        self.assertEqual(ident2["Arn"], f"arn:aws:sts::{HUB}:assumed-role/peer/chain")

    def test_unknown_role_denied(self):
        sts = self.client("sts", "client-b")
        err = self.assertAwsError(sts.assume_role, "AccessDenied", 403,
                                  RoleArn=f"arn:aws:iam::{HUB}:role/none", RoleSessionName="xx")
        self.assertEqual(err["Error"]["Message"],
                         f"User: arn:aws:iam::{B}:user/client-b is not authorized to perform: "
                         f"sts:AssumeRole on resource: arn:aws:iam::{HUB}:role/none")
        self.assertEqual(err["Error"]["Type"], "Sender")

    def test_propagation_delay(self):
        self.env.post("/_awsenv/config", {"iam_propagation_delay": 1.5})
        arn = self.make_role(trust(HUB))
        self.assertFalse(self.can_assume("client-b", arn))
        iam = self.client("iam")
        t0 = time.monotonic()
        iam.update_assume_role_policy(RoleName="peer", PolicyDocument=json.dumps(trust(HUB, B)))
        # GetRole shows the new document at once; AssumeRole still sees the old one
        self.assertEqual(iam.get_role(RoleName="peer")["Role"]["AssumeRolePolicyDocument"], trust(HUB, B))
        self.assertFalse(self.can_assume("client-b", arn))
        self.assertTrue(self.poll(lambda: self.can_assume("client-b", arn), timeout=10))
        self.assertGreaterEqual(time.monotonic() - t0, 1.4)
        # removal is delayed too
        iam.update_assume_role_policy(RoleName="peer", PolicyDocument=json.dumps(trust(HUB)))
        self.assertTrue(self.can_assume("client-b", arn))
        self.assertTrue(self.poll(lambda: not self.can_assume("client-b", arn), timeout=10))

    def test_stale_reads(self):
        self.env.post("/_awsenv/config", {"iam_stale_read_window": 600})
        arn = self.make_role(trust(HUB))
        iam = self.client("iam")
        get = lambda: iam.get_role(RoleName="peer")["Role"]["AssumeRolePolicyDocument"]  # noqa: E731
        self.assertEqual(get(), trust(HUB))  # no update yet: nothing to be stale about
        iam.update_assume_role_policy(RoleName="peer", PolicyDocument=json.dumps(trust(HUB, B)))
        # GetRole answers the document the update replaced; AssumeRole sees the new one
        self.assertEqual(get(), trust(HUB))
        self.assertTrue(self.can_assume("client-b", arn))
        iam.update_assume_role_policy(RoleName="peer", PolicyDocument=json.dumps(trust(HUB, C)))
        self.assertEqual(get(), trust(HUB, B))  # always the one before the last update
        # a window that has passed (here: closed at run time) reads the stored document
        self.env.post("/_awsenv/config", {"iam_stale_read_window": 0})
        self.assertEqual(get(), trust(HUB, C))
        # other roles and other accounts are not affected
        self.env.post("/_awsenv/config", {"iam_stale_read_window": 600})
        self.make_role(trust(HUB, D), name="other")
        self.assertEqual(iam.get_role(RoleName="other")["Role"]["AssumeRolePolicyDocument"],
                         trust(HUB, D))
        # CreateRole forgets the role's history
        iam.delete_role(RoleName="peer")
        self.make_role(trust(HUB))
        self.assertEqual(get(), trust(HUB))

    def test_stale_read_window_ends(self):
        self.env.post("/_awsenv/config", {"iam_stale_read_window": 0.5})
        self.make_role(trust(HUB))
        iam = self.client("iam")
        iam.update_assume_role_policy(RoleName="peer", PolicyDocument=json.dumps(trust(HUB, B)))
        self.assertTrue(self.poll(
            lambda: iam.get_role(RoleName="peer")["Role"]["AssumeRolePolicyDocument"]
            == trust(HUB, B), timeout=10))

    def test_no_delay_by_default(self):
        arn = self.make_role(trust(HUB))
        self.client("iam").update_assume_role_policy(RoleName="peer",
                                                     PolicyDocument=json.dumps(trust(HUB, B)))
        self.assertTrue(self.can_assume("client-b", arn))

    def test_trust_policy_quota(self):
        iam = self.client("iam")
        self.make_role(trust(HUB))
        # 2048 chars without whitespace is fine; whitespace does not count
        def doc_of_len(n, pad=0):
            base = trust(*[f"{i:012d}" for i in range(1, 200)])
            text = json.dumps(base, separators=(",", ":"))
            accts = base["Statement"][0]["Principal"]["AWS"]
            while len(text) > n:
                accts.pop()
                text = json.dumps(base, separators=(",", ":"))
            # pad with a Sid to reach exactly n characters
            base["Statement"][0]["Sid"] = ""
            text = json.dumps(base, separators=(",", ":"))
            while len(text) > n:
                accts.pop()
                text = json.dumps(base, separators=(",", ":"))
            base["Statement"][0]["Sid"] = "S" * (n - len(text))
            text = json.dumps(base, separators=(",", ":"))
            assert len(text) == n, len(text)
            return text
        exact = doc_of_len(2048)
        iam.update_assume_role_policy(RoleName="peer", PolicyDocument=exact)
        spaced = json.dumps(json.loads(exact), indent=4)
        self.assertGreater(len(spaced), 2048)
        iam.update_assume_role_policy(RoleName="peer", PolicyDocument=spaced)
        over = doc_of_len(2049)
        err = self.assertAwsError(iam.update_assume_role_policy, "LimitExceeded", 409,
                                  RoleName="peer", PolicyDocument=over)
        self.assertEqual(err["Error"]["Message"], "Cannot exceed quota for ACLSizePerRole: 2048")
        self.assertAwsError(iam.create_role, "LimitExceeded", 409, RoleName="big",
                            AssumeRolePolicyDocument=over)
        # the refused update left the old document in place
        self.assertEqual(iam.get_role(RoleName="peer")["Role"]["AssumeRolePolicyDocument"],
                         json.loads(exact))
        # configurable at run time
        self.env.post("/_awsenv/config", {"trust_policy_quota": 4096})
        iam.update_assume_role_policy(RoleName="peer", PolicyDocument=over)


if __name__ == "__main__":
    unittest.main()
