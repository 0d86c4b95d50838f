# SPDX-License-Identifier: Apache-2.0
"""The roles the hub templates create, under awsenv's IAM policy evaluation (issue 22): each
role is deployed by cfnsim, its session taken as its service (or its trusted account) takes
it, and the calls the product makes with it are made one by one: each passes; one call just
outside the policy is refused. The client handler's role is exercised by the stack tests
(test_stacks, test_tgw_client: the handler runs as the HandlerRole's session)."""

import json
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "awsenv"))

import botocore.exceptions  # noqa: E402

import cfnsim  # noqa: E402
from harness import OnAwsEnv  # noqa: E402

HUB_T = os.path.join(ROOT, "templates", "hub.yaml")
HUB_TGW_T = os.path.join(ROOT, "templates", "hub-tgw.yaml")
HUB, B = "111111111111", "222222222222"


class RoleCase(OnAwsEnv, unittest.TestCase):
    def setUp(self):
        super().setUp()
        self.ec2 = self.env.client("ec2", "hub")
        self.b_ec2 = self.env.client("ec2", "client-b")
        self.vpc = self.ec2.create_vpc(CidrBlock="10.0.0.0/22")["Vpc"]["VpcId"]
        self.rtbs = [self.ec2.create_route_table(VpcId=self.vpc)["RouteTable"]["RouteTableId"]
                     for _ in range(2)]
        # another VPC of the hub's account: nothing of the hub's roles reaches it
        self.other = self.ec2.create_vpc(CidrBlock="10.9.0.0/22")["Vpc"]["VpcId"]
        self.other_rtb = self.ec2.create_route_table(VpcId=self.other)["RouteTable"]["RouteTableId"]
        self.b_vpc = self.b_ec2.create_vpc(CidrBlock="10.1.0.0/22")["Vpc"]["VpcId"]
        self.zone = self.env.client("route53", "hub").create_hosted_zone(
            Name="hub.internal", CallerReference="roles",
            VPC={"VPCRegion": "us-east-1", "VPCId": self.vpc})["HostedZone"]["Id"].rsplit("/", 1)[-1]
        self.sim = cfnsim.Simulator(cfnsim.Aws.of(self.env), service_timeout_cap=3)
        self.addCleanup(self.sim.close)

    def session(self, role_arn, service="ec2.amazonaws.com"):
        c = self.sim.aws.service_session(role_arn, service, "i-broker")
        return lambda svc: self.env.client(svc, creds=(c["AccessKeyId"], c["SecretAccessKey"],
                                                       c["SessionToken"]))

    def refused(self, fn, code):
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            fn()
        self.assertEqual(cm.exception.response["Error"]["Code"], code, cm.exception.response)
        self.assertEqual(cm.exception.response["ResponseMetadata"]["HTTPStatusCode"], 403)

    def request(self, vpc=None):
        return self.b_ec2.create_vpc_peering_connection(
            VpcId=self.b_vpc, PeerVpcId=vpc or self.vpc, PeerOwnerId=HUB)[
            "VpcPeeringConnection"]["VpcPeeringConnectionId"]


