"""Concurrency and quotas (issue 6): 120 concurrent registrations from 20 accounts, confirmed
and released concurrently, leave AWS and the registry as they were; with the default
--max-peerings the 51st live registration is refused naming the quota; the routes-per-table
quota is checked before AWS would refuse."""

import re
import threading
import unittest

from broker_harness import (E2ECase, generated_account, parallel, plan_of, register_burst,
                            trusted_accounts)

ACCOUNTS = [generated_account(i) for i in range(1, 21)]
NAMES = [a["name"] for a in ACCOUNTS]
IDS = [a["id"] for a in ACCOUNTS]


def all_trusted(hub):
    out = []
    for doc in hub.trusts().values():
        out += trusted_accounts(doc)
    return out


class Concurrency(E2ECase):
    GENERATED_ACCOUNTS = 20
    AWSENV_ARGS = ("--max-peerings-per-vpc", "125", "--max-routes-per-table", "1000")

    def test_120_concurrent_registrations_from_20_accounts(self):
        b = self.start_broker(["--max-peerings", "125", "--max-routes-per-table", "1000",
                               "--quarantine", "0", "--max-namespaces-per-account", "0"],
                              allow=IDS, route_tables=None)
        api = b.api
        trust0, routes0 = self.hub.trusts(), self.hub.routes()

        jobs = [(NAMES[i % 20], f"arn:aws:cloudformation:us-east-1:x:stack/s{i}|Registration")
                for i in range(120)]
        results = register_burst(api, jobs)
        bad = [(j, r) for j, r in zip(jobs, results) if r.status != 201]
        self.assertEqual(bad, [], "every registration is new")
        ns = [r.json for r in results]
        self.assertEqual(sorted(x["NamespaceId"] for x in ns), list(range(1, 121)),
                         "exactly n = 1..120, each once")
        for (who, ref), x in zip(jobs, ns):
            self.assertEqual(x["AccountId"], self.env.accounts[who]["id"])
            self.assertEqual(x["ClientRef"], ref)
            self.assertEqual(x["VpcCidrBlock"], plan_of(x["NamespaceId"])[0])
            self.assertEqual(x["State"], "pending")

        # Every account in the pool's trust policies exactly once, in the role it was told.
        trusted = all_trusted(self.hub)
        self.assertEqual(sorted(trusted), sorted(IDS), "each account exactly once")
        docs = self.hub.trusts()
        for x in ns:
            role = x["PeerRoleArn"].rsplit("/", 1)[1]
            self.assertIn(x["AccountId"], trusted_accounts(docs[role]))

        # Replays in parallel: the same answers, nothing new.
        again = register_burst(api, jobs[:40])
        for r, first in zip(again, ns[:40]):
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.json["NamespaceId"], first["NamespaceId"])
        self.assertEqual(len(api.list_all("hub")), 120)

        # Each client peers (sequentially: moto is one lock), then all confirm at once.
        clients = {who: self.client(who) for who in NAMES}
        accepters = {}
        peers = []
        for (who, _), x in zip(jobs, ns):
            c = clients[who]
            vpc = c.create_vpc(x["VpcCidrBlock"])
            pcx = c.request_peering(vpc, x)
            key = (who, x["PeerRoleArn"])
            if key not in accepters:
                accepters[key] = c.assume_peer_role(x["PeerRoleArn"])
            accepters[key].accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
            peers.append((vpc, pcx))

        def confirm(i):
            return api.confirm(jobs[i][0], ns[i]["NamespaceId"], peers[i][1], peers[i][0])
        results = parallel(confirm, range(120), threads=32)
        bad = [(i, r) for i, r in enumerate(results) if r.status != 200]
        self.assertEqual(bad, [], "every confirm succeeds")
        routes = self.hub.routes()
        for rtb in self.hub.all_route_tables:   # no --hub-route-table: every table of the VPC
            got = {(d, t) for d, t, s in routes[rtb] if t != "local"}
            want = {(x["VpcCidrBlock"], p[1]) for x, p in zip(ns, peers)}
            self.assertEqual(got, want, f"{rtb}: routes")

        # Release all at once: routes, trust and registry back to where they started.
        def release(i):
            return api.release(jobs[i][0], ns[i]["NamespaceId"])
        results = parallel(release, range(120), threads=32)
        bad = [(i, r) for i, r in enumerate(results) if r.status != 200 or
               r.json["State"] != "released"]
        self.assertEqual(bad, [], "every release succeeds")
        self.assertEqual(self.hub.trusts(), trust0, "trust policies back to the start")
        self.assertEqual(self.hub.routes(), routes0, "hub route tables back to the start")
        states = [x["State"] for x in api.list_all("hub")]
        self.assertEqual(len(states), 120)
        paged = api.list_all("hub", "limit=7")
        self.assertEqual(sorted(x["NamespaceId"] for x in paged), list(range(1, 121)),
                         "pages of 7 list every namespace once")
        self.assertEqual(set(states), {"released"})
        for s in ("pending", "active", "failed", "releasing"):
            r = api.list("hub", f"state={s}")
            self.assertStatus(r, 200)
            self.assertEqual(r.json["Namespaces"], [], s)
        # and the lowest n is free again
        r = api.register(NAMES[0], "after-all")
        self.assertStatus(r, 201)
        self.assertEqual(r.json["NamespaceId"], 1)
        self.assertStatus(api.release(NAMES[0], 1), 200)

    def test_races_on_one_key_and_one_namespace(self):
        """The same client_ref 10 times at once: one 201, nine 200, one n. Confirm and
        release of the same namespace at once: whichever wins, no route outlives the release.
        The same release 8 times at once: all 200."""
        b = self.start_broker(["--quarantine", "0", "--max-peerings", "125",
                               "--max-routes-per-table", "1000"], allow=IDS)
        api = b.api
        routes0, trust0 = self.hub.routes(), self.hub.trusts()
        barrier = threading.Barrier(10)

        def same(i):
            auth = api.proof(NAMES[0])
            barrier.wait(60)
            return api.register(NAMES[0], "one-key", auth=auth)
        rs = parallel(same, range(10), threads=10)
        self.assertEqual(sorted(r.status for r in rs), [200] * 9 + [201], rs)
        self.assertEqual({r.json["NamespaceId"] for r in rs}, {1})

        # 20 namespaces (one per account), peered; then confirm and release of each at once
        ns = []
        for who in NAMES:
            r = api.register(who, "race")
            self.assertStatus(r, 201)
            ns.append((who, r.json) + self.client(who).peer(r.json))
        calls = []
        for who, x, vpc, pcx in ns:
            calls.append(lambda who=who, x=x, vpc=vpc, pcx=pcx:
                         ("confirm", api.confirm(who, x["NamespaceId"], pcx, vpc)))
            calls.append(lambda who=who, x=x: ("release", api.release(who, x["NamespaceId"])))
        barrier2 = threading.Barrier(len(calls))

        def run(fn):
            barrier2.wait(60)
            return fn()
        rs = parallel(run, calls, threads=len(calls))
        for kind, r in rs:
            if kind == "release":
                self.assertEqual(r.status, 200, r)
            else:
                self.assertIn(r.status, (200, 409), r)
        self.assertStatus(api.release(NAMES[0], 1), 200)
        self.assertEqual({x["State"] for x in api.list_all("hub")}, {"released"})
        self.assertEqual(self.hub.routes(), routes0, "a route outlived its namespace's release")
        self.assertEqual(self.hub.trusts(), trust0)

        # the same release many times at once
        r = api.register(NAMES[1], "rel")
        self.assertStatus(r, 201)
        n = r.json["NamespaceId"]
        rs = parallel(lambda _: api.release(NAMES[1], n), range(8), threads=8)
        self.assertEqual([r.status for r in rs], [200] * 8, rs)
        self.assertEqual({r.json["State"] for r in rs}, {"released"})
        self.assertEqual(self.hub.trusts(), trust0)

    def test_default_peering_quota_refuses_the_51st(self):
        b = self.start_broker(["--max-routes-per-table", "1000", "--quarantine", "0"], allow=IDS)
        api = b.api
        jobs = [(NAMES[i % 20], f"q-{i}") for i in range(50)]
        results = parallel(lambda j: api.register(*j), jobs, threads=16)
        self.assertEqual([r.status for r in results], [201] * 50)
        self.assertEqual(sorted(r.json["NamespaceId"] for r in results), list(range(1, 51)))

        before = self.snapshot(b)
        r = api.register(NAMES[3], "q-50")
        self.assertStatus(r, 409, "exhausted", "the 51st live registration:")
        self.assertRegex(r.error[1], r"(?i)peering", "the message names the quota")
        self.assertRegex(r.error[1], r"--max-peerings|max.peerings",
                         "the message says how to raise it")
        self.assertUnchanged(before, b, "refused 51st")
        # A replay of a live registration is not refused by the quota.
        self.assertStatus(api.register(*jobs[7]), 200)
        # After one release there is room again: the freed n.
        self.assertStatus(api.release(jobs[6][0], results[6].json["NamespaceId"]), 200)
        r = api.register(NAMES[3], "q-50")
        self.assertStatus(r, 201)
        self.assertEqual(r.json["NamespaceId"], results[6].json["NamespaceId"])

    def test_route_quota_checked_before_aws(self):
        """Room in the hub route tables: --max-routes-per-table minus the routes already
        there (a default route to an internet gateway in one table)."""
        self.env.post("/_awsenv/config", {"max_routes_per_table": 3})
        igw = self.hub.ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        self.hub.ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=self.hub.vpc)
        self.hub.ec2.create_route(RouteTableId=self.hub.route_tables[0],
                                  DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
        b = self.start_broker(["--max-routes-per-table", "3", "--max-peerings", "125"],
                              allow=IDS)
        api = b.api
        ok = []
        for i in range(2):
            r = api.register(NAMES[i], f"r-{i}")
            self.assertStatus(r, 201)
            ok.append((NAMES[i], r.json))
        before = self.snapshot(b)
        r = api.register(NAMES[2], "r-2")
        self.assertStatus(r, 409, "exhausted", "no room left in a hub route table:")
        self.assertRegex(r.error[1], r"(?i)route", "the message names the quota")
        self.assertRegex(r.error[1], r"--max-routes-per-table|max.routes",
                         "the message says how to raise it")
        self.assertUnchanged(before, b, "refused for routes")
        # The two admitted ones do fit: confirming them succeeds in AWS.
        for who, x in ok:
            vpc, pcx = self.client(who).peer(x)
            self.assertStatus(api.confirm(who, x["NamespaceId"], pcx, vpc), 200)


if __name__ == "__main__":
    unittest.main()
