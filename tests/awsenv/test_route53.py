"""The Route 53 association rules of route53.py (issue 19): cross-account association only
while an authorization exists (the attack: an unauthorized account associating its VPC),
authorization deletion leaving the association, who may disassociate, the last VPC, paging."""

import unittest

from awsenv_base import AwsEnvCase, B as ACCT_B, C as ACCT_C, HUB as ACCT_HUB
from route53 import PAGE, Route53, Route53Error, action_of

HUB, CLIENT, OTHER = "111111111111", "222222222222", "333333333333"
R = "eu-west-1"
HUB_VPC, CLIENT_VPC, OTHER_VPC = "vpc-0000000000000000a", "vpc-0000000000000000b", "vpc-0000000000000000c"
OWNERS = {(R, HUB_VPC): HUB, (R, CLIENT_VPC): CLIENT, (R, OTHER_VPC): OTHER}


class Route53Test(unittest.TestCase):
    def setUp(self):
        self.r53 = Route53(lambda region, vpc: OWNERS.get((region, vpc)))
        self.r53.create_zone("ZHUB", "hub.internal.", HUB, vpc=(R, HUB_VPC))

    def assertR53(self, code, fn, *args):
        with self.assertRaises(Route53Error) as cm:
            fn(*args)
        self.assertEqual(cm.exception.code, code)

    def vpcs(self):
        return [v["VPCId"] for v in self.r53.get_hosted_zone(HUB, "ZHUB")["VPCs"]]

    def test_unauthorized_account_cannot_associate(self):
        self.assertR53("NotAuthorizedException", self.r53.associate, CLIENT, "ZHUB", R, CLIENT_VPC)
        self.r53.create_authorization(HUB, "ZHUB", R, CLIENT_VPC)
        # the authorization is for CLIENT's VPC only: another account's VPC stays out
        self.assertR53("NotAuthorizedException", self.r53.associate, OTHER, "ZHUB", R, OTHER_VPC)
        # nor can another account associate the authorized VPC it does not own
        self.assertR53("InvalidVPCId", self.r53.associate, OTHER, "ZHUB", R, CLIENT_VPC)
        self.assertEqual(self.vpcs(), [HUB_VPC], "nothing changed")
        self.r53.associate(CLIENT, "ZHUB", R, CLIENT_VPC)
        self.assertEqual(self.vpcs(), [HUB_VPC, CLIENT_VPC])
        self.assertR53("ConflictingDomainExists", self.r53.associate, CLIENT, "ZHUB", R,
                       CLIENT_VPC)

    def test_only_the_zone_owner_authorizes(self):
        self.assertR53("NotAuthorizedException", self.r53.create_authorization, CLIENT, "ZHUB", R,
                       CLIENT_VPC)
        self.assertR53("InvalidVPCId", self.r53.create_authorization, HUB, "ZHUB", R,
                       "vpc-0000000000000000f")
        self.assertR53("NoSuchHostedZone", self.r53.create_authorization, HUB, "ZNONE", R,
                       CLIENT_VPC)

    def test_deleting_the_authorization_keeps_the_association(self):
        self.r53.create_authorization(HUB, "/hostedzone/ZHUB", R, CLIENT_VPC)
        self.r53.associate(CLIENT, "ZHUB", R, CLIENT_VPC)
        self.r53.delete_authorization(HUB, "ZHUB", R, CLIENT_VPC)
        self.assertEqual(self.vpcs(), [HUB_VPC, CLIENT_VPC])
        self.assertEqual(self.r53.list_authorizations(HUB, "ZHUB"), ([], None))
        self.assertR53("VPCAssociationAuthorizationNotFound", self.r53.delete_authorization, HUB,
                       "ZHUB", R, CLIENT_VPC)
        # once disassociated, it cannot come back without a new authorization
        self.r53.disassociate(HUB, "ZHUB", R, CLIENT_VPC)
        self.assertR53("NotAuthorizedException", self.r53.associate, CLIENT, "ZHUB", R, CLIENT_VPC)

    def test_who_may_disassociate(self):
        self.r53.create_authorization(HUB, "ZHUB", R, CLIENT_VPC)
        self.r53.associate(CLIENT, "ZHUB", R, CLIENT_VPC)
        self.assertR53("NotAuthorizedException", self.r53.disassociate, OTHER, "ZHUB", R,
                       CLIENT_VPC)
        self.r53.disassociate(CLIENT, "ZHUB", R, CLIENT_VPC)  # the VPC's owner may
        self.r53.associate(CLIENT, "ZHUB", R, CLIENT_VPC)     # still authorized
        self.r53.disassociate(HUB, "ZHUB", R, CLIENT_VPC)     # so may the zone's owner
        self.assertR53("VPCAssociationNotFound", self.r53.disassociate, HUB, "ZHUB", R,
                       CLIENT_VPC)
        self.assertR53("LastVPCAssociation", self.r53.disassociate, HUB, "ZHUB", R, HUB_VPC)
        self.assertEqual(self.vpcs(), [HUB_VPC])

    def test_public_zone(self):
        self.r53.create_zone("ZPUB", "example.com.", HUB)
        self.assertR53("PublicZoneVPCAssociation", self.r53.associate, HUB, "ZPUB", R, HUB_VPC)

    def test_list_pages(self):
        owners = dict(OWNERS)
        vpcs = [f"vpc-{i:017x}" for i in range(PAGE + 3)]
        owners.update({(R, v): CLIENT for v in vpcs})
        self.r53.vpc_owner = lambda region, vpc: owners.get((region, vpc))
        for v in vpcs:
            self.r53.create_authorization(HUB, "ZHUB", R, v)
        first, token = self.r53.list_authorizations(HUB, "ZHUB")
        self.assertEqual(len(first), PAGE)
        self.assertIsNotNone(token)
        rest, token = self.r53.list_authorizations(HUB, "ZHUB", token)
        self.assertIsNone(token)
        self.assertEqual([v["VPCId"] for v in first + rest], vpcs)