class HubRoles(RoleCase):
    def deploy(self):
        st = self.sim.create_stack("vpcpeer-hub", HUB_T, "hub", parameters={
            "HubVpcId": self.vpc, "PeeringAccepter": "peer-role", "HubHostedZoneId": self.zone},
            capabilities=["CAPABILITY_NAMED_IAM"])
        self.assertEqual(st.status, "CREATE_COMPLETE", st.failure_reasons())
        return st.outputs

    def test_broker_role_does_what_the_broker_does(self):
        o = self.deploy()
        aws = self.session(o["BrokerRoleArn"])
        ec2, iam, r53 = aws("ec2"), aws("iam"), aws("route53")
        pl = o["ClientPrefixListId"]
        self.assertIn("assumed-role/", aws("sts").get_caller_identity()["Arn"])
        # start-up and confirm's reads
        ec2.describe_vpcs(VpcIds=[self.vpc])
        ec2.describe_vpc_attribute(VpcId=self.vpc, Attribute="enableDnsHostnames")
        ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [self.vpc]}])
        ec2.describe_managed_prefix_lists(PrefixListIds=[pl])
        pcx, stray = self.request(), self.request()
        ec2.describe_vpc_peering_connections(VpcPeeringConnectionIds=[pcx])
        # broker mode's accept, tag, DNS option, hub routes, the clients' prefix list
        ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
        ec2.create_tags(Resources=[pcx], Tags=[{"Key": "vpcpeer:namespace", "Value": "1"}])
        # an accepted peering is provisioning before active (awsenv's strict_ec2, as EC2 is);
        # the broker reads it until active, and so does this role
        for _ in range(20):
            st = ec2.describe_vpc_peering_connections(VpcPeeringConnectionIds=[pcx])[
                "VpcPeeringConnections"][0]["Status"]["Code"]
            if st == "active":
                break
        self.assertEqual(st, "active")
        ec2.modify_vpc_peering_connection_options(
            VpcPeeringConnectionId=pcx,
            AccepterPeeringConnectionOptions={"AllowDnsResolutionFromRemoteVpc": True})
        for rtb in self.rtbs:
            ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="10.1.0.0/22",
                             VpcPeeringConnectionId=pcx)
        v = ec2.describe_managed_prefix_lists(PrefixListIds=[pl])["PrefixLists"][0]["Version"]
        ec2.get_managed_prefix_list_entries(PrefixListId=pl)
        ec2.modify_managed_prefix_list(PrefixListId=pl, CurrentVersion=v,
                                       AddEntries=[{"Cidr": "10.1.0.0/22"}])
        # the hosted zone: authorize the client VPC, it associates, the broker tidies up
        vpc_b = {"VPCRegion": "us-east-1", "VPCId": self.b_vpc}
        r53.get_hosted_zone(Id=self.zone)
        r53.create_vpc_association_authorization(HostedZoneId=self.zone, VPC=vpc_b)
        r53.list_vpc_association_authorizations(HostedZoneId=self.zone)
        self.env.client("route53", "client-b").associate_vpc_with_hosted_zone(
            HostedZoneId=self.zone, VPC=vpc_b)
        r53.delete_vpc_association_authorization(HostedZoneId=self.zone, VPC=vpc_b)
        r53.disassociate_vpc_from_hosted_zone(HostedZoneId=self.zone, VPC=vpc_b)
        # peer-role mode's grants: the pool's trust policies
        for arn in o["PeerRoleArns"].split(","):
            name = arn.rsplit("/", 1)[1]
            doc = iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"]
            iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(doc))
        # release: routes, the entry, the peering; a stray request rejected
        for rtb in self.rtbs:
            ec2.delete_route(RouteTableId=rtb, DestinationCidrBlock="10.1.0.0/22")
        ec2.reject_vpc_peering_connection(VpcPeeringConnectionId=stray)
        ec2.delete_vpc_peering_connection(VpcPeeringConnectionId=pcx)
        # just outside: a route in another VPC, a peering into another VPC, another role
        self.refused(lambda: ec2.create_route(RouteTableId=self.other_rtb,
                                              DestinationCidrBlock="10.1.0.0/22",
                                              VpcPeeringConnectionId=pcx),
                     "UnauthorizedOperation")
        into_other = self.request(self.other)
        self.refused(lambda: ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=into_other),
                     "UnauthorizedOperation")
        self.refused(lambda: iam.get_role(RoleName=o["BrokerRoleName"]), "AccessDenied")

    def test_peer_role_accepts_into_the_hub_vpc_only(self):
        o = self.deploy()
        role = o["PeerRoleArns"].split(",")[0]
        # the broker puts the client's account in the trust policy; here the hub's own account
        # (which the template trusts) stands in for it: the permissions are the role's
        ec2 = self.env.assumed_client("ec2", role, "hub")
        pcx = self.request()
        got = ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
        self.assertIn(got["VpcPeeringConnection"]["Status"]["Code"], ("active", "provisioning"))
        into_other = self.request(self.other)
        self.refused(lambda: ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=into_other),
                     "UnauthorizedOperation")
        self.refused(lambda: ec2.delete_vpc_peering_connection(VpcPeeringConnectionId=pcx),
                     "UnauthorizedOperation")


