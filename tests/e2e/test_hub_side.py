"""The hub side beyond routes (issue 19), in both peering modes: the managed prefix list of
live clients (--prefix-list) holds exactly the active namespaces' blocks, so a hub security
group that references it admits exactly them; release removes the entry; writes are
version-checked (50 concurrent confirms from two brokers on PostgreSQL leave 50 entries) and
batched; a list too small for --max-peerings is refused at start-up; drift (a missing entry,
an extra one) is repaired by one reconcile, planned only by a dry run; the accepter-side DNS
option is set in broker mode (--peering-dns)."""

import json
import subprocess
import sys
import threading
import unittest

from broker_harness import (E2ECase, HUB_ACCOUNT, OnPostgres, REGION, generated_account,
                            parallel)

ACCOUNTS = [generated_account(i) for i in range(1, 11)]
NAMES = [a["name"] for a in ACCOUNTS]
IDS = [a["id"] for a in ACCOUNTS]


class HubSide(E2ECase):
    GENERATED_ACCOUNTS = 10
    AWSENV_ARGS = ("--max-peerings-per-vpc", "125", "--max-routes-per-table", "1000")

    def setUp(self):
        super().setUp()
        self.pl = self.hub.ec2.create_managed_prefix_list(
            PrefixListName="vpcpeer-clients", MaxEntries=60,
            AddressFamily="IPv4")["PrefixList"]["PrefixListId"]
        # The sample rule of templates/hub.yaml: the hub's SG admits the list, no CIDR.
        self.sg = self.hub.ec2.create_security_group(
            GroupName="hub-app", Description="hub app", VpcId=self.hub.vpc)["GroupId"]
        self.hub.ec2.authorize_security_group_ingress(GroupId=self.sg, IpPermissions=[{
            "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
            "PrefixListIds": [{"PrefixListId": self.pl, "Description": "vpcpeer clients"}]}])

    # ---- observations ----
    def entries(self):
        got = self.hub.ec2.get_managed_prefix_list_entries(PrefixListId=self.pl)["Entries"]
        return {e["Cidr"]: e.get("Description", "") for e in got}

    def admitted(self):
        """The CIDRs the hub SG admits: its rules' CIDRs and the entries of the lists it
        references (what EC2 applies)."""
        sg = self.hub.ec2.describe_security_groups(GroupIds=[self.sg])["SecurityGroups"][0]
        out = set()
        for perm in sg["IpPermissions"]:
            out |= {r["CidrIp"] for r in perm.get("IpRanges", [])}
            for ref in perm.get("PrefixListIds", []):
                self.assertEqual(ref["PrefixListId"], self.pl)
                out |= set(self.entries())
        return out

    def modify_calls(self):
        ec2 = self.env.calls()["calls"].get("ec2", {})
        return ec2.get("ModifyManagedPrefixList", {}).get("outcomes", {}).get("ok", 0)

    def start(self, mode, args=(), **kw):
        if mode == "broker":
            kw.setdefault("accepter", None)
            kw.setdefault("roles", ())
        kw.setdefault("allow", ["client-b", "client-c"] + IDS)
        return self.start_broker(["--quarantine", "0", "--prefix-list", self.pl,
                                  "--max-namespaces-per-account", "0"] + list(args), **kw)

    def join(self, b, mode, who, ref):
        r = b.api.register(who, ref)
        self.assertStatus(r, 201)
        ns = r.json
        c = self.client(who)
        vpc = c.create_vpc(ns["VpcCidrBlock"])
        pcx = c.request_peering(vpc, ns)
        if mode == "peer-role":
            c.accept(pcx, ns["PeerRoleArn"])
        return ns, vpc, pcx

    def reconcile(self, b, *flags, status=0):
        cmd = [b.binary, "reconcile", "--once", "--json", "--db", b.db, "--hub-account",
               HUB_ACCOUNT, "--hub-vpc", self.hub.vpc, "--hub-region", REGION,
               "--prefix-list", self.pl, "--peering-accepter", self.mode_of(b)]
        for t in self.hub.route_tables:
            cmd += ["--hub-route-table", t]
        if self.mode_of(b) == "peer-role":
            for r in self.hub.roles:
                cmd += ["--peer-role", r]
        cmd += list(flags)
        p = subprocess.run(cmd, capture_output=True, env=b.env_vars, timeout=300)
        self.assertEqual(p.returncode, status, p.stderr.decode()[-3000:] + p.stdout.decode()[-3000:])
        return json.loads(p.stdout.decode())

    @staticmethod
    def mode_of(b):
        return "peer-role" if "peer-role" in b.cmd else "broker"

    # ---- both modes -------------------------------------------------------------------------

    def life_cycle(self, mode):
        b = self.start(mode, ["--peering-dns", "on"] if mode == "broker" else [])
        self.assertEqual(self.entries(), {})
        joined = []
        for who, ref in (("client-b", "s-1"), ("client-c", "s-2")):
            ns, vpc, pcx = self.join(b, mode, who, ref)
            r = b.api.confirm(who, ns["NamespaceId"], pcx, vpc)
            self.assertStatus(r, 200)
            joined.append((who, ns, pcx))
        # A third registers but never confirms: not a live client yet.
        r = b.api.register("client-b", "s-3")
        self.assertStatus(r, 201)
        want = {ns["VpcCidrBlock"] for _, ns, _ in joined}
        self.assertEqual(self.admitted(), want, "exactly the active clients' CIDRs")
        got = self.entries()
        for who, ns, _ in joined:
            self.assertEqual(got[ns["VpcCidrBlock"]],
                             f"vpcpeer n={ns['NamespaceId']} account={ns['AccountId']}")
        for _, _, pcx in joined:
            p = self.hub.ec2.describe_vpc_peering_connections(
                VpcPeeringConnectionIds=[pcx])["VpcPeeringConnections"][0]
            dns = p["AccepterVpcInfo"].get("PeeringOptions", {}).get(
                "AllowDnsResolutionFromRemoteVpc", False)
            self.assertEqual(dns, mode == "broker", f"{mode} mode: accepter DNS option {p}")
        # Release removes the entry, and only that one.
        who, ns, _ = joined[0]
        self.assertStatus(b.api.release(who, ns["NamespaceId"]), 200)
        self.assertEqual(self.admitted(), {joined[1][1]["VpcCidrBlock"]})
        # Drift: the entry of the active one removed by hand, a stray added by hand.
        lst = self.hub.ec2.describe_managed_prefix_lists(PrefixListIds=[self.pl])["PrefixLists"][0]
        self.hub.ec2.modify_managed_prefix_list(
            PrefixListId=self.pl, CurrentVersion=lst["Version"],
            RemoveEntries=[{"Cidr": joined[1][1]["VpcCidrBlock"]}],
            AddEntries=[{"Cidr": "10.9.0.0/22", "Description": "by hand"}])
        report = self.reconcile(b, "--dry-run")
        kinds = sorted((i["kind"], i["outcome"]) for i in report["items"]
                       if "prefix" in i["kind"])
        self.assertEqual(kinds, [("add_prefix_entry", "planned"),
                                 ("remove_prefix_entry", "planned")], report)
        self.assertEqual(set(self.entries()), {"10.9.0.0/22"}, "a dry run changes nothing")
        report = self.reconcile(b)
        kinds = sorted((i["kind"], i["outcome"]) for i in report["items"]
                       if "prefix" in i["kind"])
        self.assertEqual(kinds, [("add_prefix_entry", "done"), ("remove_prefix_entry", "done")],
                         report)
        self.assertEqual(self.admitted(), {joined[1][1]["VpcCidrBlock"]}, "one pass repaired")
        report = self.reconcile(b)
        self.assertEqual([i for i in report["items"] if "prefix" in i["kind"]], [], report)

    def test_broker_mode(self):
        self.life_cycle("broker")

    def test_peer_role_mode(self):
        self.life_cycle("peer-role")

    def test_destructive_brake_holds_removals(self):
        # no pass of the broker's own (its brake is 10) between the drift and the run below
        b = self.start("broker", ["--reconcile-interval", "0"])
        lst = self.hub.ec2.describe_managed_prefix_lists(PrefixListIds=[self.pl])["PrefixLists"][0]
        self.hub.ec2.modify_managed_prefix_list(
            PrefixListId=self.pl, CurrentVersion=lst["Version"],
            AddEntries=[{"Cidr": f"10.9.{4 * i}.0/22"} for i in range(3)])
        report = self.reconcile(b, "--max-destructive-repairs", "1", status=1)
        outcomes = sorted(i["outcome"] for i in report["items"]
                          if i["kind"] == "remove_prefix_entry")
        self.assertEqual(outcomes, ["done", "held", "held"], report)
        self.assertEqual(len(self.entries()), 2)

    def test_list_too_small_refused_at_start(self):
        small = self.hub.ec2.create_managed_prefix_list(
            PrefixListName="small", MaxEntries=10, AddressFamily="IPv4")["PrefixList"]
        b = self.start("broker", [])
        b.stop()
        self.brokers.remove(b)
        cmd = list(b.cmd)
        cmd[cmd.index(self.pl)] = small["PrefixListId"]
        p = subprocess.run(cmd, capture_output=True, env=b.env_vars, timeout=60,
                           stdin=subprocess.DEVNULL)
        self.assertNotEqual(p.returncode, 0)
        err = p.stderr.decode() + p.stdout.decode()
        self.assertIn("holds at most 10 entries", err)
        self.assertIn("--max-peerings", err)

    def test_writes_that_arrive_together_are_batched(self):
        b = self.start("broker", ["--max-peerings", "60"])
        jobs = [(NAMES[i % 10], f"batch-{i}") for i in range(20)]
        joined = [self.join(b, "broker", who, ref) for who, ref in jobs]
        self.env.request("DELETE", "/_awsenv/calls")
        barrier = threading.Barrier(len(jobs))

        def confirm(k):
            barrier.wait(60)
            ns, vpc, pcx = joined[k]
            return b.api.confirm(jobs[k][0], ns["NamespaceId"], pcx, vpc)
        results = parallel(confirm, range(len(jobs)), threads=len(jobs))
        self.assertEqual([r.status for r in results], [200] * len(jobs), results)
        self.assertEqual(set(self.entries()), {ns["VpcCidrBlock"] for ns, _, _ in joined})
        calls = self.modify_calls()
        print(f"batching: {calls} ModifyManagedPrefixList for {len(jobs)} confirms",
              file=sys.stderr)
        self.assertLess(calls, len(jobs), f"{calls} ModifyManagedPrefixList for {len(jobs)}")


