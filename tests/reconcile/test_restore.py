"""Repairs that cannot destroy what is real (issue 13, docs/reconciler.md): a registry restored
from an older backup adopts the peerings it tagged and lost, at start-up and in a pass, and never
hands their n out again; stray peerings into the hub are reported (peer-role mode: deleted after
--stray-peering-grace, not before); foreign pending requests are rejected after
--foreign-request-grace, not before, and a request some live namespace awaits is left alone;
more than --max-destructive-repairs destructive repairs in one pass are held back until --force;
--dry-run makes no AWS write and no registry write."""

import os
import re
import shutil
import sqlite3
import time
import unittest

from rec_harness import HUB, REGION, Client, ReconcileCase, block, check_invariants

WRITE_ACTIONS = ("Create", "Delete", "Accept", "Reject", "Update", "Replace", "Put",
                 "Associate", "Disassociate", "Attach", "Detach", "Modify")


def items(report, kind, outcome=None):
    return [i for i in report["items"]
            if i["kind"] == kind and (outcome is None or i["outcome"] == outcome)]


def registry_id(broker):
    con = sqlite3.connect(broker.db_path)
    try:
        return con.execute("SELECT value FROM registry_meta WHERE key = 'id'").fetchone()[0]
    finally:
        con.close()


class RepairCase(ReconcileCase):
    def peering(self, pcx):
        """The peering as the hub sees it."""
        return self.hub.ec2.describe_vpc_peering_connections(
            VpcPeeringConnectionIds=[pcx])["VpcPeeringConnections"][0]

    def status(self, pcx):
        return self.peering(pcx)["Status"]["Code"]

    def tag(self, broker, pcx, n, who, ref):
        """The broker's tags on a peering it confirmed, put by the hub (as confirm does once
        engineer B1's tagging is merged; putting them again is harmless)."""
        account = self.env.accounts[who]["id"]
        tags = [{"Key": "vpcpeer:registry", "Value": registry_id(broker)},
                {"Key": "vpcpeer:namespace", "Value": str(n)},
                {"Key": "vpcpeer:account", "Value": account},
                {"Key": "vpcpeer:client-ref", "Value": ref},
                {"Key": "Name", "Value": f"vpcpeer-{n}"}]
        self.hub.ec2.create_tags(Resources=[pcx], Tags=tags)
        if not any(t["Key"] == "vpcpeer:registry" for t in self.peering(pcx).get("Tags", [])):
            # awsenv before per-account peering tags (issue 13, engineer A's branch): moto
            # keeps a peering's tags in its requester's account, where the hub reads them.
            Client(self.env, who).ec2.create_tags(Resources=[pcx], Tags=tags)

    def request(self, who, cidr):
        """A peering request from a new VPC of `who` into the hub (pending-acceptance)."""
        ec2 = Client(self.env, who).ec2
        vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
        return ec2.create_vpc_peering_connection(
            VpcId=vpc, PeerVpcId=self.hub.vpc, PeerOwnerId=HUB,
            PeerRegion=REGION)["VpcPeeringConnection"]["VpcPeeringConnectionId"]

    def accept_as(self, who, pcx):
        """The attack of issue 13: a granted account accepts a peering into the hub through the
        peer role, outside any broker flow."""
        role = f"arn:aws:iam::{HUB}:role/{self.hub.roles[0]}"
        c = Client(self.env, who).sts.assume_role(RoleArn=role,
                                                  RoleSessionName="outside")["Credentials"]
        ec2 = self.env.client("ec2", creds=(c["AccessKeyId"], c["SecretAccessKey"],
                                            c["SessionToken"]))
        ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
        # provisioning before active (awsenv's strict_ec2 counts describes: no waiting)
        for _ in range(10):
            if self.status(pcx) != "provisioning":
                break
        self.assertEqual(self.status(pcx), "active")

    def backup(self, broker):
        """A consistent copy of the running broker's registry, WAL included (as `sqlite3
        .backup` makes it)."""
        path = os.path.join(self.workdir, "backup.db")
        src, dst = sqlite3.connect(broker.db_path), sqlite3.connect(path)
        src.backup(dst)
        src.close()
        dst.close()
        return path

    def restore(self, broker, path):
        """The copy put back, the stopped broker's WAL and shared memory files removed (they
        belong to the newer database)."""
        for suffix in ("-wal", "-shm"):
            if os.path.exists(broker.db_path + suffix):
                os.remove(broker.db_path + suffix)
        shutil.copyfile(path, broker.db_path)

    def assert_no_writes(self):
        calls = self.env.calls()["calls"]
        writes = {f"{svc}:{action}": v["total"] for svc, actions in calls.items()
                  for action, v in actions.items() if action.startswith(WRITE_ACTIONS)}
        self.assertEqual(writes, {}, "--dry-run wrote to AWS")


