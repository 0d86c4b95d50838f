# SPDX-License-Identifier: Apache-2.0
"""End-to-end, the transit-gateway mode's client side (issue 16): templates/client.yaml with
AttachMode transit-gateway, deployed by the CloudFormation simulator into awsenv against the
real broker (`vpcpeer serve --attach transit-gateway`) and the real handler (the same binary
as the Lambda function's `bootstrap`, cfn/handler_tgw.c). The hub's transit gateway, its two
route tables and its resource share are made as templates/hub-tgw.yaml makes them (as
tests/e2e/test_tgw.py does). client-b is inside the hub's organization (no invitation),
client-d outside it (the handler accepts the invitation). Checked: the stacks complete, the
attachment is the broker's and available, both client route tables route the hub's CIDR to
the transit gateway, no peering anywhere; deleting the stacks leaves no attachment, VPC,
namespace or share principal. Isolation between clients is e2e_tgw's."""

import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import test_stacks as ts  # noqa: E402  (its StackCase: awsenv, the simulator, the hub VPC)

bh = ts.bh


class TransitGatewayClientStacks(ts.StackCase):
    MODE = "broker"

    def setUp(self):
        super().setUp()
        ec2 = self.hub.ec2
        g = ec2.create_transit_gateway(
            Description="vpcpeer hub",
            Options={"AutoAcceptSharedAttachments": "disable",
                     "DefaultRouteTableAssociation": "disable",
                     "DefaultRouteTablePropagation": "disable"})["TransitGateway"]
        self.tgw = g["TransitGatewayId"]
        # the clients', the hub's, and the verify table (no association: confirm reads the
        # client VPC's CIDR blocks there, docs/broker.md)
        self.clients_rtb, self.hub_rtb, self.verify_rtb = (
            ec2.create_transit_gateway_route_table(TransitGatewayId=self.tgw)[
                "TransitGatewayRouteTable"]["TransitGatewayRouteTableId"] for _ in range(3))
        self.hub_att = ec2.create_transit_gateway_vpc_attachment(
            TransitGatewayId=self.tgw, VpcId=self.hub.vpc, SubnetIds=[self.hub.subnet])[
            "TransitGatewayVpcAttachment"]["TransitGatewayAttachmentId"]
        ec2.associate_transit_gateway_route_table(TransitGatewayRouteTableId=self.hub_rtb,
                                                  TransitGatewayAttachmentId=self.hub_att)
        ec2.create_transit_gateway_route(TransitGatewayRouteTableId=self.clients_rtb,
                                         DestinationCidrBlock=bh.HUB_CIDR,
                                         TransitGatewayAttachmentId=self.hub_att)
        self.ram = self.env.client("ram", "hub")
        # Inside the organization sharing needs no invitation once this has run (RAM API
        # reference, EnableSharingWithAwsOrganization); client-d is outside it.
        self.ram.enable_sharing_with_aws_organization()
        self.share = self.ram.create_resource_share(
            name="vpcpeer-hub", resourceArns=[g["TransitGatewayArn"]],
            allowExternalPrincipals=True)["resourceShare"]["resourceShareArn"]

    def start_tgw_broker(self):
        args = ["--attach", "transit-gateway", "--transit-gateway", self.tgw,
                "--resource-share", self.share,
                "--transit-gateway-client-table", self.clients_rtb,
                "--transit-gateway-hub-table", self.hub_rtb,
                "--transit-gateway-verify-table", self.verify_rtb, "--quarantine", "0",
                "--reconcile-interval", "0"]
        b = bh.Broker(self.env, self.hub, self.workdir, args=args, binary=self.bin,
                      allow=ts.CLIENTS, name=f"broker{len(self.brokers) + 1}",
                      accepter=None, roles=())
        self.brokers.append(b)
        return b.start()

    def deploy_tgw(self, broker, who, name, attach="transit-gateway"):
        return self.sim.create_stack(name, ts.CLIENT_TEMPLATE, who, parameters={
            "BrokerUrl": broker.url, "ServerId": bh.SERVER_ID,
            "HandlerCodeBucket": "vpcpeer-handler-code", "AttachMode": attach},
            capabilities=["CAPABILITY_IAM"])

    def attachments(self, who):
        got = self.env.client("ec2", who).describe_transit_gateway_vpc_attachments()[
            "TransitGatewayVpcAttachments"]
        return [a for a in got if a["State"] not in ("deleted", "rejected", "failed")
                and a["TransitGatewayAttachmentId"] != self.hub_att]

    def principals(self):
        got = self.ram.get_resource_share_associations(
            associationType="PRINCIPAL", resourceShareArns=[self.share])
        return sorted(a["associatedEntity"] for a in got["resourceShareAssociations"]
                      if a["status"] in ("ASSOCIATED", "ASSOCIATING"))

    def test_inside_and_outside_the_organization_then_delete(self):
        broker = self.start_tgw_broker()
        stacks = {}
        for i, who in enumerate(("client-b", "client-d"), 1):  # d: outside the organization
            st = self.deploy_tgw(broker, who, f"client-{who[-1]}")
            self.assertEqual(st.status, "CREATE_COMPLETE", self.diagnose(st))
            stacks[who] = st
            ns = self.live(broker)[int(st.outputs["NamespaceId"])]
            self.assertEqual((ns["State"], ns["Attach"]), ("active", "transit-gateway"))
            att = st.outputs["TransitGatewayAttachmentId"]
            self.assertEqual(ns["TransitGatewayAttachmentId"], att)
            self.assertNotIn("PeeringConnectionId", st.outputs)
            got = self.attachments(who)
            self.assertEqual([(a["TransitGatewayAttachmentId"], a["VpcId"], a["State"])
                              for a in got], [(att, st.outputs["VpcId"], "available")])
            # one subnet per Availability Zone: the two private subnets
            self.assertEqual(len(got[0]["SubnetIds"]), 2)
            vpcs, pcx = self.client_state(who)
            self.assertEqual(pcx, [])
            to_hub = [r for rt in vpcs[st.outputs["VpcId"]]["route_tables"] for r in rt["Routes"]
                      if r.get("DestinationCidrBlock") == bh.HUB_CIDR]
            self.assertEqual([r.get("TransitGatewayId") for r in to_hub], [self.tgw] * 2)
            # the handler was asked exactly what the template says
            self.assertEqual([(r["LogicalResourceId"], r["RequestType"]) for r in st.requests],
                             [("Registration", "Create"), ("TransitGatewayConfirmation", "Create")])
        # the outsider accepted its invitation (the handler did); the insider had none
        for who, want in (("client-d", ["ACCEPTED"]), ("client-b", [])):
            invs = self.env.client("ram", who).get_resource_share_invitations()[
                "resourceShareInvitations"]
            self.assertEqual([i["status"] for i in invs if i["resourceShareArn"] == self.share],
                             want, who)
        self.assertEqual(self.principals(), sorted(self.env.accounts[w]["id"]
                                                   for w in ("client-b", "client-d")))

        for who, st in stacks.items():
            st = self.sim.delete_stack(st)
            self.assertEqual(st.status, "DELETE_COMPLETE", self.diagnose(st))
            self.assertEqual(self.attachments(who), [], who)
            vpcs, pcx = self.client_state(who)
            self.assertEqual((vpcs, pcx), ({}, []), who)
        self.assertEqual(self.live(broker), {})
        self.assertEqual(self.principals(), [])

    def test_catalog_launch_through_the_launch_role(self):
        """The client product launched in the transit-gateway mode by an app team through
        templates/client-launch-role.yaml: the launch role covers every call this mode's
        stack makes (the simulator judges each one), and catalog.yaml pins AttachMode."""
        import test_catalog as tc
        broker = self.start_tgw_broker()
        b = self.env.accounts["client-b"]["id"]
        tc.deploy_launch_role(self.sim, "hub")
        catalog = self.sim.create_stack("vpcpeer-catalog", tc.CATALOG, "hub", parameters={
            "ClientTemplateUrl": tc.TEMPLATE_URL, "BrokerUrl": broker.url,
            "ServerId": bh.SERVER_ID, "AttachMode": "transit-gateway", "ShareWithAccountId": b})
        self.assertEqual(catalog.status, "CREATE_COMPLETE", catalog.failure_reasons())
        tc.deploy_launch_role(self.sim, "client-b")
        portfolio, product = catalog.outputs["PortfolioId"], catalog.outputs["ProductId"]
        self.sim.catalog.accept_share(b, portfolio)
        team = tc.app_team(self.env, "client-b")
        self.sim.catalog.associate_principal(b, portfolio, team["arn"])

        def provision(attach):
            return self.sim.catalog.provision(
                self.sim, b, team, portfolio, product, "1.0.0", "team-vpc",
                {"BrokerUrl": broker.url, "ServerId": bh.SERVER_ID,
                 "HandlerCodeBucket": tc.CODE_BUCKET, "AttachMode": attach}, tc.TEMPLATES)

        with self.assertRaises(Exception) as cm:
            provision("peering")
        self.assertIn("AttachMode must be transit-gateway", str(cm.exception))
        st = provision("transit-gateway")
        self.assertEqual(st.status, "CREATE_COMPLETE", self.diagnose(st))
        self.assertEqual([a["State"] for a in self.attachments("client-b")], ["available"])
        st = self.sim.delete_stack(st)
        self.assertEqual(st.status, "DELETE_COMPLETE", self.diagnose(st))
        self.assertEqual(self.attachments("client-b"), [])
        self.assertEqual(self.live(broker), {})

    def test_stack_in_the_other_mode_is_refused(self):
        broker = self.start_tgw_broker()
        st = self.deploy_tgw(broker, "client-b", "client-b", attach="peering")
        self.assertNotEqual(st.status, "CREATE_COMPLETE")
        self.assertIn("AttachMode parameter to transit-gateway", str(st.failure_reasons()))
        self.assertEqual(self.live(broker), {})


if __name__ == "__main__":
    unittest.main()
