"""Identity and authorization (issue 14), each attack performed over HTTP against a broker:
a principal of the same account that did not register a namespace cannot confirm or release
it (--authorize principal, the default); a team shares a namespace through one role; a proof
is bound to the request it was made for (a proof captured from a GET cannot DELETE) and an
unbound one is refused unless --accept-unbound-proofs; namespaces registered before
principals were recorded follow their account."""

import json
import sqlite3
import unittest

from broker_harness import E2ECase


class Identity(E2ECase):

    def session(self, b, who, role, name):
        """An assumed-role session of `role` in `who`'s account, as b.api's caller `name`.
        The role has no permission at all: GetCallerIdentity needs none."""
        acct = self.env.accounts[who]["id"]
        iam = self.env.client("iam", who)
        try:
            iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps({
                "Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{acct}:root"},
                    "Action": "sts:AssumeRole"}]}))
        except iam.exceptions.EntityAlreadyExistsException:
            pass
        c = self.env.client("sts", who).assume_role(
            RoleArn=f"arn:aws:iam::{acct}:role/{role}", RoleSessionName=name)["Credentials"]
        b.api.extra_creds[name] = (c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
        b.secrets += [c["SecretAccessKey"], c["SessionToken"]]
        return f"arn:aws:iam::{acct}:role/{role}"

    def test_role_without_permissions_cannot_release_or_confirm(self):
        """Attack: a role with no permissions in account B releases the namespace another
        principal of B registered. Refused (403 naming the registrant); reading stays
        per account."""
        b = self.start_broker()
        self.session(b, "client-b", "nobody", "mallory")
        r = b.api.register("client-b", "owned")
        self.assertStatus(r, 201)
        n = r.json["NamespaceId"]
        user = f"arn:aws:iam::{self.env.accounts['client-b']['id']}:user/client-b"
        r = b.api.release("mallory", n)
        self.assertStatus(r, 403, "forbidden")
        self.assertIn(f"registered by {user}", r.error[1])
        r = b.api.confirm("mallory", n, "pcx-0123456789abcdef0", "vpc-0123456789abcdef0")
        self.assertStatus(r, 403, "forbidden")
        self.assertStatus(b.api.get("mallory", n), 200)
        self.assertEqual(b.api.get("client-b", n).json["State"], "pending")
        self.assertStatus(b.api.release("client-b", n), 200)

    def test_team_shares_through_one_role(self):
        """Every session of the registering role is the same principal."""
        b = self.start_broker()
        self.session(b, "client-b", "team", "alice")
        self.session(b, "client-b", "team", "bob")
        r = b.api.register("alice", "shared")
        self.assertStatus(r, 201)
        self.assertStatus(b.api.release("bob", r.json["NamespaceId"]), 200)

    def test_authorize_account_and_admins(self):
        """--authorize account: any principal of the account, as before issue 14."""
        b = self.start_broker(["--authorize", "account"])
        self.session(b, "client-b", "nobody", "mallory")
        r = b.api.register("client-b", "acct")
        self.assertStatus(r, 201)
        self.assertStatus(b.api.release("mallory", r.json["NamespaceId"]), 200)

    def test_namespace_without_principal_follows_its_account(self):
        """Registered before schema v3 (no principal): any principal of its account."""
        b = self.start_broker()
        self.session(b, "client-b", "nobody", "mallory")
        r = b.api.register("client-b", "old")
        self.assertStatus(r, 201)
        n = r.json["NamespaceId"]
        db = sqlite3.connect(b.db[len("sqlite:"):])
        with db:
            db.execute("UPDATE namespaces SET principal = '' WHERE n = ?", (n,))
        db.close()
        self.assertStatus(b.api.release("mallory", n), 200)
        self.assertTrue(any("no recorded principal" in line for line in b.lines), b.lines[-5:])

    def test_proof_bound_to_its_request(self):
        """Attack: a proof captured from a GET is sent with a DELETE of the same namespace."""
        b = self.start_broker()
        r = b.api.register("client-b", "bound")
        self.assertStatus(r, 201)
        n = r.json["NamespaceId"]
        captured = b.api.proof("client-b", request=f"GET /v1/namespaces/{n}")
        self.assertStatus(b.api.get("client-b", n, auth=captured), 200)
        r = b.api.release("client-b", n, auth=captured)
        self.assertStatus(r, 401, "unauthenticated")
        self.assertIn(f"not for this request 'DELETE /v1/namespaces/{n}'", r.error[1])
        self.assertEqual(b.api.get("client-b", n).json["State"], "pending")

    def test_unbound_proof_refused_unless_flag(self):
        """A proof without X-Vpcpeer-Request (an old client): 401, or accepted and logged
        with --accept-unbound-proofs."""
        from broker_harness import make_proof
        b = self.start_broker()
        unbound = make_proof(self.env.url + "/", self.env.credentials("client-b"),
                             server_id=b.server_id)
        r = b.api.list("client-b", auth=unbound)
        self.assertStatus(r, 401, "unauthenticated")
        self.assertIn("not bound to a request", r.error[1])
        b2 = self.start_broker(["--accept-unbound-proofs"])
        self.assertStatus(b2.api.list("client-b", auth=unbound), 200)
        self.assertTrue(any("not bound to a request" in line for line in b2.lines),
                        b2.lines[-5:])


if __name__ == "__main__":
    unittest.main()
