"""strict_ec2.py: each rule on (as AWS documents it) and off (moto's behaviour)."""

import json
import unittest

from awsenv_base import AwsEnvCase, HUB, B, C, trust


class StrictEc2Test(AwsEnvCase):
    def config(self, **kw):
        self.env.post("/_awsenv/config", kw)

    def peering(self, cidr="10.0.4.0/22"):
        hub = self.client("ec2", "hub").create_vpc(CidrBlock="10.0.0.0/22")["Vpc"]["VpcId"]
        cli = self.client("ec2", "client-b")
        vpc = cli.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
        pcx = cli.create_vpc_peering_connection(
            VpcId=vpc, PeerVpcId=hub, PeerOwnerId=HUB)["VpcPeeringConnection"]
        return hub, vpc, pcx["VpcPeeringConnectionId"]

    def describe(self, pcx, who="hub"):
        return self.client("ec2", who).describe_vpc_peering_connections(
            VpcPeeringConnectionIds=[pcx])["VpcPeeringConnections"][0]

    # [PCX-INFO]
    def test_cidr_hidden_until_active(self):
        _, _, pcx = self.peering()
        p = self.describe(pcx)
        self.assertEqual(p["Status"]["Code"], "pending-acceptance")
        for side in ("RequesterVpcInfo", "AccepterVpcInfo"):
            for key in ("CidrBlock", "CidrBlockSet", "Ipv6CidrBlockSet"):
                self.assertNotIn(key, p[side], side)
            self.assertIn("VpcId", p[side])
            self.assertIn("OwnerId", p[side])
        self.client("ec2").accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
        p = self.describe(pcx)  # the default: one describe sees it provisioning
        self.assertEqual(p["Status"]["Code"], "provisioning")
        self.assertNotIn("CidrBlockSet", p["RequesterVpcInfo"])
        p = self.describe(pcx)
        self.assertEqual(p["Status"]["Code"], "active")
        self.assertEqual(p["RequesterVpcInfo"]["CidrBlock"], "10.0.4.0/22")
        self.assertEqual(p["RequesterVpcInfo"]["CidrBlockSet"], [{"CidrBlock": "10.0.4.0/22"}])

    def test_cidr_shown_when_switched_off(self):
        self.config(strict_pcx_hide_cidr=False)
        _, _, pcx = self.peering()
        self.assertEqual(self.describe(pcx)["RequesterVpcInfo"]["CidrBlock"], "10.0.4.0/22")

    # [PCX-LIFE]
    def test_provisioning_before_active(self):
        self.config(strict_pcx_provisioning_describes=3)
        _, _, pcx = self.peering()
        got = self.client("ec2").accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
        self.assertEqual(got["VpcPeeringConnection"]["Status"]["Code"], "provisioning")
        seen = [self.describe(pcx, who)["Status"]["Code"]
                for who in ("hub", "client-b", "hub", "hub")]
        self.assertEqual(seen, ["provisioning"] * 3 + ["active"])
        self.assertEqual(self.describe(pcx)["RequesterVpcInfo"]["CidrBlock"], "10.0.4.0/22")

    def test_provisioning_by_time(self):
        self.config(strict_pcx_provisioning_describes=0, strict_pcx_provisioning_seconds=0.3)
        _, _, pcx = self.peering()
        self.client("ec2").accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
        self.assertEqual(self.describe(pcx)["Status"]["Code"], "provisioning")
        self.assertTrue(self.poll(lambda: self.describe(pcx)["Status"]["Code"] == "active"))

    def test_provisioning_off(self):
        self.config(strict_pcx_provisioning_describes=0)
        _, _, pcx = self.peering()
        self.client("ec2").accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
        self.assertEqual(self.describe(pcx)["Status"]["Code"], "active")

    def test_held_peering_stays_provisioning(self):
        # peering.py's hold control still wins over the describe count
        _, _, pcx = self.peering()
        self.env.post("/_awsenv/peerings/hold", {"ids": [pcx]})
        self.client("ec2").accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
        for _ in range(3):
            self.assertEqual(self.describe(pcx)["Status"]["Code"], "provisioning")
        self.env.post("/_awsenv/peerings/activate", {"ids": [pcx]})
        self.assertEqual(self.describe(pcx)["Status"]["Code"], "active")

    # [EC2-EC]
    def test_new_peering_invisible(self):
        self.config(strict_new_id_hidden_describes=2)
        _, vpc, pcx = self.peering()
        ec2 = self.client("ec2")
        self.assertAwsError(ec2.describe_vpc_peering_connections,
                            "InvalidVpcPeeringConnectionID.NotFound", 400,
                            VpcPeeringConnectionIds=[pcx])
        self.assertAwsError(ec2.accept_vpc_peering_connection,
                            "InvalidVpcPeeringConnectionID.NotFound", 400,
                            VpcPeeringConnectionId=pcx)
        listed = ec2.describe_vpc_peering_connections()["VpcPeeringConnections"]
        self.assertNotIn(pcx, [p["VpcPeeringConnectionId"] for p in listed])
        self.assertEqual(self.describe(pcx)["Status"]["Code"], "pending-acceptance")
        ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)

    def test_new_peering_invisible_by_time(self):
        self.config(strict_new_id_hidden_seconds=0.3)
        _, _, pcx = self.peering()
        self.assertAwsError(self.client("ec2").describe_vpc_peering_connections,
                            "InvalidVpcPeeringConnectionID.NotFound", 400,
                            VpcPeeringConnectionIds=[pcx])
        self.assertTrue(self.poll(lambda: self.client("ec2").describe_vpc_peering_connections(
            Filters=[{"Name": "vpc-peering-connection-id", "Values": [pcx]}])
            ["VpcPeeringConnections"]))

    def test_new_route_missing_from_describe(self):
        self.config(strict_pcx_provisioning_describes=0)
        hub, _, pcx = self.peering()
        ec2 = self.client("ec2")
        ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
        rt = ec2.create_route_table(VpcId=hub)["RouteTable"]["RouteTableId"]
        self.config(strict_new_id_hidden_describes=1)
        ec2.create_route(RouteTableId=rt, DestinationCidrBlock="10.0.4.0/22",
                         VpcPeeringConnectionId=pcx)

        def dests():
            t = ec2.describe_route_tables(RouteTableIds=[rt])["RouteTables"][0]
            return [r.get("DestinationCidrBlock") for r in t["Routes"]]
        self.assertEqual(dests(), ["10.0.0.0/22"])  # the local route stays
        self.assertAwsError(ec2.create_route, "RouteAlreadyExists", 400, RouteTableId=rt,
                            DestinationCidrBlock="10.0.4.0/22", VpcPeeringConnectionId=pcx)
        self.assertEqual(sorted(dests()), ["10.0.0.0/22", "10.0.4.0/22"])

    def test_new_ids_visible_by_default(self):
        _, _, pcx = self.peering()
        self.assertEqual(self.describe(pcx)["VpcPeeringConnectionId"], pcx)

    # [IAM-QUOTA]
    def test_trust_policy_quota(self):
        iam = self.client("iam")
        iam.create_role(RoleName="peer", AssumeRolePolicyDocument=json.dumps(trust(B)))
        self.config(trust_policy_quota=120)
        err = self.assertAwsError(iam.update_assume_role_policy, "LimitExceeded", 409,
                                  RoleName="peer", PolicyDocument=json.dumps(trust(B, C)))
        self.assertIn("ACLSizePerRole: 120", err["Error"]["Message"])
        self.config(trust_policy_quota=2048)
        iam.update_assume_role_policy(RoleName="peer", PolicyDocument=json.dumps(trust(B, C)))

    # [IAM-PRIN]
    def test_invalid_principal(self):
        iam = self.client("iam")
        iam.create_role(RoleName="peer", AssumeRolePolicyDocument=json.dumps(trust(B)))
        self.config(strict_invalid_principal_accounts=[C])
        arn = f"arn:aws:iam::{C}:root"
        err = self.assertAwsError(iam.update_assume_role_policy, "MalformedPolicyDocument", 400,
                                  RoleName="peer", PolicyDocument=json.dumps(trust(B, arn)))
        self.assertEqual(err["Error"]["Message"], f'Invalid principal in policy: "AWS":"{arn}"')
        self.assertAwsError(iam.update_assume_role_policy, "MalformedPolicyDocument", 400,
                            RoleName="peer", PolicyDocument=json.dumps(trust(C)))
        iam.update_assume_role_policy(RoleName="peer", PolicyDocument=json.dumps(trust(B)))
        self.config(strict_invalid_principal_accounts=[])
        iam.update_assume_role_policy(RoleName="peer", PolicyDocument=json.dumps(trust(B, arn)))

    # [GW-RTB]
    def test_gateway_route_table_refuses_peering(self):
        self.config(strict_pcx_provisioning_describes=0)
        hub, _, pcx = self.peering()
        ec2 = self.client("ec2")
        ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
        igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=hub)
        edge = ec2.create_route_table(VpcId=hub)["RouteTable"]["RouteTableId"]
        ec2.associate_route_table(RouteTableId=edge, GatewayId=igw)
        vgw = ec2.create_vpn_gateway(Type="ipsec.1")["VpnGateway"]["VpnGatewayId"]
        edge2 = ec2.create_route_table(VpcId=hub)["RouteTable"]["RouteTableId"]
        ec2.associate_route_table(RouteTableId=edge2, GatewayId=vgw)
        plain = ec2.create_route_table(VpcId=hub)["RouteTable"]["RouteTableId"]
        for rt in (edge, edge2):
            err = self.assertAwsError(ec2.create_route, "InvalidParameterValue", 400,
                                      RouteTableId=rt, DestinationCidrBlock="10.0.4.0/22",
                                      VpcPeeringConnectionId=pcx)
            self.assertIn("Route target is not supported", err["Error"]["Message"])
        ec2.create_route(RouteTableId=plain, DestinationCidrBlock="10.0.4.0/22",
                         VpcPeeringConnectionId=pcx)
        got = {t["RouteTableId"]: t for t in ec2.describe_route_tables(
            RouteTableIds=[edge, edge2])["RouteTables"]}
        self.assertEqual([a.get("GatewayId") for a in got[edge]["Associations"]], [igw])
        self.assertEqual([a.get("GatewayId") for a in got[edge2]["Associations"]], [vgw])
        self.config(strict_gateway_route_tables=False)
        ec2.create_route(RouteTableId=edge, DestinationCidrBlock="10.0.4.0/22",
                         VpcPeeringConnectionId=pcx)


class LenientEc2Test(AwsEnvCase):
    extra_args = ("--lenient-ec2",)

    def test_every_rule_off(self):
        hub = self.client("ec2").create_vpc(CidrBlock="10.0.0.0/22")["Vpc"]["VpcId"]
        cli = self.client("ec2", "client-b")
        vpc = cli.create_vpc(CidrBlock="10.0.4.0/22")["Vpc"]["VpcId"]
        pcx = cli.create_vpc_peering_connection(
            VpcId=vpc, PeerVpcId=hub, PeerOwnerId=HUB)["VpcPeeringConnection"][
                "VpcPeeringConnectionId"]
        ec2 = self.client("ec2")
        p = ec2.describe_vpc_peering_connections(VpcPeeringConnectionIds=[pcx])[
            "VpcPeeringConnections"][0]
        self.assertEqual(p["RequesterVpcInfo"]["CidrBlock"], "10.0.4.0/22")
        got = ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
        self.assertEqual(got["VpcPeeringConnection"]["Status"]["Code"], "active")
        cfg = self.env.get("/_awsenv/config")
        self.assertFalse(cfg["strict_pcx_hide_cidr"])
        self.assertFalse(cfg["strict_gateway_route_tables"])


if __name__ == "__main__":
    unittest.main()