class Route53RestTest(unittest.TestCase):
    def test_action_of(self):
        self.assertEqual(action_of("POST", "/2013-04-01/hostedzone/Z1/associatevpc"),
                         "AssociateVPCWithHostedZone")
        self.assertEqual(action_of("GET", "/2013-04-01/hostedzone/Z1/authorizevpcassociation"),
                         "ListVPCAssociationAuthorizations")
        self.assertEqual(action_of("GET", "/2013-04-01/hostedzone/Z1"), "GetHostedZone")
        self.assertEqual(action_of("POST", "/2013-04-01/hostedzone"), "CreateHostedZone")
        self.assertEqual(action_of("DELETE", "/2013-04-01/hostedzone/Z1"), "")
        self.assertEqual(action_of("POST", "/2013-04-01/hostedzone/Z1/nosuch"), "")


class Route53AwsEnvTest(AwsEnvCase):
    """The model through awsenv's dispatch, from boto3 in three accounts (REST-XML, signed
    for us-east-1), the VPCs' owners read from moto's EC2."""

    def vpc(self, who):
        ec2 = self.client("ec2", who, region_name=R)
        return ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]

    def zone(self, hub_vpc):
        r53 = self.client("route53", "hub")
        z = r53.create_hosted_zone(Name="hub.internal", CallerReference="t1",
                                   VPC={"VPCRegion": R, "VPCId": hub_vpc},
                                   HostedZoneConfig={"PrivateZone": True})
        return r53, z["HostedZone"]["Id"].split("/")[-1]

    def test_cross_account_association(self):
        hub_vpc, b_vpc, c_vpc = self.vpc("hub"), self.vpc(ACCT_B), self.vpc(ACCT_C)
        r53, zid = self.zone(hub_vpc)
        got = r53.get_hosted_zone(Id=zid)
        self.assertTrue(got["HostedZone"]["Config"]["PrivateZone"])
        self.assertEqual([v["VPCId"] for v in got["VPCs"]], [hub_vpc])
        b = self.client("route53", ACCT_B)
        vb = {"VPCRegion": R, "VPCId": b_vpc}
        # the attack: associating without the zone owner's authorization
        self.assertAwsError(b.associate_vpc_with_hosted_zone, "NotAuthorizedException", 401,
                            HostedZoneId=zid, VPC=vb)
        self.assertAwsError(b.create_vpc_association_authorization, "NotAuthorizedException",
                            401, HostedZoneId=zid, VPC=vb)
        r53.create_vpc_association_authorization(HostedZoneId=zid, VPC=vb)
        listed = r53.list_vpc_association_authorizations(HostedZoneId=zid)["VPCs"]
        self.assertEqual(listed, [vb])
        # C may not use B's authorization for its own VPC, nor associate B's VPC
        c = self.client("route53", ACCT_C)
        self.assertAwsError(c.associate_vpc_with_hosted_zone, "NotAuthorizedException", 401,
                            HostedZoneId=zid, VPC={"VPCRegion": R, "VPCId": c_vpc})
        self.assertAwsError(c.associate_vpc_with_hosted_zone, "InvalidVPCId", 400,
                            HostedZoneId=zid, VPC=vb)
        ch = b.associate_vpc_with_hosted_zone(HostedZoneId=zid, VPC=vb)["ChangeInfo"]
        self.assertEqual(ch["Status"], "INSYNC")
        r53.delete_vpc_association_authorization(HostedZoneId=zid, VPC=vb)
        self.assertEqual(r53.list_vpc_association_authorizations(HostedZoneId=zid)["VPCs"], [])
        self.assertEqual([v["VPCId"] for v in r53.get_hosted_zone(Id=zid)["VPCs"]],
                         [hub_vpc, b_vpc])
        self.assertAwsError(r53.delete_vpc_association_authorization,
                            "VPCAssociationAuthorizationNotFound", 404, HostedZoneId=zid, VPC=vb)
        self.assertAwsError(c.disassociate_vpc_from_hosted_zone, "NotAuthorizedException", 401,
                            HostedZoneId=zid, VPC=vb)
        r53.disassociate_vpc_from_hosted_zone(HostedZoneId=zid, VPC=vb)
        self.assertAwsError(r53.disassociate_vpc_from_hosted_zone, "VPCAssociationNotFound",
                            404, HostedZoneId=zid, VPC=vb)
        self.assertAwsError(r53.get_hosted_zone, "NoSuchHostedZone", 404, Id="ZNOSUCH")
        seen = self.env.calls()["calls"]["route53"]
        self.assertEqual(seen["AssociateVPCWithHostedZone"]["outcomes"],
                         {"NotAuthorizedException": 2, "InvalidVPCId": 1, "ok": 1})

    def test_reset_forgets_zones(self):
        _, zid = self.zone(self.vpc("hub"))
        self.env.reset()
        self.assertAwsError(self.client("route53", "hub").get_hosted_zone, "NoSuchHostedZone",
                            404, Id=zid)


if __name__ == "__main__":
    unittest.main()
