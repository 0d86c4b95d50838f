"""Transit gateways in awsenv (tgw.py, tgw_routes.py): a hub's transit gateway shared through
RAM with client accounts (client-b/client-c inside the organization, client-d outside it, as
accounts.json has them), attachments pending acceptance, route tables filled by association,
propagation and static routes, SearchTransitGatewayRoutes' limits, quotas, faults. boto3 from
several accounts against one awsenv."""

import unittest

from awsenv_base import AwsEnvCase, B, C, D, HUB
from harness import raw_request

ORG = f"arn:aws:organizations::{HUB}:organization/o-vpcpeertest"


_ENV = []


def tearDownModule():
    for env in _ENV:
        env.stop()


class TgwCase(AwsEnvCase):
    @classmethod
    def setUpClass(cls):
        """One awsenv for the module's classes (each start costs seconds of moto import)."""
        if not _ENV:
            super().setUpClass()
            _ENV.append(cls.env)
        TgwCase.env = _ENV[0]

    @classmethod
    def tearDownClass(cls):
        pass  # tearDownModule stops it

    def hub_tgw(self, auto_accept="disable"):
        """The hub's transit gateway as the hub-tgw template makes it: no default association
        or propagation, auto-accept off."""
        g = self.client("ec2").create_transit_gateway(
            Description="hub", Options={"AutoAcceptSharedAttachments": auto_accept,
                                        "DefaultRouteTableAssociation": "disable",
                                        "DefaultRouteTablePropagation": "disable"})
        return g["TransitGateway"]

    def share(self, tgw, *principals, org=False):
        ram = self.client("ram")
        if org:
            ram.enable_sharing_with_aws_organization()
        return ram.create_resource_share(name="hub-tgw", resourceArns=[tgw["TransitGatewayArn"]],
                                         principals=list(principals))["resourceShare"]

    def accept_invitation(self, who):
        ram = self.client("ram", who)
        for inv in ram.get_resource_share_invitations()["resourceShareInvitations"]:
            if inv["status"] == "PENDING":
                ram.accept_resource_share_invitation(
                    resourceShareInvitationArn=inv["resourceShareInvitationArn"])

    def vpc(self, who, cidr, zones=("us-east-1a",), region="us-east-1"):
        """A VPC of account `who` with one /24 per zone; (ec2 client, vpc id, subnet ids)."""
        ec2 = self.client("ec2", who, region_name=region)
        vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
        base = cidr.split("/")[0].rsplit(".", 2)[0]
        subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"{base}.{i}.0/24",
                                     AvailabilityZone=z)["Subnet"]["SubnetId"]
                   for i, z in enumerate(zones)]
        return ec2, vpc, subnets

    def attach(self, who, tgw_id, cidr):
        ec2, vpc, subnets = self.vpc(who, cidr)
        a = ec2.create_transit_gateway_vpc_attachment(TransitGatewayId=tgw_id, VpcId=vpc,
                                                      SubnetIds=subnets)
        return ec2, vpc, a["TransitGatewayVpcAttachment"]

    def routes(self, rtb, **filters):
        f = [{"Name": k.replace("_", "."), "Values": v} for k, v in filters.items()] or \
            [{"Name": "type", "Values": ["static", "propagated"]}]
        got = self.client("ec2").search_transit_gateway_routes(
            TransitGatewayRouteTableId=rtb, Filters=f)
        return sorted((r["DestinationCidrBlock"], r["Type"], r["State"],
                       [x["TransitGatewayAttachmentId"] for x in r.get("TransitGatewayAttachments", [])])
                      for r in got["Routes"])


