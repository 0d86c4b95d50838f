"""Two brokers on one PostgreSQL registry (issue 6): registrations, confirmations and
releases spread over both, concurrently: no n twice, no account lost from (or left in) a
trust policy. The cluster is a throwaway one (tests/support/pg_cluster.sh), stopped and
removed whatever happens."""

import re
import threading
import time
import unittest

from broker_harness import (E2ECase, OnPostgres, generated_account, parallel, plan_of,
                            trusted_accounts)

ACCOUNTS = [generated_account(i) for i in range(1, 11)]
NAMES = [a["name"] for a in ACCOUNTS]
IDS = [a["id"] for a in ACCOUNTS]


def all_trusted(hub):
    out = []
    for doc in hub.trusts().values():
        out += trusted_accounts(doc)
    return out


class TwoBrokers(OnPostgres, E2ECase):
    GENERATED_ACCOUNTS = 10

    def racing(self, calls):
        """calls: [fn() -> Response]; one thread each, released together."""
        barrier = threading.Barrier(len(calls))

        def one(fn):
            try:
                barrier.wait(60)
            except threading.BrokenBarrierError:
                pass
            return fn()
        return parallel(one, calls, threads=len(calls))

    def address_parts(self):
        """What would give the database away: its socket directory, port and URL."""
        host = self.pg.url.split("host=")[1].split("&")[0]
        return [host, "5432", "postgresql:", "host="]

    def test_readyz_while_the_database_is_down(self):
        """Issue 23: /readyz names the failed check and nothing else; after the server is
        back the first registration succeeds (a connection lost before COMMIT is tried
        again on a fresh one)."""
        b = self.start_broker(["--reconcile-interval", "1"], db=self.pg.url, allow=IDS,
                              name="broker-down")
        self.assertStatus(b.api.register(NAMES[0], "down-0"), 201)
        self.pg.pause()
        try:
            r = b.api.request("GET", "/readyz")
            self.assertEqual(r.status, 503, r)
            self.assertEqual(r.json, {"status": "not ready", "check": "registry_read"})
        finally:
            self.pg.resume()
        r = b.api.register(NAMES[0], "down-1")
        self.assertStatus(r, 201)
        # /readyz keeps its answer for up to a second (docs/serving.md): the 503 of the
        # outage may still be the cached one, the next check is fresh
        deadline = time.monotonic() + 10
        while b.api.request("GET", "/readyz").status != 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        self.assertEqual(b.api.request("GET", "/readyz").status, 200)
        # the reconciler leads by the lease: one parseable line per pass (the contract)
        passes = re.findall(r"reconcile: pass epoch=(\d+) started_ms=(\d+) ended_ms=(\d+) "
                            r"outcome=(ok|fenced|failed|skipped)", b.log_text())
        self.assertTrue(any(p[3] == "ok" and int(p[0]) >= 1 for p in passes), passes)
        for epoch, started, ended, _ in passes:
            self.assertLessEqual(int(started), int(ended))

    def test_no_database_address_in_answers(self):
        """Issue 23, defect 6: while the database is down, the answers to clients (register,
        get, confirm, release, list) name no database address."""
        b = self.start_broker([], db=self.pg.url, allow=IDS, name="broker-redact")
        r = b.api.register(NAMES[1], "redact-0")
        self.assertStatus(r, 201)
        n = r.json["NamespaceId"]
        self.pg.pause()
        try:
            answers = [b.api.register(NAMES[1], "redact-1"), b.api.get(NAMES[1], n),
                       b.api.request("POST", f"/v1/namespaces/{n}/confirm",
                                     {"vpc_peering_connection_id": "pcx-0a0a0a0a",
                                      "vpc_id": "vpc-0a0a0a0a"}, who=NAMES[1]),
                       b.api.request("DELETE", f"/v1/namespaces/{n}", who=NAMES[1]),
                       b.api.request("GET", "/v1/namespaces", who=NAMES[1])]
        finally:
            self.pg.resume()
        for r in answers:
            self.assertGreaterEqual(r.status, 500, r)
            body = r.body.decode() if isinstance(r.body, bytes) else str(r.body)
            for part in self.address_parts():
                self.assertNotIn(part, body, f"the database address in an answer: {body}")

    def test_two_brokers_share_one_registry(self):
        args = ["--quarantine", "0", "--max-peerings", "125", "--max-routes-per-table", "1000"]
        self.env.post("/_awsenv/config", {"max_routes_per_table": 1000,
                                          "max_peerings_per_vpc": 125})
        db = self.pg.database("shared")  # a registry of its own: n from 1, whatever ran before
        b1 = self.start_broker(args, db=db, allow=IDS, name="broker1")
        b2 = self.start_broker(args, db=db, allow=IDS, name="broker2")
        brokers = (b1.api, b2.api)
        trust0, routes0 = self.hub.trusts(), self.hub.routes()

        # 40 registrations, 4 per account, alternating brokers, all at once.
        jobs = [(NAMES[i % 10], f"pg-{i}", brokers[i % 2]) for i in range(40)]
        calls = []
        for who, ref, api in jobs:
            auth = api.proof(who)
            calls.append(lambda who=who, ref=ref, api=api, auth=auth:
                         api.register(who, ref, auth=auth))
        results = self.racing(calls)
        bad = [(j[:2], r) for j, r in zip(jobs, results) if r.status != 201]
        self.assertEqual(bad, [])
        ns = [r.json for r in results]
        self.assertEqual(sorted(x["NamespaceId"] for x in ns), list(range(1, 41)), "no n twice")
        for x in ns:
            self.assertEqual(x["VpcCidrBlock"], plan_of(x["NamespaceId"])[0])
        self.assertEqual(sorted(all_trusted(self.hub)), sorted(IDS),
                         "every account in the trust policy, once")
        # Both brokers see the same registry; a replay at the other broker is a replay.
        self.assertEqual(sorted(x["NamespaceId"] for x in b1.api.list_all("hub")),
                         sorted(x["NamespaceId"] for x in b2.api.list_all("hub")))
        r = brokers[1].register(jobs[0][0], jobs[0][1])
        self.assertStatus(r, 200)
        self.assertEqual(r.json["NamespaceId"], ns[0]["NamespaceId"])

        # Confirm one per account, alternating brokers, at once.
        chosen = list(range(10))
        peers = {}
        for i in chosen:
            who = jobs[i][0]
            peers[i] = self.client(who).peer(ns[i])
        results = self.racing([
            (lambda i=i: brokers[(i + 1) % 2].confirm(jobs[i][0], ns[i]["NamespaceId"],
                                                      peers[i][1], peers[i][0]))
            for i in chosen])
        self.assertEqual([r.status for r in results], [200] * len(chosen), results)
        routes = self.hub.routes()
        for rtb in self.hub.route_tables:
            got = {(d, t) for d, t, s in routes[rtb] if t != "local"}
            self.assertEqual(got, {(ns[i]["VpcCidrBlock"], peers[i][1]) for i in chosen})

        # Mixed: release all 40 while 5 accounts register anew, over both brokers. An
        # account's last old namespace going and its new one coming race on its trust entry.
        calls = [(lambda i=i: brokers[i % 2].release(jobs[i][0], ns[i]["NamespaceId"]))
                 for i in range(40)]
        new_jobs = [(NAMES[i], f"pg-new-{i}") for i in range(5)]
        calls += [(lambda j=j, k=k: brokers[k % 2].register(*j)) for k, j in enumerate(new_jobs)]
        results = self.racing(calls)
        self.assertEqual([r.status for r in results[:40]], [200] * 40, results[:40])
        self.assertEqual([r.status for r in results[40:]], [201] * 5, results[40:])
        live = [x for x in b1.api.list_all("hub") if x["State"] != "released"]
        held = [x["NamespaceId"] for x in live]
        self.assertEqual(len(held), len(set(held)), f"an n held twice: {sorted(held)}")
        self.assertEqual(sorted(x["AccountId"] for x in live), sorted(IDS[:5]))
        self.assertEqual(sorted(all_trusted(self.hub)), sorted(IDS[:5]),
                         "trust policy = the accounts with a live namespace, once each")
        routes = self.hub.routes()
        for rtb in self.hub.route_tables:
            self.assertEqual(routes[rtb], routes0[rtb], "routes of released namespaces remain")

        # Release the rest over both brokers: everything back to the start.
        who_of = {a["id"]: a["name"] for a in ACCOUNTS}
        results = self.racing([
            (lambda x=x, k=k: brokers[k % 2].release(who_of[x["AccountId"]], x["NamespaceId"]))
            for k, x in enumerate(live)])
        self.assertEqual([r.status for r in results], [200] * len(live), results)
        self.assertEqual(self.hub.trusts(), trust0)
        self.assertEqual(self.hub.routes(), routes0)
        self.assertEqual({x["State"] for x in b2.api.list_all("hub")}, {"released"})


if __name__ == "__main__":
    unittest.main()