class RestoreTest(RepairCase):
    def test_restore_from_an_older_backup(self):
        """Copy the registry, register and confirm more clients, put the old copy back: no
        client peering or route lost, the restored-away namespaces adopted (at start-up, before
        the API answers), no n handed out twice."""
        b = self.broker().start()
        ns1 = self.cycle_up(b.api, "client-b", "stack-b")
        self.tag(b, ns1["VpcPeeringConnectionId"], 1, "client-b", "stack-b")
        backup = self.backup(b)
        ns2 = self.cycle_up(b.api, "client-c", "stack-c")
        ns3 = self.cycle_up(b.api, "client-d", "stack-d")
        self.assertEqual((ns2["NamespaceId"], ns3["NamespaceId"]), (2, 3))
        self.tag(b, ns2["VpcPeeringConnectionId"], 2, "client-c", "stack-c")
        self.tag(b, ns3["VpcPeeringConnectionId"], 3, "client-d", "stack-d")
        b.stop(self)
        routes_before = self.hub.routes()
        trust_before = self.hub.trusted()

        self.restore(b, backup)
        self.assertEqual([r["n"] for r in b.records()], [1])

        # a dry run plans the adoptions, deletes nothing and writes nothing
        self.env.request("DELETE", "/_awsenv/calls")
        rc, dry = b.reconcile("--dry-run")
        self.assert_no_writes()
        self.assertEqual(sorted(i["n"] for i in items(dry, "adopt", "planned")), [2, 3], dry)
        self.assertEqual(items(dry, "stray_peering"), [], dry)
        self.assertEqual(items(dry, "delete_route"), [], dry)
        self.assertEqual([r["n"] for r in b.records()], [1])

        # serve adopts before it answers: the next registration gets n = 4
        b.start()
        recs = {r["n"]: r for r in b.records()}
        self.assertEqual(sorted(recs), [1, 2, 3], recs)
        for n, ns, who, ref in ((2, ns2, "client-c", "stack-c"), (3, ns3, "client-d", "stack-d")):
            self.assertEqual(recs[n]["state"], "active")
            self.assertEqual(recs[n]["pcx"], ns["VpcPeeringConnectionId"])
            self.assertEqual(recs[n]["account"], self.env.accounts[who]["id"])
            self.assertEqual(recs[n]["ref"], ref)
            self.assertEqual(recs[n]["cidr"], block(n))
        r = b.api.register("client-b", "stack-b2")
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json["NamespaceId"], 4, "an n that a real peering holds was handed out")
        # the client's own retry of its registration is the adopted namespace
        r = b.api.register("client-c", "stack-c")
        self.assertEqual(r.json["NamespaceId"], 2, r)
        b.stop(self)
        con = sqlite3.connect(b.db_path)
        adopted = con.execute("SELECT n FROM events WHERE type = 'adopted' ORDER BY n").fetchall()
        con.close()
        self.assertEqual(adopted, [(2,), (3,)])

        # a pass afterwards: nothing to adopt, nothing destroyed, every client still routed
        rc, rep = b.reconcile()
        self.assertEqual(rc, 0, rep)
        destroyed = [i for i in rep["items"] if i["kind"] in
                     ("delete_route", "remove_trust", "stray_peering", "peering_lost")
                     and i["outcome"] != "reported"]
        self.assertEqual(destroyed, [], rep)
        self.assertEqual(self.hub.routes(), routes_before)
        for acct in trust_before:
            self.assertIn(acct, self.hub.trusted())
        for ns in (ns1, ns2, ns3):
            self.assertEqual(self.status(ns["VpcPeeringConnectionId"]), "active")
        check_invariants(self, b)

    def test_adopt_in_a_pass_and_conflict(self):
        """reconcile --once adopts a lost namespace; a tagged peering whose n another live
        record holds is reported as a conflict and nothing is deleted."""
        b = self.broker().start()
        backup = self.backup(b)
        ns1 = self.cycle_up(b.api, "client-b", "stack-b")
        self.tag(b, ns1["VpcPeeringConnectionId"], 1, "client-b", "stack-b")
        ns2 = self.cycle_up(b.api, "client-c", "stack-c")
        self.tag(b, ns2["VpcPeeringConnectionId"], 2, "client-c", "stack-c")
        b.stop(self)
        self.restore(b, backup)
        rc, rep = b.reconcile()
        self.assertEqual(rc, 0, rep)
        self.assertEqual(sorted(i["n"] for i in items(rep, "adopt", "done")), [1, 2], rep)
        self.assertEqual(rep["summary"]["failed"], 0, rep)
        check_invariants(self, b)
        b.start()
        r = b.api.register("client-d", "stack-d")
        b.stop(self)
        self.assertEqual(r.json["NamespaceId"], 3, r)

        # now a conflict: n = 3's record is pending; tag a real peering of client-d's with n = 3
        # under another client_ref (another registration holds it)
        pcx = self.request("client-d", block(3))
        self.accept_as("client-d", pcx)
        self.tag(b, pcx, 3, "client-d", "stack-other")
        rc, rep = b.reconcile()
        self.assertEqual(rc, 0, rep)
        conflicts = items(rep, "adopt_conflict", "reported")
        self.assertEqual([i["n"] for i in conflicts], [3], rep)
        self.assertIn("held by", conflicts[0]["detail"])
        self.assertEqual(self.status(pcx), "active", "a conflicting peering was ended")
        self.assertEqual(items(rep, "stray_peering"), [], "a tagged peering treated as a stray")
        self.assertEqual({r["n"]: r["state"] for r in b.records()},
                         {1: "active", 2: "active", 3: "pending"})


    def test_restored_from_between_register_and_confirm(self):
        """The backup holds the registration still pending (no intent): the tagged active
        peering of the same registration confirms it; nothing is released or deleted."""
        b = self.broker().start()
        r = b.api.register("client-b", "stack-b")
        self.assertEqual(r.status, 201, r)
        backup = self.backup(b)
        vpc, pcx = Client(self.env, "client-b").peer(r.json)
        c = b.api.confirm("client-b", 1, pcx, vpc)
        self.assertEqual(c.status, 200, c)
        self.tag(b, pcx, 1, "client-b", "stack-b")
        b.stop(self)
        routes = self.hub.routes()
        self.restore(b, backup)
        self.assertEqual([(x["n"], x["state"], x["pcx"]) for x in b.records()],
                         [(1, "pending", "")])
        rc, rep = b.reconcile()
        self.assertEqual(rc, 0, rep)
        self.assertEqual([(i["n"], i["outcome"]) for i in items(rep, "adopt")], [(1, "done")],
                         rep)
        self.assertEqual([(x["n"], x["state"], x["pcx"]) for x in b.records()],
                         [(1, "active", pcx)])
        self.assertEqual(self.hub.routes(), routes)
        self.assertEqual(self.status(pcx), "active")
        check_invariants(self, b)