class VisibilityTest(TgwCase):
    def test_outside_account_sees_and_attaches_only_once_shared(self):
        tgw = self.hub_tgw()
        tid = tgw["TransitGatewayId"]
        d_ec2, vpc, subnets = self.vpc("client-d", "10.20.0.0/16")
        self.assertAwsError(d_ec2.describe_transit_gateways, "InvalidTransitGatewayID.NotFound",
                            400, TransitGatewayIds=[tid])
        self.assertEqual(d_ec2.describe_transit_gateways()["TransitGateways"], [])
        self.assertAwsError(d_ec2.create_transit_gateway_vpc_attachment,
                            "InvalidTransitGatewayID.NotFound", 400, TransitGatewayId=tid,
                            VpcId=vpc, SubnetIds=subnets)
        self.share(tgw, D)
        self.assertAwsError(d_ec2.create_transit_gateway_vpc_attachment,
                            "InvalidTransitGatewayID.NotFound", 400, TransitGatewayId=tid,
                            VpcId=vpc, SubnetIds=subnets)  # invitation not accepted yet
        self.accept_invitation("client-d")
        seen = d_ec2.describe_transit_gateways()["TransitGateways"]
        self.assertEqual([(g["TransitGatewayId"], g["OwnerId"]) for g in seen], [(tid, HUB)])
        a = d_ec2.create_transit_gateway_vpc_attachment(TransitGatewayId=tid, VpcId=vpc,
                                                        SubnetIds=subnets)
        self.assertEqual(a["TransitGatewayVpcAttachment"]["State"], "pendingAcceptance")
        # another client account still sees nothing
        c_ec2 = self.client("ec2", "client-c")
        self.assertEqual(c_ec2.describe_transit_gateways()["TransitGateways"], [])
        self.assertEqual(c_ec2.describe_transit_gateway_vpc_attachments()[
            "TransitGatewayVpcAttachments"], [])

    def test_principal_removed_hides_gateway_keeps_attachment(self):
        tgw = self.hub_tgw()
        share = self.share(tgw, D)
        self.accept_invitation("client-d")
        d_ec2, _, a = self.attach("client-d", tgw["TransitGatewayId"], "10.20.0.0/16")
        self.client("ram").disassociate_resource_share(
            resourceShareArn=share["resourceShareArn"], principals=[D])
        self.assertEqual(d_ec2.describe_transit_gateways()["TransitGateways"], [])
        got = d_ec2.describe_transit_gateway_vpc_attachments()["TransitGatewayVpcAttachments"]
        self.assertEqual([x["TransitGatewayAttachmentId"] for x in got],
                         [a["TransitGatewayAttachmentId"]], "an existing attachment stays")
        _, vpc, subnets = self.vpc("client-d", "10.21.0.0/16")
        self.assertAwsError(d_ec2.create_transit_gateway_vpc_attachment,
                            "InvalidTransitGatewayID.NotFound", 400,
                            TransitGatewayId=tgw["TransitGatewayId"], VpcId=vpc,
                            SubnetIds=subnets)

    def test_organization_share_reaches_accounts_inside_only(self):
        tgw = self.hub_tgw()
        self.share(tgw, ORG, org=True)
        for who, sees in (("client-b", True), ("client-c", True), ("client-d", False)):
            got = self.client("ec2", who).describe_transit_gateways()["TransitGateways"]
            self.assertEqual(bool(got), sees, who)
        hub = self.client("ec2")
        for value, n in (("disable", 1), ("enable", 0)):
            got = hub.describe_transit_gateways(Filters=[
                {"Name": "options.auto-accept-shared-attachments", "Values": [value]}])
            self.assertEqual(len(got["TransitGateways"]), n, value)

    def test_other_region_does_not_see_it(self):
        tgw = self.hub_tgw()
        self.share(tgw, B, org=True)
        ec2, vpc, subnets = self.vpc("client-b", "10.30.0.0/16", zones=("us-west-2a",),
                                     region="us-west-2")
        self.assertAwsError(ec2.create_transit_gateway_vpc_attachment,
                            "InvalidTransitGatewayID.NotFound", 400,
                            TransitGatewayId=tgw["TransitGatewayId"], VpcId=vpc,
                            SubnetIds=subnets)