class TwoBrokersOnePrefixList(OnPostgres, HubSide):
    """50 concurrent confirms from two brokers on one PostgreSQL registry: 50 entries."""

    # only the test below runs in this class
    test_broker_mode = test_peer_role_mode = None
    test_destructive_brake_holds_removals = test_list_too_small_refused_at_start = None
    test_writes_that_arrive_together_are_batched = None

    def test_50_confirms_from_two_brokers(self):
        args = ["--max-peerings", "60", "--max-routes-per-table", "1000"]
        b1 = self.start("broker", args, db=self.pg.url, name="broker1")
        b2 = self.start("broker", args, db=self.pg.url, name="broker2")
        jobs = [(NAMES[i % 10], f"pg-{i}") for i in range(50)]
        joined = [self.join((b1, b2)[i % 2], "broker", who, ref)
                  for i, (who, ref) in enumerate(jobs)]
        barrier = threading.Barrier(len(jobs))

        def confirm(k):
            barrier.wait(120)
            ns, vpc, pcx = joined[k]
            return (b1, b2)[(k + 1) % 2].api.confirm(jobs[k][0], ns["NamespaceId"], pcx, vpc)
        results = parallel(confirm, range(len(jobs)), threads=len(jobs))
        self.assertEqual([r.status for r in results], [200] * len(jobs), results)
        got = self.entries()
        ec2 = self.env.calls()["calls"].get("ec2", {}).get("ModifyManagedPrefixList", {})
        print(f"two brokers: 50 confirms, ModifyManagedPrefixList {ec2.get('outcomes')}",
              file=sys.stderr)
        self.assertEqual(len(got), 50, got)
        self.assertEqual(set(got), {ns["VpcCidrBlock"] for ns, _, _ in joined})


if __name__ == "__main__":
    unittest.main()