class HubTgwRole(RoleCase):
    def test_broker_role_does_what_the_tgw_broker_does(self):
        ec2 = self.ec2
        azs = sorted(z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"])
        subnet = ec2.create_subnet(VpcId=self.vpc, CidrBlock="10.0.0.0/24",
                                   AvailabilityZone=azs[0])["Subnet"]["SubnetId"]
        st = self.sim.create_stack("vpcpeer-hub-tgw", HUB_TGW_T, "hub", parameters={
            "HubVpcId": self.vpc, "HubVpcCidr": "10.0.0.0/22", "HubSubnetIds": subnet,
            "HubHostedZoneId": self.zone}, capabilities=["CAPABILITY_NAMED_IAM"])
        self.assertEqual(st.status, "CREATE_COMPLETE", st.failure_reasons())
        o = st.outputs
        tgw, share = o["TransitGatewayId"], o["ResourceShareArn"]
        clients, hub_t, verify = (o["ClientsRouteTableId"], o["HubRouteTableId"],
                                  o["VerifyRouteTableId"])
        aws = self.session(o["BrokerRoleArn"])
        bec2, ram = aws("ec2"), aws("ram")
        # start-up: the gateway, the share, the verify table, the pool's route in the hub VPC
        bec2.describe_transit_gateways(TransitGatewayIds=[tgw])
        ram.get_resource_shares(resourceOwner="SELF", resourceShareArns=[share])
        ram.get_resource_share_associations(associationType="PRINCIPAL", resourceShareArns=[share])
        bec2.get_transit_gateway_route_table_associations(TransitGatewayRouteTableId=verify)
        for rtb in self.rtbs:
            bec2.create_route(RouteTableId=rtb, DestinationCidrBlock="10.64.0.0/16",
                              TransitGatewayId=tgw)
        # register: the client's account joins the share; it accepts and attaches
        ram.associate_resource_share(resourceShareArn=share, principals=[B])
        b_ram = self.env.client("ram", "client-b")
        for inv in b_ram.get_resource_share_invitations()["resourceShareInvitations"]:
            if inv["status"] == "PENDING":
                b_ram.accept_resource_share_invitation(
                    resourceShareInvitationArn=inv["resourceShareInvitationArn"])
        b_sub = self.b_ec2.create_subnet(VpcId=self.b_vpc, CidrBlock="10.1.0.0/24",
                                         AvailabilityZone=azs[0])["Subnet"]["SubnetId"]
        att = self.b_ec2.create_transit_gateway_vpc_attachment(
            TransitGatewayId=tgw, VpcId=self.b_vpc, SubnetIds=[b_sub])[
            "TransitGatewayVpcAttachment"]["TransitGatewayAttachmentId"]
        # confirm: check, accept, verify table, clients' table, hub table's route
        bec2.describe_transit_gateway_vpc_attachments(TransitGatewayAttachmentIds=[att])
        bec2.accept_transit_gateway_vpc_attachment(TransitGatewayAttachmentId=att)
        bec2.enable_transit_gateway_route_table_propagation(TransitGatewayRouteTableId=verify,
                                                            TransitGatewayAttachmentId=att)
        bec2.search_transit_gateway_routes(TransitGatewayRouteTableId=verify, Filters=[
            {"Name": "attachment.transit-gateway-attachment-id", "Values": [att]}])
        bec2.disable_transit_gateway_route_table_propagation(TransitGatewayRouteTableId=verify,
                                                             TransitGatewayAttachmentId=att)
        bec2.associate_transit_gateway_route_table(TransitGatewayRouteTableId=clients,
                                                   TransitGatewayAttachmentId=att)
        bec2.search_transit_gateway_routes(TransitGatewayRouteTableId=hub_t, Filters=[
            {"Name": "type", "Values": ["static"]}])
        bec2.create_transit_gateway_route(TransitGatewayRouteTableId=hub_t,
                                          DestinationCidrBlock="10.1.0.0/22",
                                          TransitGatewayAttachmentId=att)
        # just outside: a static route in the verify table
        self.refused(lambda: bec2.create_transit_gateway_route(
            TransitGatewayRouteTableId=verify, DestinationCidrBlock="10.1.0.0/22",
            TransitGatewayAttachmentId=att), "UnauthorizedOperation")
        # release
        bec2.delete_transit_gateway_route(TransitGatewayRouteTableId=hub_t,
                                          DestinationCidrBlock="10.1.0.0/22")
        bec2.delete_transit_gateway_vpc_attachment(TransitGatewayAttachmentId=att)
        ram.disassociate_resource_share(resourceShareArn=share, principals=[B])


if __name__ == "__main__":
    unittest.main()
