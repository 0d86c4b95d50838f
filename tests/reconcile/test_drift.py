"""Drift made by hand in awsenv is repaired or reported by one `vpcpeer reconcile --once`;
--dry-run reports the same and changes nothing (docs/reconciler.md)."""

import json
import time
import unittest

from rec_harness import (HUB, SID, Client, ReconcileCase, block, check_invariants)


def kinds(report, outcome=None):
    return sorted((i["kind"], i.get("n", 0)) for i in report["items"]
                  if outcome is None or i["outcome"] == outcome)


class DriftTest(ReconcileCase):
    def test_drift_repaired_or_reported(self):
        b = self.broker().start()
        api = b.api
        ns1 = self.cycle_up(api, "client-b", "stack-b")     # n = 1, active
        ns2 = self.cycle_up(api, "client-c", "stack-c")     # n = 2, active
        r3 = api.register("client-d", "stack-d")            # n = 3, pending
        self.assertEqual(r3.status, 201, r3)
        b.stop(self)
        acked = [(self.env.accounts["client-b"]["id"], "stack-b", 1),
                 (self.env.accounts["client-c"]["id"], "stack-c", 2),
                 (self.env.accounts["client-d"]["id"], "stack-d", 3)]
        ec2, role = self.hub.ec2, self.hub.roles[0]
        t1, t2 = self.hub.tables

        # 1. a hub route of namespace 1 deleted
        ec2.delete_route(RouteTableId=t1, DestinationCidrBlock=block(1))
        # 2. client-b taken out of the trust policy by hand; a hand-made principal added
        #    (in its own statement: never the broker's) and an account this registry never
        #    knew put into the broker's statement (not added through it: reported, kept)
        doc = self.hub.trust(role)
        for st in doc["Statement"]:
            if st.get("Sid") == SID:
                aws = st["Principal"]["AWS"]
                aws = aws if isinstance(aws, list) else [aws]
                aws = [p for p in aws if self.env.accounts["client-b"]["id"] not in p]
                aws.append("arn:aws:iam::555555555555:root")
                st["Principal"]["AWS"] = aws
        doc["Statement"].append({"Sid": "HandMade", "Effect": "Allow",
                                 "Principal": {"AWS": "arn:aws:iam::777777777777:root"},
                                 "Action": "sts:AssumeRole"})
        self.hub.set_trust(role, doc)
        # 3. stray routes toward plan CIDRs: one through a peering the broker knows
        #    (namespace 2's, toward n = 6: the broker's kind, deleted), one through an
        #    internet gateway toward n = 7 (not the broker's: reported, kept)
        ec2.create_route(RouteTableId=t2, DestinationCidrBlock=block(6),
                         VpcPeeringConnectionId=ns2["VpcPeeringConnectionId"])
        igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=self.hub.vpc)
        ec2.create_route(RouteTableId=t1, DestinationCidrBlock=block(7), GatewayId=igw)
        # 4. namespace 2's peering deleted by its client (its routes become blackholes)
        Client(self.env, "client-c").ec2.delete_vpc_peering_connection(
            VpcPeeringConnectionId=ns2["VpcPeeringConnectionId"])

        # --dry-run: the findings, and nothing changed
        before = self.hub.snapshot()
        records_before = b.records()
        rc, dry = b.reconcile("--dry-run")
        self.assertEqual(rc, 0, dry)
        self.assertTrue(dry["dry_run"])
        self.assertEqual(self.hub.snapshot(), before, "--dry-run changed AWS")
        self.assertEqual(b.records(), records_before, "--dry-run changed the registry")
        planned = kinds(dry, "planned")
        self.assertIn(("create_route", 1), planned)
        self.assertIn(("add_trust", 1), planned)
        self.assertIn(("peering_lost", 2), planned)
        self.assertIn(("delete_route", 6), planned)
        self.assertIn(("delete_route", 2), planned)   # namespace 2's blackholes
        self.assertIn(("remove_trust", 0), kinds(dry, "reported"))
        self.assertIn(("foreign_route", 7), kinds(dry, "reported"))

        # the real pass
        rc, rep = b.reconcile()
        self.assertEqual(rc, 0, rep)
        done = kinds(rep, "done")
        self.assertIn(("create_route", 1), done)
        self.assertIn(("add_trust", 1), done)
        self.assertIn(("peering_lost", 2), done)
        self.assertIn(("delete_route", 6), done)
        self.assertIn(("remove_trust", 0), kinds(rep, "reported"))
        self.assertIn(("foreign_route", 7), kinds(rep, "reported"))
        self.assertEqual(rep["summary"]["failed"], 0, rep)

        states = {r["n"]: r["state"] for r in b.records()}
        self.assertEqual(states, {1: "active", 2: "failed", 3: "pending"})
        routes = self.hub.routes()
        self.assertIn((t1, block(1), ns1["VpcPeeringConnectionId"], "active"), routes)
        self.assertIn((t1, block(7), igw, "active"), routes, "a foreign route was deleted")
        self.assertNotIn(block(6), [d for _, d, _, _ in routes])
        self.assertNotIn(block(2), [d for _, d, _, _ in routes])
        trusted = self.hub.trusted()
        self.assertIn(self.env.accounts["client-b"]["id"], trusted)
        self.assertIn("555555555555", trusted, "an account unknown to the registry was removed")
        hand = [s for s in self.hub.trust(role)["Statement"] if s.get("Sid") == "HandMade"]
        self.assertEqual(len(hand), 1, "a principal the broker did not add was touched")
        # the failed namespace has its event
        con_events = __import__("sqlite3").connect(b.db_path)
        ev = con_events.execute("SELECT detail FROM events WHERE n = 2 AND type = 'failed'")
        self.assertIn("peering gone", ev.fetchone()[0])
        con_events.close()

        # invariants: the foreign route toward n = 7 and the unknown account stay
        # (reported); take them out by hand, then everything else agrees
        ec2.delete_route(RouteTableId=t1, DestinationCidrBlock=block(7))
        doc = self.hub.trust(role)
        for st in doc["Statement"]:
            if st.get("Sid") == SID:
                aws = st["Principal"]["AWS"]
                aws = aws if isinstance(aws, list) else [aws]
                st["Principal"]["AWS"] = [a for a in aws if "555555555555" not in a]
        self.hub.set_trust(role, doc)
        check_invariants(self, b, acked)
        # a second pass finds nothing to do
        rc, again = b.reconcile()
        self.assertEqual([i for i in again["items"] if i["outcome"] != "reported"], [], again)

    def test_stale_entry_of_a_known_account_removed(self):
        """An account this registry knows (a released namespace) put back into the broker's
        statement by hand has no live namespace: one reconcile removes it."""
        b = self.broker().start()
        r = b.api.register("client-b", "stack-b")
        self.assertEqual(r.status, 201, r)
        r = b.api.release("client-b", 1)
        self.assertEqual(r.status, 200, r)
        b.stop(self)
        account = self.env.accounts["client-b"]["id"]
        self.assertEqual(self.hub.trusted(), {})
        role = self.hub.roles[0]
        doc = self.hub.trust(role)
        doc["Statement"].append({"Sid": SID, "Effect": "Allow",
                                 "Principal": {"AWS": [f"arn:aws:iam::{account}:root"]},
                                 "Action": "sts:AssumeRole"})
        self.hub.set_trust(role, doc)
        self.assertIn(account, self.hub.trusted())
        rc, rep = b.reconcile()
        self.assertEqual(rc, 0, rep)
        self.assertIn(("remove_trust", 0), kinds(rep, "done"))
        self.assertEqual(self.hub.trusted(), {})

    def test_pending_ttl_released(self):
        b = self.broker(args=["--pending-ttl", "1"]).start()
        r = b.api.register("client-d", "stack-d")
        self.assertEqual(r.status, 201, r)
        b.stop(self)
        time.sleep(2.1)  # the TTL (1 s) passes: this is the time under test, not a sync
        rc, rep = b.reconcile()
        self.assertEqual(rc, 0, rep)
        self.assertIn(("release_expired", 1), kinds(rep, "done"))
        self.assertEqual(b.records(), [])
        self.assertEqual(self.hub.trusted(), {})

    def test_reconciler_thread_in_serve(self):
        """serve --reconcile-interval 1 repairs a deleted route by itself; SIGTERM stops it."""
        b = self.broker().start(extra=["--reconcile-interval", "1"])
        ns = self.cycle_up(b.api, "client-b", "stack-b")
        t1 = self.hub.tables[0]
        self.hub.ec2.delete_route(RouteTableId=t1, DestinationCidrBlock=block(1))
        deadline = time.time() + 60
        while time.time() < deadline:
            if (t1, block(1), ns["VpcPeeringConnectionId"], "active") in self.hub.routes():
                break
            time.sleep(0.2)
        else:
            self.fail("the reconciler thread did not re-create the route")
        b.stop(self)


if __name__ == "__main__":
    unittest.main()