class AttachmentTest(TgwCase):
    def setUp(self):
        super().setUp()
        self.tgw = self.hub_tgw()
        self.tid = self.tgw["TransitGatewayId"]
        self.share(self.tgw, B, C, org=True)

    def test_pending_until_owner_accepts_seen_by_both(self):
        b_ec2, vpc, a = self.attach("client-b", self.tid, "10.1.0.0/16")
        aid = a["TransitGatewayAttachmentId"]
        hub = self.client("ec2")
        for ec2 in (hub, b_ec2):
            got = ec2.describe_transit_gateway_vpc_attachments(TransitGatewayAttachmentIds=[aid])
            v = got["TransitGatewayVpcAttachments"][0]
            self.assertEqual((v["State"], v["VpcId"], v["VpcOwnerId"]),
                             ("pendingAcceptance", vpc, B))
            g = ec2.describe_transit_gateway_attachments(TransitGatewayAttachmentIds=[aid])
            v = g["TransitGatewayAttachments"][0]
            self.assertEqual((v["TransitGatewayOwnerId"], v["ResourceOwnerId"]), (HUB, B))
        self.assertAwsError(b_ec2.accept_transit_gateway_vpc_attachment, "OperationNotPermitted",
                            400, TransitGatewayAttachmentId=aid)
        self.assertAwsError(self.client("ec2", "client-c").accept_transit_gateway_vpc_attachment,
                            "InvalidTransitGatewayAttachmentID.NotFound", 400,
                            TransitGatewayAttachmentId=aid)
        got = hub.accept_transit_gateway_vpc_attachment(TransitGatewayAttachmentId=aid)
        self.assertEqual(got["TransitGatewayVpcAttachment"]["State"], "available")
        self.assertAwsError(hub.accept_transit_gateway_vpc_attachment, "IncorrectState", 400,
                            TransitGatewayAttachmentId=aid)

    def test_reject(self):
        b_ec2, _, a = self.attach("client-b", self.tid, "10.1.0.0/16")
        aid = a["TransitGatewayAttachmentId"]
        self.assertAwsError(b_ec2.reject_transit_gateway_vpc_attachment, "OperationNotPermitted",
                            400, TransitGatewayAttachmentId=aid)
        hub = self.client("ec2")
        got = hub.reject_transit_gateway_vpc_attachment(TransitGatewayAttachmentId=aid)
        self.assertEqual(got["TransitGatewayVpcAttachment"]["State"], "rejected")
        self.assertAwsError(hub.accept_transit_gateway_vpc_attachment, "IncorrectState", 400,
                            TransitGatewayAttachmentId=aid)

    def test_auto_accept_and_owner_vpc_are_available_at_once(self):
        auto = self.hub_tgw(auto_accept="enable")
        self.share(auto, C)
        _, _, a = self.attach("client-c", auto["TransitGatewayId"], "10.3.0.0/16")
        self.assertEqual(a["State"], "available")
        _, _, h = self.attach("hub", self.tid, "10.0.0.0/16")
        self.assertEqual(h["State"], "available")

    def test_delete_by_either_owner_and_unknown_id(self):
        hub = self.client("ec2")
        b_ec2, _, a1 = self.attach("client-b", self.tid, "10.1.0.0/16")
        c_ec2, _, a2 = self.attach("client-c", self.tid, "10.2.0.0/16")
        hub.accept_transit_gateway_vpc_attachment(TransitGatewayAttachmentId=a1[
            "TransitGatewayAttachmentId"])
        got = hub.delete_transit_gateway_vpc_attachment(
            TransitGatewayAttachmentId=a1["TransitGatewayAttachmentId"])
        self.assertEqual(got["TransitGatewayVpcAttachment"]["State"], "deleted")
        got = c_ec2.delete_transit_gateway_vpc_attachment(
            TransitGatewayAttachmentId=a2["TransitGatewayAttachmentId"])
        self.assertEqual(got["TransitGatewayVpcAttachment"]["State"], "deleted")
        self.assertAwsError(hub.delete_transit_gateway_vpc_attachment, "IncorrectState", 400,
                            TransitGatewayAttachmentId=a2["TransitGatewayAttachmentId"])
        self.assertAwsError(hub.delete_transit_gateway_vpc_attachment,
                            "InvalidTransitGatewayAttachmentID.NotFound", 400,
                            TransitGatewayAttachmentId="tgw-attach-0123456789abcdef0")
        self.assertAwsError(b_ec2.delete_transit_gateway_vpc_attachment,
                            "InvalidTransitGatewayAttachmentID.NotFound", 400,
                            TransitGatewayAttachmentId=a2["TransitGatewayAttachmentId"])

    def test_subnets_of_the_vpc_one_per_zone_one_attachment_per_vpc(self):
        ec2 = self.client("ec2", "client-b")
        _, vpc, (a1, b1) = self.vpc("client-b", "10.1.0.0/16", zones=("us-east-1a", "us-east-1b"))
        a2 = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.9.0/24",
                               AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
        _, _, (other,) = self.vpc("client-b", "10.7.0.0/16", zones=("us-east-1c",))
        self.assertAwsError(ec2.create_transit_gateway_vpc_attachment,
                            "DuplicateSubnetsInSameZone", 400, TransitGatewayId=self.tid,
                            VpcId=vpc, SubnetIds=[a1, a2])
        self.assertAwsError(ec2.create_transit_gateway_vpc_attachment, "InvalidParameterValue",
                            400, TransitGatewayId=self.tid, VpcId=vpc, SubnetIds=[a1, other])
        self.assertEqual(ec2.describe_transit_gateway_vpc_attachments()[
            "TransitGatewayVpcAttachments"], [], "nothing created")
        att = ec2.create_transit_gateway_vpc_attachment(TransitGatewayId=self.tid, VpcId=vpc,
                                                        SubnetIds=[a1, b1])
        self.assertEqual(sorted(att["TransitGatewayVpcAttachment"]["SubnetIds"]), sorted([a1, b1]))
        self.assertAwsError(ec2.create_transit_gateway_vpc_attachment,
                            "DuplicateTransitGatewayAttachment", 400, TransitGatewayId=self.tid,
                            VpcId=vpc, SubnetIds=[b1])
        # the hub cannot attach a VPC it does not own
        self.assertAwsError(self.client("ec2").create_transit_gateway_vpc_attachment,
                            "InvalidVpcID.NotFound", 400, TransitGatewayId=self.tid,
                            VpcId=vpc, SubnetIds=[a1])

    def test_attachment_quota(self):
        self.env.post("/_awsenv/config", {"tgw_max_attachments_per_tgw": 2})
        hub = self.client("ec2")
        _, _, a1 = self.attach("client-b", self.tid, "10.1.0.0/16")
        self.attach("client-c", self.tid, "10.2.0.0/16")  # pending ones count
        ec2, vpc, subnets = self.vpc("client-c", "10.3.0.0/16")
        err = self.assertAwsError(ec2.create_transit_gateway_vpc_attachment,
                                  "TransitGatewayAttachmentLimitExceeded", 400,
                                  TransitGatewayId=self.tid, VpcId=vpc, SubnetIds=subnets)
        self.assertIn("Attachments per transit gateway", err["Error"]["Message"])
        hub.reject_transit_gateway_vpc_attachment(
            TransitGatewayAttachmentId=a1["TransitGatewayAttachmentId"])  # frees its place
        ec2.create_transit_gateway_vpc_attachment(TransitGatewayId=self.tid, VpcId=vpc,
                                                  SubnetIds=subnets)

    def test_faults_apply_to_transit_gateway_calls(self):
        self.env.post("/_awsenv/faults", {"rules": [
            {"action": "AcceptTransitGatewayVpcAttachment", "fault": "throttle", "count": 1}]})
        _, _, a = self.attach("client-b", self.tid, "10.1.0.0/16")
        hub = self.client("ec2")
        aid = a["TransitGatewayAttachmentId"]
        self.assertAwsError(hub.accept_transit_gateway_vpc_attachment, "RequestLimitExceeded",
                            503, TransitGatewayAttachmentId=aid)
        v = hub.describe_transit_gateway_vpc_attachments(TransitGatewayAttachmentIds=[aid])
        self.assertEqual(v["TransitGatewayVpcAttachments"][0]["State"], "pendingAcceptance",
                         "the throttled call changed nothing")
        hub.accept_transit_gateway_vpc_attachment(TransitGatewayAttachmentId=aid)
        calls = self.env.calls()["calls"]["ec2"]["AcceptTransitGatewayVpcAttachment"]
        self.assertEqual(calls["outcomes"], {"RequestLimitExceeded": 1, "ok": 1})

    def test_tags_are_the_tagging_accounts_own(self):
        b_ec2, _, a = self.attach("client-b", self.tid, "10.1.0.0/16")
        aid = a["TransitGatewayAttachmentId"]
        hub = self.client("ec2")
        hub.create_tags(Resources=[aid], Tags=[{"Key": "vpcpeer:namespace", "Value": "ns1"}])
        b_ec2.create_tags(Resources=[aid], Tags=[{"Key": "Name", "Value": "mine"}])

        def tags(ec2, **kw):
            got = ec2.describe_transit_gateway_vpc_attachments(**kw)["TransitGatewayVpcAttachments"]
            return [(a["TransitGatewayAttachmentId"], a["Tags"]) for a in got]
        self.assertEqual(tags(hub), [(aid, [{"Key": "vpcpeer:namespace", "Value": "ns1"}])])
        self.assertEqual(tags(b_ec2), [(aid, [{"Key": "Name", "Value": "mine"}])])
        self.assertEqual(tags(hub, Filters=[{"Name": "tag:vpcpeer:namespace", "Values": ["ns2"]}]), [])
        hub.delete_tags(Resources=[aid], Tags=[{"Key": "vpcpeer:namespace"}])
        self.assertEqual(tags(hub), [(aid, [])])

    def test_modify_to_auto_accept_and_dry_run(self):
        hub = self.client("ec2")
        self.assertAwsError(hub.modify_transit_gateway, "DryRunOperation", 412,
                            TransitGatewayId=self.tid, DryRun=True,
                            Options={"AutoAcceptSharedAttachments": "enable"})
        got = hub.modify_transit_gateway(TransitGatewayId=self.tid,
                                         Options={"AutoAcceptSharedAttachments": "enable"})
        self.assertEqual(got["TransitGateway"]["Options"]["AutoAcceptSharedAttachments"], "enable")
        _, _, a = self.attach("client-b", self.tid, "10.1.0.0/16")
        self.assertEqual(a["State"], "available")
        self.assertAwsError(self.client("ec2", "client-b").modify_transit_gateway,
                            "InvalidTransitGatewayID.NotFound", 400, TransitGatewayId=self.tid,
                            Options={"AutoAcceptSharedAttachments": "disable"})

    def test_held_attachment_stays_pending_after_accept(self):
        hub = self.client("ec2")
        _, _, a = self.attach("client-b", self.tid, "10.1.0.0/16")
        aid = a["TransitGatewayAttachmentId"]
        rt = hub.create_transit_gateway_route_table(TransitGatewayId=self.tid)[
            "TransitGatewayRouteTable"]["TransitGatewayRouteTableId"]
        self.assertEqual(self.env.post("/_awsenv/tgw/hold", {"ids": [aid]})["held"], [aid])
        got = hub.accept_transit_gateway_vpc_attachment(TransitGatewayAttachmentId=aid)
        self.assertEqual(got["TransitGatewayVpcAttachment"]["State"], "pending")
        self.assertAwsError(hub.associate_transit_gateway_route_table, "IncorrectState", 400,
                            TransitGatewayRouteTableId=rt, TransitGatewayAttachmentId=aid)
        self.assertEqual(self.env.post("/_awsenv/tgw/activate", {"ids": [aid]}),
                         {"activated": [aid]})
        hub.associate_transit_gateway_route_table(TransitGatewayRouteTableId=rt,
                                                  TransitGatewayAttachmentId=aid)
        # {"all": true}: every attachment from now on, the owner's own too
        self.env.post("/_awsenv/tgw/hold", {"all": True})
        _, _, h = self.attach("hub", self.tid, "10.0.0.0/16")
        self.assertEqual(h["State"], "pending")
        self.assertEqual(self.env.post("/_awsenv/tgw/activate", {"all": True}),
                         {"activated": [h["TransitGatewayAttachmentId"]]})
        _, _, c = self.attach("client-c", self.tid, "10.2.0.0/16")
        self.assertEqual(c["State"], "pendingAcceptance")

    def test_describe_pages(self):
        hub = self.client("ec2")
        for i in range(7):
            self.attach("client-b", self.tid, f"10.{10 + i}.0.0/16")
        seen, token = [], None
        while True:
            kw = {"NextToken": token} if token else {}
            got = hub.describe_transit_gateway_vpc_attachments(MaxResults=5, **kw)
            seen += [a["TransitGatewayAttachmentId"] for a in got["TransitGatewayVpcAttachments"]]
            token = got.get("NextToken")
            if not token:
                break
        self.assertEqual(len(seen), 7)
        self.assertEqual(len(set(seen)), 7)


