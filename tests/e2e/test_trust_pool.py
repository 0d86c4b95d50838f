"""The peer-role pool (issue 6): with a small trust-policy quota (awsenv and the broker both
at 400 characters), registrations spill into the second role; with both full, a clear error
before anything is allocated; an account already trusted keeps its role."""

import re
import unittest

from broker_harness import E2ECase, HUB_TRUST, generated_account, trusted_accounts

QUOTA = 400
ACCOUNTS = [generated_account(i) for i in range(1, 13)]
NAMES = [a["name"] for a in ACCOUNTS]
IDS = [a["id"] for a in ACCOUNTS]


def quota_size(doc):
    import json
    return len(re.sub(r"\s", "", json.dumps(doc)))


class TrustPool(E2ECase):
    GENERATED_ACCOUNTS = 12
    AWSENV_ARGS = ("--trust-policy-quota", str(QUOTA))

    def test_registrations_spill_into_the_second_role(self):
        b = self.start_broker(["--trust-policy-quota", str(QUOTA), "--quarantine", "0"],
                              allow=IDS)
        api = b.api
        role1, role2 = self.hub.role_arn(0), self.hub.role_arn(1)
        got = []          # (name, status, role arn or None, namespace)
        for name in NAMES:
            r = api.register(name, f"{name}-1")
            if r.status == 201:
                got.append((name, r.json["PeerRoleArn"], r.json))
            else:
                self.assertStatus(r, 409, "exhausted", f"{name}:")
                self.assertRegex(r.error[1], r"(?i)trust|policy|role",
                                 "the message names the quota")
                got.append((name, None, None))
        roles = [g[1] for g in got]
        in1 = [g[0] for g in got if g[1] == role1]
        in2 = [g[0] for g in got if g[1] == role2]
        refused = [g[0] for g in got if g[1] is None]
        self.assertTrue(in1 and in2, f"both roles used: {roles}")
        # in order: role 1 until full, then role 2, then refusals
        self.assertEqual(roles, [role1] * len(in1) + [role2] * len(in2) + [None] * len(refused),
                         roles)
        self.assertTrue(refused, "12 accounts do not fit two 400-character policies")
        docs = self.hub.trusts()
        for i, role in enumerate(self.hub.roles):
            self.assertLessEqual(quota_size(docs[role]), QUOTA)
        ids = lambda names: sorted(self.env.accounts[n]["id"] for n in names)  # noqa: E731
        self.assertEqual(sorted(trusted_accounts(docs[self.hub.roles[0]])), ids(in1))
        self.assertEqual(sorted(trusted_accounts(docs[self.hub.roles[1]])), ids(in2))
        # nothing allocated for the refused ones
        live = api.list_all("hub")
        self.assertEqual(sorted(x["AccountId"] for x in live), ids(in1 + in2))
        self.assertEqual(sorted(x["NamespaceId"] for x in live), list(range(1, len(live) + 1)))

        # An account already trusted registers again with its role, even with the pool full.
        for name, role in ((in1[0], role1), (in2[-1], role2)):
            r = api.register(name, f"{name}-2")
            self.assertStatus(r, 201, msg=f"second namespace of {name}:")
            self.assertEqual(r.json["PeerRoleArn"], role)
        self.assertEqual(self.hub.trusts(), docs, "no new trust entry for trusted accounts")

        # The trusted clients can assume the role they were told.
        c = self.client(in2[0])
        c.assume_peer_role(role2)

        # Release all of one role-1 account's namespaces: room for a refused account.
        gone = in1[1]
        for x in api.list_all(gone):
            self.assertStatus(api.release(gone, x["NamespaceId"]), 200)
        r = api.register(refused[0], f"{refused[0]}-1")
        self.assertStatus(r, 201, msg="after a release there is room in role 1:")
        self.assertEqual(r.json["PeerRoleArn"], role1)

        # Release everything: both policies back to the template's.
        for x in api.list_all("hub", "state=pending"):
            who = next(n for n in NAMES if self.env.accounts[n]["id"] == x["AccountId"])
            self.assertStatus(api.release(who, x["NamespaceId"]), 200)
        self.assertEqual(self.hub.trusts(), {r: HUB_TRUST for r in self.hub.roles})

    def test_pool_of_one_full_is_refused_before_allocation(self):
        b = self.start_broker(["--trust-policy-quota", str(QUOTA)], allow=IDS,
                              roles=self.hub.roles[:1])
        api = b.api
        n_ok = 0
        for name in NAMES:
            r = api.register(name, "x")
            if r.status != 201:
                before_regs = api.list_all("hub")
                self.assertStatus(r, 409, "exhausted", f"{name}:")
                self.assertEqual(len(before_regs), n_ok, "a refused registration allocated")
                break
            n_ok += 1
        else:
            self.fail("one 400-character policy held 12 accounts")
        self.assertGreater(n_ok, 0)
        # After a release there is room; the refused attempt took no n (n = 1 is in
        # quarantine, so the next one is n_ok + 1).
        self.assertStatus(api.release(NAMES[0], 1), 200)
        r = api.register(NAMES[n_ok], "x")
        self.assertStatus(r, 201)
        self.assertEqual(r.json["NamespaceId"], n_ok + 1)


if __name__ == "__main__":
    unittest.main()