class StrayTest(RepairCase):
    def test_active_stray_peer_role_mode(self):
        """A granted account accepts a peering into the hub outside any flow: reported; deleted
        only once --stray-peering-grace has passed since first seen."""
        b = self.broker().start()
        r = b.api.register("client-b", "stack-b")    # client-b is granted the peer role
        self.assertEqual(r.status, 201, r)
        b.stop(self)
        pcx = self.request("client-c", "10.0.40.0/22")
        self.accept_as("client-b", pcx)
        self.assertEqual(self.status(pcx), "active")

        # the default grace (900 s): reported, kept
        rc, rep = b.reconcile()
        self.assertEqual(rc, 0, rep)
        strays = items(rep, "stray_peering")
        self.assertEqual([(i["outcome"], i["target"]) for i in strays], [("reported", pcx)], rep)
        self.assertEqual(self.status(pcx), "active")
        # a dry run with no grace plans the delete and writes nothing
        self.env.request("DELETE", "/_awsenv/calls")
        rc, dry = b.reconcile("--dry-run", "--stray-peering-grace", "0")
        self.assert_no_writes()
        self.assertEqual([i["outcome"] for i in items(dry, "stray_peering")], ["planned"], dry)
        self.assertEqual(self.status(pcx), "active")
        # no grace: deleted
        rc, rep = b.reconcile("--stray-peering-grace", "0")
        self.assertEqual([i["outcome"] for i in items(rep, "stray_peering")], ["done"], rep)
        self.assertEqual(self.status(pcx), "deleted")

    def test_accepted_before_confirm_is_not_a_stray(self):
        """Peer-role mode: the client accepts its peering, then confirms. In between, the
        peering of its pending namespace (same account, same block) is left alone, even with no
        grace; the same account's peering from another block is a stray."""
        b = self.broker().start()
        r = b.api.register("client-b", "stack-b")
        self.assertEqual(r.status, 201, r)
        b.stop(self)
        vpc, own = Client(self.env, "client-b").peer(r.json)
        other = self.request("client-b", "10.0.40.0/22")
        self.accept_as("client-b", other)
        rc, rep = b.reconcile("--stray-peering-grace", "0")
        self.assertEqual([(i["outcome"], i["target"]) for i in items(rep, "stray_peering")],
                         [("done", other)], rep)
        self.assertEqual(self.status(own), "active")
        self.assertEqual(self.status(other), "deleted")
        b.start()
        c = b.api.confirm("client-b", 1, own, vpc)
        self.assertEqual(c.status, 200, c)
        b.stop(self)

    def test_stray_grace_in_serve(self):
        """serve's reconciler remembers when it first saw a stray: reported at first, deleted
        once the grace has passed."""
        b = self.broker().start(extra=["--reconcile-interval", "1",
                                       "--stray-peering-grace", "3"])
        r = b.api.register("client-b", "stack-b")
        self.assertEqual(r.status, 201, r)
        pcx = self.request("client-c", "10.0.40.0/22")
        self.accept_as("client-b", pcx)
        deadline = time.time() + 120
        while time.time() < deadline and self.status(pcx) == "active":
            time.sleep(0.2)
        self.assertEqual(self.status(pcx), "deleted", "the stray was not deleted in serve")
        b.stop(self)
        seen = [ln for ln in b.lines if "stray_peering" in ln and pcx in ln]
        outcomes = [re.search(r"outcome\W+(\w+)", ln).group(1) for ln in seen]
        self.assertGreaterEqual(len(outcomes), 2, seen)
        self.assertEqual(outcomes[0], "reported", "deleted at first sight, before the grace")
        self.assertEqual(outcomes[-1], "done", seen)
        self.assertIn("seen for", seen[-1])
        age = int(re.search(r"seen for (\d+) s", seen[-1]).group(1))
        self.assertGreaterEqual(age, 3, seen[-1])

    def test_active_stray_broker_mode_reported_only(self):
        b = self.broker(mode="broker").start()
        b.stop(self)
        pcx = self.request("client-c", "10.0.40.0/22")
        self.hub.ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)  # by a human
        rc, rep = b.reconcile("--stray-peering-grace", "0")
        self.assertEqual(rc, 0, rep)
        strays = items(rep, "stray_peering")
        self.assertEqual([i["outcome"] for i in strays], ["reported"], rep)
        self.assertIn("broker mode", strays[0]["detail"])
        self.assertEqual(self.status(pcx), "active")

    def test_foreign_requests(self):
        """A pending request no live namespace's account awaits is rejected after the grace, not
        before; one from an account with a pending namespace is left alone."""
        b = self.broker().start()
        r = b.api.register("client-d", "stack-d")   # client-d's request is awaited
        self.assertEqual(r.status, 201, r)
        b.stop(self)
        foreign = self.request("client-c", "10.0.40.0/22")
        awaited = self.request("client-d", r.json["VpcCidrBlock"])

        rc, rep = b.reconcile()
        self.assertEqual(rc, 0, rep)
        found = items(rep, "foreign_request")
        self.assertEqual([(i["outcome"], i["target"]) for i in found], [("reported", foreign)],
                         rep)
        self.assertEqual(self.status(foreign), "pending-acceptance")
        self.env.request("DELETE", "/_awsenv/calls")
        rc, dry = b.reconcile("--dry-run", "--foreign-request-grace", "0")
        self.assert_no_writes()
        self.assertEqual(self.status(foreign), "pending-acceptance")
        rc, rep = b.reconcile("--foreign-request-grace", "0")
        self.assertEqual(rc, 0, rep)
        found = items(rep, "foreign_request")
        self.assertEqual([(i["outcome"], i["target"]) for i in found], [("done", foreign)], rep)
        self.assertEqual(self.status(foreign), "rejected")
        self.assertEqual(self.status(awaited), "pending-acceptance")


