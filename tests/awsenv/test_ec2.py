"""EC2: VPCs, route tables, routes, peerings, quotas, filters, blackholes, and
the cross-account peering dance."""

import json
import unittest

from awsenv_base import AwsEnvCase, HUB, B, C, trust


class Ec2Test(AwsEnvCase):
    def vpc(self, who, cidr):
        return self.client("ec2", who).create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]

    def test_vpcs_route_tables_routes(self):
        ec2 = self.client("ec2")
        vpc = self.vpc("hub", "10.0.0.0/22")
        peer = self.vpc("hub", "10.0.4.0/22")
        got = ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"]
        self.assertEqual((got[0]["CidrBlock"], got[0]["OwnerId"]), ("10.0.0.0/22", HUB))
        self.assertEqual(len(ec2.describe_vpcs(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Vpcs"]), 1)
        rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
        pcx = ec2.create_vpc_peering_connection(VpcId=vpc, PeerVpcId=peer)["VpcPeeringConnection"]["VpcPeeringConnectionId"]
        ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
        pcx2 = ec2.create_vpc_peering_connection(VpcId=vpc, PeerVpcId=self.vpc("hub", "10.0.8.0/22"))["VpcPeeringConnection"]["VpcPeeringConnectionId"]
        ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx2)
        ec2.create_route(RouteTableId=rt, DestinationCidrBlock="10.0.4.0/22", VpcPeeringConnectionId=pcx)
        self.assertAwsError(ec2.create_route, "RouteAlreadyExists", 400, RouteTableId=rt,
                            DestinationCidrBlock="10.0.4.0/22", VpcPeeringConnectionId=pcx)
        ec2.replace_route(RouteTableId=rt, DestinationCidrBlock="10.0.4.0/22", VpcPeeringConnectionId=pcx2)

        def routes():
            t = ec2.describe_route_tables(RouteTableIds=[rt])["RouteTables"][0]
            return {r["DestinationCidrBlock"]: r for r in t["Routes"]}
        r = routes()["10.0.4.0/22"]
        self.assertEqual((r["VpcPeeringConnectionId"], r["State"]), (pcx2, "active"))
        self.assertEqual(routes()["10.0.0.0/22"]["GatewayId"], "local")
        # DescribeRouteTables filters
        for flt, expect in (
            ({"Name": "vpc-id", "Values": [vpc]}, True),
            ({"Name": "vpc-id", "Values": [peer]}, False),
            ({"Name": "route-table-id", "Values": [rt]}, True),
            ({"Name": "route.destination-cidr-block", "Values": ["10.0.4.0/22"]}, True),
            ({"Name": "route.destination-cidr-block", "Values": ["10.9.0.0/22"]}, False),
            ({"Name": "route.vpc-peering-connection-id", "Values": [pcx2]}, True),
        ):
            with self.subTest(flt):
                ids = [t["RouteTableId"] for t in ec2.describe_route_tables(Filters=[flt])["RouteTables"]]
                self.assertEqual(rt in ids, expect)
        ec2.delete_route(RouteTableId=rt, DestinationCidrBlock="10.0.4.0/22")
        self.assertNotIn("10.0.4.0/22", routes())
        self.assertAwsError(ec2.delete_route, "InvalidRoute.NotFound", 400, RouteTableId=rt,
                            DestinationCidrBlock="10.0.4.0/22")

    def test_unknown_peering_id(self):
        ec2 = self.client("ec2")
        err = self.assertAwsError(ec2.describe_vpc_peering_connections,
                                  "InvalidVpcPeeringConnectionID.NotFound", 400,
                                  VpcPeeringConnectionIds=["pcx-0123456789abcdef0"])
        self.assertEqual(err["Error"]["Message"],
                         "The vpcPeeringConnection ID 'pcx-0123456789abcdef0' does not exist")
        self.assertAwsError(ec2.accept_vpc_peering_connection,
                            "InvalidVpcPeeringConnectionID.NotFound", 400,
                            VpcPeeringConnectionId="pcx-0123456789abcdef0")
        self.assertAwsError(ec2.delete_vpc_peering_connection,
                            "InvalidVpcPeeringConnectionID.NotFound", 400,
                            VpcPeeringConnectionId="pcx-0123456789abcdef0")

    def test_peering_filters(self):
        ec2 = self.client("ec2")
        a = self.vpc("hub", "10.0.0.0/22")
        b = self.vpc("client-b", "10.0.4.0/22")
        c = self.vpc("client-c", "10.0.8.0/22")
        p_b = self.client("ec2", "client-b").create_vpc_peering_connection(
            VpcId=b, PeerVpcId=a, PeerOwnerId=HUB,
            TagSpecifications=[{"ResourceType": "vpc-peering-connection",
                                "Tags": [{"Key": "ns", "Value": "1"}]}])["VpcPeeringConnection"]["VpcPeeringConnectionId"]
        p_c = self.client("ec2", "client-c").create_vpc_peering_connection(
            VpcId=c, PeerVpcId=a, PeerOwnerId=HUB)["VpcPeeringConnection"]["VpcPeeringConnectionId"]
        ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=p_c)

        def ids(*filters):
            r = ec2.describe_vpc_peering_connections(
                Filters=[{"Name": n, "Values": v} for n, v in filters])
            return {p["VpcPeeringConnectionId"] for p in r["VpcPeeringConnections"]}
        self.assertEqual(ids(), {p_b, p_c})
        cases = [
            ([("vpc-peering-connection-id", [p_b])], {p_b}),
            ([("status-code", ["active"])], {p_c}),
            ([("status-code", ["pending-acceptance"])], {p_b}),
            ([("status-code", ["pending-acceptance", "active"])], {p_b, p_c}),
            ([("requester-vpc-info.vpc-id", [b])], {p_b}),
            ([("accepter-vpc-info.vpc-id", [a])], {p_b, p_c}),
            ([("requester-vpc-info.owner-id", [C])], {p_c}),
            ([("accepter-vpc-info.owner-id", [HUB])], {p_b, p_c}),
            ([("accepter-vpc-info.owner-id", [B])], set()),
            ([("requester-vpc-info.cidr-block", ["10.0.4.0/22"])], {p_b}),
            ([("accepter-vpc-info.cidr-block", ["10.0.0.0/22"])], {p_b, p_c}),
            ([("tag:ns", ["1"])], {p_b}),
            ([("accepter-vpc-info.vpc-id", [a]), ("status-code", ["active"])], {p_c}),
        ]
        for flt, expect in cases:
            with self.subTest(flt):
                self.assertEqual(ids(*flt), expect)
        both = ec2.describe_vpc_peering_connections(VpcPeeringConnectionIds=[p_b, p_c],
                                                    Filters=[{"Name": "status-code", "Values": ["active"]}])
        self.assertEqual([p["VpcPeeringConnectionId"] for p in both["VpcPeeringConnections"]], [p_c])

    def test_route_quota(self):
        self.env.post("/_awsenv/config", {"max_routes_per_table": 3})
        ec2 = self.client("ec2")
        vpc = self.vpc("hub", "10.0.0.0/22")
        rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
        igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
        for i in range(3):
            ec2.create_route(RouteTableId=rt, DestinationCidrBlock=f"10.1.{i}.0/24", GatewayId=igw)
        self.assertAwsError(ec2.create_route, "RouteLimitExceeded", 400, RouteTableId=rt,
                            DestinationCidrBlock="10.1.9.0/24", GatewayId=igw)
        # an existing destination still answers RouteAlreadyExists; replace still works
        self.assertAwsError(ec2.create_route, "RouteAlreadyExists", 400, RouteTableId=rt,
                            DestinationCidrBlock="10.1.0.0/24", GatewayId=igw)
        ec2.replace_route(RouteTableId=rt, DestinationCidrBlock="10.1.0.0/24", GatewayId=igw)
        ec2.delete_route(RouteTableId=rt, DestinationCidrBlock="10.1.0.0/24")
        ec2.create_route(RouteTableId=rt, DestinationCidrBlock="10.1.9.0/24", GatewayId=igw)

    def test_peering_quota(self):
        self.env.post("/_awsenv/config", {"max_peerings_per_vpc": 2})
        ec2 = self.client("ec2")
        hub = self.vpc("hub", "10.0.0.0/22")
        peers = [self.vpc("hub", f"10.0.{4 * (i + 1)}.0/22") for i in range(4)]
        p0 = ec2.create_vpc_peering_connection(VpcId=hub, PeerVpcId=peers[0])["VpcPeeringConnection"]["VpcPeeringConnectionId"]
        ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=p0)
        ec2.create_vpc_peering_connection(VpcId=hub, PeerVpcId=peers[1])  # pending counts too
        self.assertAwsError(ec2.create_vpc_peering_connection,
                            "ActiveVpcPeeringConnectionPerVpcLimitExceeded", 400,
                            VpcId=hub, PeerVpcId=peers[2])
        # the accepter side is counted as well
        self.assertAwsError(ec2.create_vpc_peering_connection,
                            "ActiveVpcPeeringConnectionPerVpcLimitExceeded", 400,
                            VpcId=peers[3], PeerVpcId=hub)
        # a deleted peering frees its place
        ec2.delete_vpc_peering_connection(VpcPeeringConnectionId=p0)
        ec2.create_vpc_peering_connection(VpcId=hub, PeerVpcId=peers[2])

    def test_cross_account_peering_dance(self):
        hub_ec2, hub_iam = self.client("ec2"), self.client("iam")
        b_ec2, b_sts = self.client("ec2", "client-b"), self.client("sts", "client-b")
        a_vpc = self.vpc("hub", "10.0.0.0/22")
        a_rt = hub_ec2.create_route_table(VpcId=a_vpc)["RouteTable"]["RouteTableId"]
        role_arn = hub_iam.create_role(RoleName="vpc-peer",
                                       AssumeRolePolicyDocument=json.dumps(trust(f"arn:aws:iam::{C}:root")))["Role"]["Arn"]
        b_vpc = self.vpc("client-b", "10.0.4.0/22")
        # B requests the peering to A's VPC
        pcx = b_ec2.create_vpc_peering_connection(VpcId=b_vpc, PeerVpcId=a_vpc, PeerOwnerId=HUB,
                                                  PeerRegion="us-east-1")["VpcPeeringConnection"]
        pcx_id = pcx["VpcPeeringConnectionId"]
        self.assertEqual(pcx["AccepterVpcInfo"]["OwnerId"], HUB)
        # A sees it, with both sides right, pending acceptance
        seen = hub_ec2.describe_vpc_peering_connections(VpcPeeringConnectionIds=[pcx_id])["VpcPeeringConnections"][0]
        self.assertEqual(seen["Status"]["Code"], "pending-acceptance")
        self.assertEqual((seen["RequesterVpcInfo"]["OwnerId"], seen["RequesterVpcInfo"]["VpcId"],
                          seen["RequesterVpcInfo"]["CidrBlock"]), (B, b_vpc, "10.0.4.0/22"))
        self.assertEqual((seen["AccepterVpcInfo"]["OwnerId"], seen["AccepterVpcInfo"]["VpcId"]), (HUB, a_vpc))
        # B may not accept with its own credentials
        self.assertAwsError(b_ec2.accept_vpc_peering_connection, "OperationNotPermitted", 400,
                            VpcPeeringConnectionId=pcx_id)
        # B can't assume A's peer role while the trust policy doesn't name B
        self.assertAwsError(b_sts.assume_role, "AccessDenied", 403, RoleArn=role_arn,
                            RoleSessionName="cfn")
        hub_iam.update_assume_role_policy(RoleName="vpc-peer", PolicyDocument=json.dumps(
            trust(f"arn:aws:iam::{C}:root", f"arn:aws:iam::{B}:root")))
        creds = b_sts.assume_role(RoleArn=role_arn, RoleSessionName="cfn")["Credentials"]
        as_peer = self.env.client("ec2", creds=(creds["AccessKeyId"], creds["SecretAccessKey"],
                                                creds["SessionToken"]))
        acc = as_peer.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx_id)["VpcPeeringConnection"]
        self.assertEqual(acc["Status"]["Code"], "active")
        for c in (hub_ec2, b_ec2):
            st = c.describe_vpc_peering_connections(VpcPeeringConnectionIds=[pcx_id])["VpcPeeringConnections"][0]
            self.assertEqual(st["Status"]["Code"], "active")
        # A routes B's CIDR through the peering
        hub_ec2.create_route(RouteTableId=a_rt, DestinationCidrBlock="10.0.4.0/22",
                             VpcPeeringConnectionId=pcx_id)

        def route_state():
            t = hub_ec2.describe_route_tables(RouteTableIds=[a_rt])["RouteTables"][0]
            return {r["DestinationCidrBlock"]: r.get("State") for r in t["Routes"]}["10.0.4.0/22"]
        self.assertEqual(route_state(), "active")
        # deleting the peering (B does it) makes A's route a blackhole
        b_ec2.delete_vpc_peering_connection(VpcPeeringConnectionId=pcx_id)
        self.assertEqual(route_state(), "blackhole")
        st = hub_ec2.describe_vpc_peering_connections(VpcPeeringConnectionIds=[pcx_id])["VpcPeeringConnections"][0]
        self.assertEqual(st["Status"]["Code"], "deleted")


if __name__ == "__main__":
    unittest.main()
