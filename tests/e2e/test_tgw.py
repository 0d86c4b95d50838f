"""The transit-gateway mode (issue 16; docs/broker.md "The transit-gateway mode") end to end:
`vpcpeer serve --attach transit-gateway` against awsenv's transit gateways and RAM (tgw.py,
ram.py). The hub is built as templates/hub-tgw.yaml builds it; each client accepts the
share's invitation, attaches its VPC and confirms. Checked: isolation (the clients' table
holds only the hub's route, the hub table one static route per client, to its own
attachment), a client outside the organization, a foreign attachment never accepted, the
attachment quota and another region refused before allocating, the reconciler re-creating a
deleted route and rejecting a stray request, a VPC whose CIDR blocks are not exactly its
plan's refused at confirm (read in the verify table, where awsenv propagates VPC CIDRs:
tgw_routes.py) and its attachment never associated nor routed."""

import json
import subprocess
import unittest

from broker_harness import E2ECase, HUB_ACCOUNT, HUB_CIDR, REGION

ZONE = "us-east-1a"
POOL = "10.0.0.0/8"


class TransitGateway(E2ECase):

    def setUp(self):
        super().setUp()
        ec2 = self.hub.ec2
        g = ec2.create_transit_gateway(
            Description="vpcpeer hub",
            Options={"AutoAcceptSharedAttachments": "disable",
                     "DefaultRouteTableAssociation": "disable",
                     "DefaultRouteTablePropagation": "disable"})["TransitGateway"]
        self.tgw = g["TransitGatewayId"]
        self.clients_rtb, self.hub_rtb, self.verify_rtb = (
            ec2.create_transit_gateway_route_table(TransitGatewayId=self.tgw)[
                "TransitGatewayRouteTable"]["TransitGatewayRouteTableId"] for _ in range(3))
        subnet = ec2.create_subnet(VpcId=self.hub.vpc, CidrBlock="10.0.0.0/24",
                                   AvailabilityZone=ZONE)["Subnet"]["SubnetId"]
        self.hub_att = ec2.create_transit_gateway_vpc_attachment(
            TransitGatewayId=self.tgw, VpcId=self.hub.vpc, SubnetIds=[subnet])[
            "TransitGatewayVpcAttachment"]["TransitGatewayAttachmentId"]
        ec2.associate_transit_gateway_route_table(TransitGatewayRouteTableId=self.hub_rtb,
                                                  TransitGatewayAttachmentId=self.hub_att)
        ec2.create_transit_gateway_route(TransitGatewayRouteTableId=self.clients_rtb,
                                         DestinationCidrBlock=HUB_CIDR,
                                         TransitGatewayAttachmentId=self.hub_att)
        self.ram = self.env.client("ram", "hub")
        self.share = self.ram.create_resource_share(
            name="vpcpeer-hub", resourceArns=[g["TransitGatewayArn"]],
            allowExternalPrincipals=True)["resourceShare"]["resourceShareArn"]

    def flags(self):
        return ["--attach", "transit-gateway", "--transit-gateway", self.tgw,
                "--resource-share", self.share,
                "--transit-gateway-client-table", self.clients_rtb,
                "--transit-gateway-hub-table", self.hub_rtb,
                "--transit-gateway-verify-table", self.verify_rtb]

    def start(self, args=()):
        return self.start_broker(self.flags() + ["--quarantine", "0", "--reconcile-interval",
                                                 "0"] + list(args), accepter=None, roles=())

    # ---- the client's side (what the client stack and its handler do) ----

    def join(self, b, who, ref, cidr=None, extra=None):
        """Register, accept the invitation, attach the VPC (of block `cidr` instead of the
        plan's, with a second block `extra`): (namespace, vpc, attachment)."""
        r = b.api.register(who, ref)
        self.assertStatus(r, 201)
        ns = r.json
        self.assertEqual((ns["Attach"], ns["TransitGatewayId"], ns["ResourceShareArn"]),
                         ("transit-gateway", self.tgw, self.share))
        ram = self.env.client("ram", who)
        for inv in ram.get_resource_share_invitations()["resourceShareInvitations"]:
            if inv["status"] == "PENDING" and inv["resourceShareArn"] == self.share:
                ram.accept_resource_share_invitation(
                    resourceShareInvitationArn=inv["resourceShareInvitationArn"])
        ec2 = self.env.client("ec2", who)
        vpc = ec2.create_vpc(CidrBlock=cidr or ns["VpcCidrBlock"])["Vpc"]["VpcId"]
        if extra:
            ec2.associate_vpc_cidr_block(VpcId=vpc, CidrBlock=extra)
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=cidr.replace("/22", "/24") if cidr
                                   else ns["SubnetACidrBlock"],
                                   AvailabilityZone=ZONE)["Subnet"]["SubnetId"]
        att = ec2.create_transit_gateway_vpc_attachment(
            TransitGatewayId=self.tgw, VpcId=vpc, SubnetIds=[subnet])[
            "TransitGatewayVpcAttachment"]
        self.assertEqual(att["State"], "pendingAcceptance")
        return ns, vpc, att["TransitGatewayAttachmentId"]

    def confirm(self, b, who, n, att, vpc):
        return b.api.request("POST", f"/v1/namespaces/{n}/confirm",
                             {"transit_gateway_attachment_id": att, "vpc_id": vpc}, who=who)

    # ---- the hub's view ----

    def state(self, att):
        got = self.hub.ec2.describe_transit_gateway_vpc_attachments(
            TransitGatewayAttachmentIds=[att])["TransitGatewayVpcAttachments"]
        return got[0]["State"] if got else "gone"

    def routes(self, rtb, exact=None, types=("static",)):
        f = [{"Name": "type", "Values": list(types)}]
        if exact:
            f.append({"Name": "route-search.exact-match", "Values": [exact]})
        got = self.hub.ec2.search_transit_gateway_routes(TransitGatewayRouteTableId=rtb,
                                                         Filters=f)["Routes"]
        return sorted((r["DestinationCidrBlock"],
                       [a["TransitGatewayAttachmentId"]
                        for a in r.get("TransitGatewayAttachments", [])]) for r in got)

    def principals(self):
        got = self.ram.get_resource_share_associations(
            associationType="PRINCIPAL", resourceShareArns=[self.share])
        return sorted(a["associatedEntity"] for a in got["resourceShareAssociations"]
                      if a["status"] in ("ASSOCIATED", "ASSOCIATING"))

    def reconcile(self, b, *flags):
        cmd = [b.binary, "reconcile", "--once", "--json", "--db", b.db, "--hub-account",
               HUB_ACCOUNT, "--hub-vpc", self.hub.vpc, "--hub-region", REGION] + self.flags()
        for t in self.hub.route_tables:
            cmd += ["--hub-route-table", t]
        p = subprocess.run(cmd + list(flags), capture_output=True, env=b.env_vars, timeout=300)
        self.assertEqual(p.returncode, 0, p.stderr.decode()[-3000:])
        return json.loads(p.stdout.decode())

    # ---- the tests ----

    def test_life_cycle_isolation_and_a_client_outside_the_organization(self):
        b = self.start()
        # the hub VPC routes the whole pool to the gateway, once
        for t in self.hub.route_tables:
            rt = self.hub.ec2.describe_route_tables(RouteTableIds=[t])["RouteTables"][0]
            self.assertIn((POOL, self.tgw), [(r.get("DestinationCidrBlock"),
                                              r.get("TransitGatewayId")) for r in rt["Routes"]])
        joined = []
        for who, ref in (("client-b", "s-1"), ("client-d", "s-2")):  # d: outside the org
            ns, vpc, att = self.join(b, who, ref)
            r = self.confirm(b, who, ns["NamespaceId"], att, vpc)
            self.assertStatus(r, 200)
            self.assertEqual((r.json["State"], r.json["TransitGatewayAttachmentId"],
                              r.json["VpcPeeringConnectionId"]), ("active", att, None))
            self.assertEqual(self.state(att), "available")
            joined.append((who, ns, att))
        self.assertEqual(self.principals(), ["222222222222", "444444444444"])
        # isolation: the clients' table holds the hub's route only; the hub table one
        # static route per client, each to its own attachment
        self.assertEqual(self.routes(self.clients_rtb, types=("static", "propagated")),
                         [(HUB_CIDR, [self.hub_att])])
        for _, ns, att in joined:
            self.assertEqual(self.routes(self.hub_rtb,
                                         exact=ns["VpcCidrBlock"]),
                             [(ns["VpcCidrBlock"], [att])])
        for who, ns, att in joined:
            self.assertStatus(b.api.release(who, ns["NamespaceId"]), 200)
            self.assertIn(self.state(att), ("deleting", "deleted", "gone"))
            self.assertEqual(self.routes(self.hub_rtb,
                                         exact=ns["VpcCidrBlock"]), [])
        self.assertEqual(self.principals(), [])

    def test_foreign_attachment_never_accepted_and_stray_request_rejected(self):
        b = self.start()
        ns_c, vpc_c, att_c = self.join(b, "client-c", "s-c")
        r = b.api.register("client-b", "s-b")
        self.assertStatus(r, 201)
        # b names c's attachment (and VPC): not its own account's
        r = self.confirm(b, "client-b", r.json["NamespaceId"], att_c, vpc_c)
        self.assertStatus(r, 409)
        self.assertIn("of a VPC of account 333333333333", r.error[1])
        self.assertEqual(self.state(att_c), "pendingAcceptance")
        # the reconciler leaves a request its account may still confirm ...
        self.reconcile(b)
        self.assertEqual(self.state(att_c), "pendingAcceptance")
        # ... and rejects it once no namespace of its account can explain it
        self.assertStatus(b.api.release("client-c", ns_c["NamespaceId"]), 200)
        report = self.reconcile(b)
        self.assertEqual(self.state(att_c), "rejected", report)

    def test_reconciler_recreates_a_deleted_route(self):
        b = self.start()
        ns, vpc, att = self.join(b, "client-b", "s-1")
        self.assertStatus(self.confirm(b, "client-b", ns["NamespaceId"], att, vpc), 200)
        self.hub.ec2.delete_transit_gateway_route(TransitGatewayRouteTableId=self.hub_rtb,
                                                  DestinationCidrBlock=ns["VpcCidrBlock"])
        planned = self.reconcile(b, "--dry-run")
        self.assertEqual(self.routes(self.hub_rtb,
                                     exact=ns["VpcCidrBlock"]), [], planned)
        self.reconcile(b)
        self.assertEqual(self.routes(self.hub_rtb, exact=ns["VpcCidrBlock"]),
                         [(ns["VpcCidrBlock"], [att])])

    def test_quota_and_another_region_refused_before_allocating(self):
        b = self.start(["--transit-gateway-max-attachments", "2"])  # the hub's and one client
        self.assertStatus(b.api.register("client-b", "s-1"), 201)
        r = b.api.register("client-c", "s-2")
        self.assertStatus(r, 409)
        self.assertIn("attachments per transit gateway", r.error[1])
        r = b.api.request("POST", "/v1/namespaces", {"client_ref": "s-3", "region": "eu-west-1"},
                          who="client-b")
        self.assertStatus(r, 400)
        self.assertIn("serves region us-east-1 only", r.error[1])
        self.assertEqual(len(b.api.list_all()), 1)
        self.assertEqual(self.principals(), ["222222222222"])

    def test_a_vpc_not_of_its_plan_refused_at_confirm(self):
        b = self.start()
        for who, ref, cidr, extra, found in (
                ("client-b", "s-1", "172.16.0.0/22", None, "172.16.0.0/22"),
                ("client-d", "s-2", None, "172.31.0.0/16", "172.31.0.0/16")):
            ns, vpc, att = self.join(b, who, ref, cidr, extra)
            r = self.confirm(b, who, ns["NamespaceId"], att, vpc)
            self.assertStatus(r, 409)
            self.assertIn(found, r.error[1])
            self.assertIn(f"plan is exactly {ns['VpcCidrBlock']}", r.error[1])
            # deleted from the hub side; never associated, never routed
            self.assertIn(self.state(att), ("deleting", "deleted", "gone"))
            for rtb in (self.clients_rtb, self.hub_rtb, self.verify_rtb):
                assoc = self.hub.ec2.get_transit_gateway_route_table_associations(
                    TransitGatewayRouteTableId=rtb)["Associations"]
                self.assertNotIn(att, [a["TransitGatewayAttachmentId"] for a in assoc])
            self.assertEqual(self.routes(self.hub_rtb, exact=ns["VpcCidrBlock"]), [])
            self.assertEqual(self.routes(self.hub_rtb, exact=found), [])
            # the propagation into the verify table is off again
            props = self.hub.ec2.get_transit_gateway_route_table_propagations(
                TransitGatewayRouteTableId=self.verify_rtb)[
                "TransitGatewayRouteTablePropagations"]
            self.assertEqual(props, [])
            self.assertEqual(b.api.get(who, ns["NamespaceId"]).json["State"], "pending")


if __name__ == "__main__":
    unittest.main()
