"""The hub's private hosted zone (issue 19, --hosted-zone), in both peering modes: confirm
authorizes the client's VPC (CreateVPCAssociationAuthorization) and names the zone in its
answer; the client associates its VPC from its own account; confirm called again deletes the
authorization (as AWS recommends); release disassociates the VPC; drift (an association
removed, a stray association) is repaired by one reconcile, planned only by a dry run; a
client naming a VPC that is not its peering's gets no authorization; a zone that is missing,
public or not associated with the hub VPC stops the broker at start-up. awsenv models Route 53's
cross-account rules (tests/awsenv/route53.py)."""

import json
import subprocess
import unittest

import schema_check
from broker_harness import E2ECase, HUB_ACCOUNT, REGION


class HubDns(E2ECase):
    def setUp(self):
        super().setUp()
        self.r53 = self.env.client("route53", "hub")
        z = self.r53.create_hosted_zone(Name="hub.internal", CallerReference="e2e",
                                        VPC={"VPCRegion": REGION, "VPCId": self.hub.vpc},
                                        HostedZoneConfig={"PrivateZone": True})
        self.zone = z["HostedZone"]["Id"].split("/")[-1]

    # ---- observations ----
    def associated(self):
        got = self.r53.get_hosted_zone(Id=self.zone)["VPCs"]
        return {v["VPCId"] for v in got} - {self.hub.vpc}

    def authorized(self):
        got = self.r53.list_vpc_association_authorizations(HostedZoneId=self.zone)["VPCs"]
        return {v["VPCId"] for v in got}

    def associate(self, who, vpc):
        """What the client's handler does, from the client's account."""
        c = self.env.client("route53", who)
        return c.associate_vpc_with_hosted_zone(HostedZoneId=self.zone,
                                                VPC={"VPCRegion": REGION, "VPCId": vpc})

    def start(self, mode, args=(), **kw):
        if mode == "broker":
            kw.setdefault("accepter", None)
            kw.setdefault("roles", ())
        kw.setdefault("allow", ["client-b", "client-c", "client-d"])
        return self.start_broker(["--quarantine", "0", "--hosted-zone", self.zone,
                                  "--reconcile-interval", "0"] + list(args), **kw)

    def join(self, b, mode, who, ref):
        r = b.api.register(who, ref)
        self.assertStatus(r, 201)
        ns = r.json
        schema_check.namespace(self, ns)
        self.assertIsNone(ns["HostedZoneId"], "pending: nothing to associate yet")
        c = self.client(who)
        vpc = c.create_vpc(ns["VpcCidrBlock"])
        pcx = c.request_peering(vpc, ns)
        if mode == "peer-role":
            c.accept(pcx, ns["PeerRoleArn"])
        return ns, vpc, pcx

    def full_join(self, b, mode, who, ref):
        """register, peer, confirm, associate, confirm again: the handler's sequence."""
        ns, vpc, pcx = self.join(b, mode, who, ref)
        r = b.api.confirm(who, ns["NamespaceId"], pcx, vpc)
        self.assertStatus(r, 200)
        schema_check.namespace(self, r.json)
        self.assertEqual(r.json["HostedZoneId"], self.zone)
        self.assertIn(vpc, self.authorized())
        self.associate(who, vpc)
        self.assertStatus(b.api.confirm(who, ns["NamespaceId"], pcx, vpc), 200)
        return ns, vpc, pcx

    def reconcile(self, b, *flags, status=0):
        cmd = [b.binary, "reconcile", "--once", "--json", "--db", b.db, "--hub-account",
               HUB_ACCOUNT, "--hub-vpc", self.hub.vpc, "--hub-region", REGION,
               "--hosted-zone", self.zone, "--peering-accepter", self.mode_of(b)]
        for t in self.hub.route_tables:
            cmd += ["--hub-route-table", t]
        if self.mode_of(b) == "peer-role":
            for r in self.hub.roles:
                cmd += ["--peer-role", r]
        cmd += list(flags)
        p = subprocess.run(cmd, capture_output=True, env=b.env_vars, timeout=300)
        self.assertEqual(p.returncode, status,
                         p.stderr.decode()[-3000:] + p.stdout.decode()[-3000:])
        return json.loads(p.stdout.decode())

    @staticmethod
    def mode_of(b):
        return "peer-role" if "peer-role" in b.cmd else "broker"

    @staticmethod
    def zone_items(report):
        return sorted((i["kind"], i["outcome"]) for i in report["items"]
                      if i["kind"].endswith("_zone"))

    # ---- both modes -------------------------------------------------------------------------

    def life_cycle(self, mode):
        b = self.start(mode)
        ns, vpc, pcx = self.full_join(b, mode, "client-b", "s-1")
        self.assertEqual(self.associated(), {vpc}, "the client's VPC is in the zone")
        self.assertEqual(self.authorized(), set(), "no authorization left once associated")
        got = b.api.get("client-b", ns["NamespaceId"])
        self.assertStatus(got, 200)
        self.assertEqual(got.json["HostedZoneId"], self.zone)

        # Release: the VPC leaves the zone (the zone's owner disassociates it).
        self.assertStatus(b.api.release("client-b", ns["NamespaceId"]), 200)
        self.assertEqual(self.associated(), set())
        self.assertEqual(self.authorized(), set())
        self.assertStatus(b.api.release("client-b", ns["NamespaceId"]), 200, msg="idempotent")

        # Drift: an active client's association removed by hand; a stray VPC associated.
        ns_c, vpc_c, _ = self.full_join(b, mode, "client-c", "s-2")
        self.r53.disassociate_vpc_from_hosted_zone(HostedZoneId=self.zone,
                                                   VPC={"VPCRegion": REGION, "VPCId": vpc_c})
        stray = self.client("client-d").create_vpc("10.9.0.0/22")
        self.r53.create_vpc_association_authorization(
            HostedZoneId=self.zone, VPC={"VPCRegion": REGION, "VPCId": stray})
        self.associate("client-d", stray)
        self.r53.delete_vpc_association_authorization(
            HostedZoneId=self.zone, VPC={"VPCRegion": REGION, "VPCId": stray})
        report = self.reconcile(b, "--dry-run")
        self.assertEqual(self.zone_items(report), [("authorize_zone", "planned"),
                                                   ("disassociate_zone", "planned")], report)
        self.assertEqual((self.associated(), self.authorized()), ({stray}, set()),
                         "a dry run changes nothing")
        report = self.reconcile(b)
        self.assertEqual(self.zone_items(report), [("authorize_zone", "done"),
                                                   ("disassociate_zone", "done")], report)
        self.assertEqual((self.associated(), self.authorized()), (set(), {vpc_c}),
                         "one pass repaired")
        # the client associates again; the next pass deletes the authorization it used
        self.associate("client-c", vpc_c)
        report = self.reconcile(b)
        self.assertEqual(self.zone_items(report), [("deauthorize_zone", "done")], report)
        self.assertEqual((self.associated(), self.authorized()), ({vpc_c}, set()))
        report = self.reconcile(b)
        self.assertEqual(self.zone_items(report), [], report)

    def test_broker_mode(self):
        self.life_cycle("broker")

    def test_peer_role_mode(self):
        self.life_cycle("peer-role")

    def test_no_authorization_for_a_vpc_not_the_peerings(self):
        """The attack: client-c confirms naming another VPC than its peering's (its own second
        VPC, or client-b's): refused, and neither VPC is authorized or can associate."""
        b = self.start("broker")
        ns_b, vpc_b, _ = self.join(b, "broker", "client-b", "s-b")
        ns, vpc, pcx = self.join(b, "broker", "client-c", "s-c")
        other = self.client("client-c").create_vpc("10.9.4.0/22")
        for target in (other, vpc_b):
            r = b.api.confirm("client-c", ns["NamespaceId"], pcx, target)
            self.assertStatus(r, 409)
        self.assertEqual(self.authorized(), set())
        with self.assertRaises(Exception) as cm:
            self.associate("client-c", other)
        self.assertIn("NotAuthorizedException", str(cm.exception))
        self.assertEqual(self.associated(), set())

    def test_stray_disassociation_is_braked(self):
        b = self.start("broker")
        strays = []
        for i in range(3):
            v = self.client("client-d").create_vpc(f"10.9.{4 * i}.0/22")
            self.r53.create_vpc_association_authorization(
                HostedZoneId=self.zone, VPC={"VPCRegion": REGION, "VPCId": v})
            self.associate("client-d", v)
            strays.append(v)
        report = self.reconcile(b, "--max-destructive-repairs", "1", status=1)
        outcomes = sorted(i["outcome"] for i in report["items"]
                          if i["kind"] == "disassociate_zone")
        self.assertEqual(outcomes, ["done", "held", "held"], report)
        self.assertEqual(len(self.associated()), 2)

    def refused(self, zone, *want):
        b = self.start("broker")
        b.stop()
        self.brokers.remove(b)
        cmd = list(b.cmd)
        cmd[cmd.index(self.zone)] = zone
        p = subprocess.run(cmd, capture_output=True, env=b.env_vars, timeout=60,
                           stdin=subprocess.DEVNULL)
        self.assertNotEqual(p.returncode, 0)
        err = p.stderr.decode() + p.stdout.decode()
        for w in want:
            self.assertIn(w, err)

    def test_zone_checked_at_start(self):
        self.refused("ZNOSUCHZONE1", "ZNOSUCHZONE1", "no such hosted zone")
        public = self.r53.create_hosted_zone(Name="example.com", CallerReference="pub")
        pid = public["HostedZone"]["Id"].split("/")[-1]
        self.refused(pid, pid, "public hosted zone")
        other_vpc = self.hub.ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
        z = self.r53.create_hosted_zone(Name="other.internal", CallerReference="o",
                                        VPC={"VPCRegion": REGION, "VPCId": other_vpc},
                                        HostedZoneConfig={"PrivateZone": True})
        oid = z["HostedZone"]["Id"].split("/")[-1]
        self.refused(oid, oid, "not associated with the hub VPC", self.hub.vpc)
        self.refused("not-a-zone!", "--hosted-zone")


if __name__ == "__main__":
    unittest.main()