class RouteTableTest(TgwCase):
    """The hub-and-spoke isolation of issue 16: a clients' table associated with every client
    attachment holds only the hub's route; a hub table associated with the hub's attachment
    holds a static route per client."""

    def setUp(self):
        super().setUp()
        self.tgw = self.hub_tgw()
        self.tid = self.tgw["TransitGatewayId"]
        self.share(self.tgw, B, C, org=True)
        hub = self.hub = self.client("ec2")
        self.clients_rt = hub.create_transit_gateway_route_table(TransitGatewayId=self.tid)[
            "TransitGatewayRouteTable"]["TransitGatewayRouteTableId"]
        self.hub_rt = hub.create_transit_gateway_route_table(TransitGatewayId=self.tid)[
            "TransitGatewayRouteTable"]["TransitGatewayRouteTableId"]
        _, self.hub_vpc, h = self.attach("hub", self.tid, "10.0.0.0/16")
        self.hub_att = h["TransitGatewayAttachmentId"]
        hub.associate_transit_gateway_route_table(TransitGatewayRouteTableId=self.hub_rt,
                                                  TransitGatewayAttachmentId=self.hub_att)
        hub.enable_transit_gateway_route_table_propagation(
            TransitGatewayRouteTableId=self.clients_rt, TransitGatewayAttachmentId=self.hub_att)

    def confirm(self, who, cidr):
        """What the broker's confirm does: accept, associate with the clients' table, route the
        client's CIDR in the hub's."""
        ec2, vpc, a = self.attach(who, self.tid, cidr)
        aid = a["TransitGatewayAttachmentId"]
        self.hub.accept_transit_gateway_vpc_attachment(TransitGatewayAttachmentId=aid)
        self.hub.associate_transit_gateway_route_table(TransitGatewayRouteTableId=self.clients_rt,
                                                       TransitGatewayAttachmentId=aid)
        self.hub.create_transit_gateway_route(TransitGatewayRouteTableId=self.hub_rt,
                                              DestinationCidrBlock=cidr,
                                              TransitGatewayAttachmentId=aid)
        return ec2, vpc, aid

    def test_isolation_through_two_route_tables(self):
        _, _, b = self.confirm("client-b", "10.1.0.0/16")
        _, _, c = self.confirm("client-c", "10.2.0.0/16")
        self.assertEqual(self.routes(self.clients_rt), [
            ("10.0.0.0/16", "propagated", "active", [self.hub_att])],
            "the clients' table holds the hub, never another client")
        self.assertEqual(self.routes(self.hub_rt), [
            ("10.1.0.0/16", "static", "active", [b]), ("10.2.0.0/16", "static", "active", [c])])
        assoc = self.hub.get_transit_gateway_route_table_associations(
            TransitGatewayRouteTableId=self.clients_rt)["Associations"]
        self.assertEqual(sorted(a["TransitGatewayAttachmentId"] for a in assoc), sorted([b, c]))
        props = self.hub.get_transit_gateway_route_table_propagations(
            TransitGatewayRouteTableId=self.clients_rt)["TransitGatewayRouteTablePropagations"]
        self.assertEqual([p["TransitGatewayAttachmentId"] for p in props], [self.hub_att])
        # one route table per attachment
        self.assertAwsError(self.hub.associate_transit_gateway_route_table,
                            "Resource.AlreadyAssociated", 400,
                            TransitGatewayRouteTableId=self.hub_rt, TransitGatewayAttachmentId=b)
        # route tables are the owner's own
        self.assertAwsError(self.client("ec2", "client-b").search_transit_gateway_routes,
                            "InvalidRouteTableID.NotFound", 400,
                            TransitGatewayRouteTableId=self.hub_rt,
                            Filters=[{"Name": "type", "Values": ["static"]}])

    def test_pending_attachment_cannot_be_associated(self):
        _, _, a = self.attach("client-b", self.tid, "10.1.0.0/16")
        self.assertAwsError(self.hub.associate_transit_gateway_route_table, "IncorrectState", 400,
                            TransitGatewayRouteTableId=self.clients_rt,
                            TransitGatewayAttachmentId=a["TransitGatewayAttachmentId"])

    def test_deleted_attachment_routes(self):
        b_ec2, b_vpc, b = self.confirm("client-b", "10.1.0.0/16")
        rtb = b_ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [b_vpc]}])[
            "RouteTables"][0]["RouteTableId"]
        b_ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="10.0.0.0/16",
                           TransitGatewayId=self.tid)
        self.hub.delete_transit_gateway_vpc_attachment(TransitGatewayAttachmentId=b)
        # its static route stays, a blackhole; its association is gone
        self.assertEqual(self.routes(self.hub_rt), [("10.1.0.0/16", "static", "blackhole", [b])])
        assoc = self.hub.get_transit_gateway_route_table_associations(
            TransitGatewayRouteTableId=self.clients_rt)["Associations"]
        self.assertEqual(assoc, [])
        routes = b_ec2.describe_route_tables(RouteTableIds=[rtb])["RouteTables"][0]["Routes"]
        tgw_routes = [(r["DestinationCidrBlock"], r.get("TransitGatewayId"), r["State"])
                      for r in routes if r.get("TransitGatewayId")]
        self.assertEqual(tgw_routes, [("10.0.0.0/16", self.tid, "blackhole")])
        # the hub attachment deleted: its propagated route leaves the clients' table
        self.hub.delete_transit_gateway_vpc_attachment(TransitGatewayAttachmentId=self.hub_att)
        self.assertEqual(self.routes(self.clients_rt), [])

    def test_static_routes_blackhole_replace_delete(self):
        self.hub.create_transit_gateway_route(TransitGatewayRouteTableId=self.hub_rt,
                                              DestinationCidrBlock="10.9.0.0/16", Blackhole=True)
        self.assertAwsError(self.hub.create_transit_gateway_route, "RouteAlreadyExists", 400,
                            TransitGatewayRouteTableId=self.hub_rt,
                            DestinationCidrBlock="10.9.0.0/16", Blackhole=True)
        self.assertEqual(self.routes(self.hub_rt), [("10.9.0.0/16", "static", "blackhole", [])])
        self.hub.replace_transit_gateway_route(TransitGatewayRouteTableId=self.hub_rt,
                                               DestinationCidrBlock="10.9.0.0/16",
                                               TransitGatewayAttachmentId=self.hub_att)
        self.assertEqual(self.routes(self.hub_rt),
                         [("10.9.0.0/16", "static", "active", [self.hub_att])])
        got = self.hub.delete_transit_gateway_route(TransitGatewayRouteTableId=self.hub_rt,
                                                    DestinationCidrBlock="10.9.0.0/16")
        self.assertEqual(got["Route"]["State"], "deleted")
        self.assertAwsError(self.hub.delete_transit_gateway_route, "InvalidRoute.NotFound", 400,
                            TransitGatewayRouteTableId=self.hub_rt,
                            DestinationCidrBlock="10.9.0.0/16")

    def test_search_filters_cap_and_no_paging(self):
        for i in range(7):
            self.hub.create_transit_gateway_route(TransitGatewayRouteTableId=self.hub_rt,
                                                  DestinationCidrBlock=f"10.{100 + i}.0.0/16",
                                                  TransitGatewayAttachmentId=self.hub_att)
        search = self.hub.search_transit_gateway_routes
        got = search(TransitGatewayRouteTableId=self.hub_rt, MaxResults=5,
                     Filters=[{"Name": "type", "Values": ["static"]}])
        self.assertEqual((len(got["Routes"]), got["AdditionalRoutesAvailable"]), (5, True))
        self.assertNotIn("NextToken", got)
        got = search(TransitGatewayRouteTableId=self.hub_rt, MaxResults=1000,
                     Filters=[{"Name": "route-search.exact-match", "Values": ["10.103.0.0/16"]}])
        self.assertEqual([r["DestinationCidrBlock"] for r in got["Routes"]], ["10.103.0.0/16"])
        self.assertFalse(got["AdditionalRoutesAvailable"])
        got = search(TransitGatewayRouteTableId=self.hub_rt, Filters=[
            {"Name": "route-search.longest-prefix-match", "Values": ["10.104.3.7/32"]}])
        self.assertEqual([r["DestinationCidrBlock"] for r in got["Routes"]], ["10.104.0.0/16"])
        got = search(TransitGatewayRouteTableId=self.hub_rt, Filters=[
            {"Name": "route-search.subnet-of-match", "Values": ["10.100.0.0/14"]}])
        self.assertEqual(len(got["Routes"]), 4)  # 10.100 .. 10.103
        got = search(TransitGatewayRouteTableId=self.clients_rt, Filters=[
            {"Name": "attachment.resource-id", "Values": [self.hub_vpc]}])
        self.assertEqual([r["Type"] for r in got["Routes"]], ["propagated"])
        self.assertAwsError(search, "InvalidParameterValue", 400,
                            TransitGatewayRouteTableId=self.hub_rt, MaxResults=1001,
                            Filters=[{"Name": "type", "Values": ["static"]}])
        self.assertAwsError(search, "InvalidParameterValue", 400,
                            TransitGatewayRouteTableId=self.hub_rt,
                            Filters=[{"Name": "no-such-filter", "Values": ["x"]}])
        # Filter.N is required (botocore checks it too: sent raw here)
        status, body, _ = raw_request(self.env, "ec2", {
            "Action": "SearchTransitGatewayRoutes", "Version": "2016-11-15",
            "TransitGatewayRouteTableId": self.hub_rt}, self.env.credentials("hub"))
        self.assertEqual(status, 400)
        self.assertIn("<Code>MissingParameter</Code>", body)

    def test_routes_quota_across_route_tables(self):
        self.env.post("/_awsenv/config", {"tgw_max_routes_per_tgw": 3})
        # 1 propagated route (the hub's) so far; 2 static fit, the third does not
        self.hub.create_transit_gateway_route(TransitGatewayRouteTableId=self.hub_rt,
                                              DestinationCidrBlock="10.1.0.0/16", Blackhole=True)
        self.hub.create_transit_gateway_route(TransitGatewayRouteTableId=self.clients_rt,
                                              DestinationCidrBlock="10.2.0.0/16", Blackhole=True)
        err = self.assertAwsError(self.hub.create_transit_gateway_route,
                                  "TransitGatewayRouteLimitExceeded", 400,
                                  TransitGatewayRouteTableId=self.hub_rt,
                                  DestinationCidrBlock="10.3.0.0/16", Blackhole=True)
        self.assertIn("Service Quotas", err["Error"]["Message"])
        self.hub.delete_transit_gateway_route(TransitGatewayRouteTableId=self.clients_rt,
                                              DestinationCidrBlock="10.2.0.0/16")
        self.hub.create_transit_gateway_route(TransitGatewayRouteTableId=self.hub_rt,
                                              DestinationCidrBlock="10.3.0.0/16", Blackhole=True)

    def test_vpc_route_to_transit_gateway_needs_an_attachment(self):
        ec2, vpc, _ = self.vpc("client-b", "10.1.0.0/16")
        rtb = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}])[
            "RouteTables"][0]["RouteTableId"]
        self.assertAwsError(ec2.create_route, "InvalidParameterValue", 400, RouteTableId=rtb,
                            DestinationCidrBlock="10.0.0.0/16", TransitGatewayId=self.tid)
        d_ec2, d_vpc, _ = self.vpc("client-d", "10.4.0.0/16")
        d_rtb = d_ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [d_vpc]}])[
            "RouteTables"][0]["RouteTableId"]
        self.assertAwsError(d_ec2.create_route, "InvalidTransitGatewayID.NotFound", 400,
                            RouteTableId=d_rtb, DestinationCidrBlock="10.0.0.0/16",
                            TransitGatewayId=self.tid)
        a = ec2.create_transit_gateway_vpc_attachment(
            TransitGatewayId=self.tid, VpcId=vpc,
            SubnetIds=[s["SubnetId"] for s in ec2.describe_subnets(
                Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]])
        ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="10.0.0.0/16",
                         TransitGatewayId=self.tid)

        def state():
            rt = ec2.describe_route_tables(RouteTableIds=[rtb])["RouteTables"][0]
            return [r["State"] for r in rt["Routes"] if r.get("TransitGatewayId") == self.tid]
        self.assertEqual(state(), ["blackhole"], "pending acceptance: no path yet")
        self.hub.accept_transit_gateway_vpc_attachment(
            TransitGatewayAttachmentId=a["TransitGatewayVpcAttachment"]["TransitGatewayAttachmentId"])
        self.assertEqual(state(), ["active"])


if __name__ == "__main__":
    unittest.main()