class LimitTest(RepairCase):
    def test_destructive_repairs_held_back_until_force(self):
        b = self.broker().start()
        ns1 = self.cycle_up(b.api, "client-b", "stack-b")
        b.stop(self)
        pcx = ns1["VpcPeeringConnectionId"]
        # eight routes the broker made that nothing explains (through a peering it knows)
        for t in self.hub.tables:
            for n in (6, 7, 8, 9):
                self.hub.ec2.create_route(RouteTableId=t, DestinationCidrBlock=block(n),
                                          VpcPeeringConnectionId=pcx)
        self.env.request("DELETE", "/_awsenv/calls")
        rc, dry = b.reconcile("--dry-run", "--max-destructive-repairs", "3", check=False)
        self.assert_no_writes()
        self.assertEqual(rc, 1, dry)
        self.assertEqual(len(items(dry, "delete_route", "planned")), 3, dry)
        self.assertEqual(len(items(dry, "delete_route", "held")), 5, dry)

        rc, rep = b.reconcile("--max-destructive-repairs", "3", check=False)
        self.assertEqual(rc, 1, rep)
        self.assertEqual(len(items(rep, "delete_route", "done")), 3, rep)
        held = items(rep, "delete_route", "held")
        self.assertEqual(len(held), 5, rep)
        self.assertIn("--force", held[0]["detail"])
        self.assertEqual(rep["summary"]["held"], 5)
        self.assertEqual(len([r for r in self.hub.routes() if r[1] != block(1)]), 5)

        rc, rep = b.reconcile("--max-destructive-repairs", "3", "--force")
        self.assertEqual(rc, 0, rep)
        self.assertEqual(len(items(rep, "delete_route", "done")), 5, rep)
        check_invariants(self, b)


if __name__ == "__main__":
    unittest.main()
