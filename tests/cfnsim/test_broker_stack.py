# SPDX-License-Identifier: Apache-2.0
"""templates/hub.yaml then templates/broker.yaml, deployed by cfnsim into awsenv (issue 15):
every resource type of both is created through moto (load balancer, target group, listener,
launch template, Auto Scaling group, EBS volume, RDS, security groups, instance profile).
The instances moto "launches" run nothing: the test plays their bootstrap's
`cloudformation signal-resource` (the group's CreationPolicy), declared as such. The
bootstrap itself is tested in tests/templates/test_bootstrap.py."""

import base64
import os
import re
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "awsenv"))
os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")

import cfnsim  # noqa: E402
import cfnsim_iam  # noqa: E402
from harness import OnAwsEnv  # noqa: E402

HUB = os.path.join(ROOT, "templates", "hub.yaml")
HUB_TGW = os.path.join(ROOT, "templates", "hub-tgw.yaml")
BROKER = os.path.join(ROOT, "templates", "broker.yaml")
DEBIAN = "/aws/service/debian/release/12/latest/amd64"
SHA = "ab" * 32


class BrokerStack(OnAwsEnv, unittest.TestCase):
    def setUp(self):
        super().setUp()
        ec2 = self.ec2 = self.env.client("ec2", "hub")
        self.vpc = ec2.create_vpc(CidrBlock="10.0.0.0/22")["Vpc"]["VpcId"]
        self.azs = sorted(z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"])[:2]
        self.subnets = [ec2.create_subnet(VpcId=self.vpc, CidrBlock=f"10.0.{i}.0/24",
                                          AvailabilityZone=self.azs[i])["Subnet"]["SubnetId"]
                        for i in range(2)]
        ami = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
        # the broker's public name's certificate (ACM through awsenv)
        self.cert = self.env.client("acm", "hub").request_certificate(
            DomainName="vpcpeer.hub.example.com")["CertificateArn"]
        self.signals = []          # (logical id, instance ids) the played instances signalled
        self.play = "SUCCESS"
        self.sim = cfnsim.Simulator(cfnsim.Aws.of(self.env), ssm_parameters={DEBIAN: ami},
                                    service_timeout_cap=3, on_signal_wait=self.played_instances)
        self.addCleanup(self.sim.close)
        self.hub = self.sim.create_stack("vpcpeer-hub", HUB, "hub", parameters={"HubVpcId": self.vpc},
                                         capabilities=["CAPABILITY_NAMED_IAM"])
        self.assertEqual(self.hub.status, "CREATE_COMPLETE", self.hub.failure_reasons())

    def played_instances(self, stack, logical, instances):
        """What each instance's scripts/bootstrap-instance ends with, once /readyz answers."""
        self.signals.append((logical, list(instances)))
        if self.play:
            for i in instances:
                self.sim.signal_resource(stack.name, logical, i, self.play)

    def params(self, count, instance_subnets=None, **extra):
        o = self.hub.outputs
        p = {"VpcId": self.vpc, "VpcCidr": "10.0.0.0/22",
             "InstanceSubnetIds": ",".join(instance_subnets or self.subnets[:1]),
             "LoadBalancerSubnetIds": ",".join(self.subnets),
             "CertificateArn": self.cert,
             "BrokerPublicUrl": "https://vpcpeer.hub.example.com",
             "BrokerRoleName": o["BrokerRoleName"], "BrokerSecurityGroupId": o["BrokerSecurityGroupId"],
             "ClientPrefixListId": o["ClientPrefixListId"], "AllowedAccounts": "222222222222,333333333333",
             "ArtifactBucket": "vpcpeer-artifacts", "PackageKey": "vpcpeer/vpcpeer_0.1.0_amd64.deb",
             "PackageSha256": SHA, "BootstrapSha256": SHA, "BrokerCount": str(count)}
        if count == 1:
            p["RegistryAvailabilityZone"] = self.azs[0]
        p.update(extra)
        return p

    def deploy(self, count, **kw):
        return self.sim.create_stack("vpcpeer-broker", BROKER, "hub", parameters=self.params(count, **kw),
                                     capabilities=["CAPABILITY_IAM"])

    def user_data(self, st):
        lt = st.resources["LaunchTemplate"]["PhysicalResourceId"]
        v = self.ec2.describe_launch_template_versions(LaunchTemplateId=lt)["LaunchTemplateVersions"][0]
        return base64.b64decode(v["LaunchTemplateData"]["UserData"]).decode()

    def boot_policy(self, st):
        iam = self.env.client("iam", "hub")
        return iam.get_role_policy(RoleName=self.hub.outputs["BrokerRoleName"],
                                   PolicyName="vpcpeer-broker-boot")["PolicyDocument"]

    def test_one_broker_on_its_volume(self):
        st = self.deploy(1)
        self.assertEqual(st.status, "CREATE_COMPLETE", st.failure_reasons())
        self.assertEqual(st.outputs["BrokerUrl"], "https://vpcpeer.hub.example.com")
        self.assertEqual(st.outputs["ServerId"], "vpcpeer.hub.example.com:443")
        self.assertTrue(st.outputs["LoadBalancerDnsName"].endswith(".elb.amazonaws.com"))
        self.assertNotIn("Database", st.resources)
        vol_id = st.resources["RegistryVolume"]["PhysicalResourceId"]
        vol = self.ec2.describe_volumes(VolumeIds=[vol_id])["Volumes"][0]
        self.assertEqual((vol["AvailabilityZone"], vol["Encrypted"], vol["VolumeType"]),
                         (self.azs[0], True, "gp3"))
        # the group launches in the volume's zone only, and waited for its one signal
        asg = self.env.client("autoscaling", "hub").describe_auto_scaling_groups()["AutoScalingGroups"][0]
        self.assertEqual(asg["VPCZoneIdentifier"], self.subnets[0])
        self.assertEqual({i["AvailabilityZone"] for i in asg["Instances"]}, {self.azs[0]})
        self.assertEqual([(lg, len(ids)) for lg, ids in self.signals], [("BrokerGroup", 1)])
        ud = self.user_data(st)
        self.assertIn(f"BOOT_VOLUME_ID={vol_id}", ud)
        self.assertIn("VPCPEER_DB=sqlite:/var/lib/vpcpeer/registry.db", ud)
        self.assertNotIn("BOOT_DB_SECRET_ARN", ud)
        sids = {s.get("Sid"): s for s in self.boot_policy(st)["Statement"]}
        self.assertEqual(sids["RegistryVolume"]["Resource"],
                         f"arn:aws:ec2:us-east-1:111111111111:volume/{vol_id}")
        self.assertNotIn("SessionManager", sids)
        # the stack's deletion keeps a snapshot of the registry (DeletionPolicy Snapshot)
        self.assertEqual(self.sim.delete_stack(st).status, "DELETE_COMPLETE", st.failure_reasons())
        snaps = self.ec2.describe_snapshots(Filters=[{"Name": "volume-id", "Values": [vol_id]}])["Snapshots"]
        self.assertEqual(len(snaps), 1)
        self.assertEqual(self.ec2.describe_volumes(Filters=[{"Name": "volume-id", "Values": [vol_id]}])["Volumes"], [])

    def test_one_broker_outside_the_volumes_zone_is_refused(self):
        with self.assertRaises(cfnsim.ValidationError) as cm:
            self.deploy(1, instance_subnets=self.subnets)
        self.assertIn("every InstanceSubnetIds subnet must be in RegistryAvailabilityZone", str(cm.exception))
        self.assertEqual(self.ec2.describe_volumes()["Volumes"], [])

    def test_ssm_agent_url_and_checksum_go_together(self):
        with self.assertRaises(cfnsim.ValidationError) as cm:
            self.deploy(1, SsmAgentUrl="https://s3.amazonaws.com/ec2-downloads-windows/SSMAgent/3.3.0/debian_amd64/amazon-ssm-agent.deb")
        self.assertIn("set SsmAgentUrl and SsmAgentSha256 together", str(cm.exception))
        st = self.deploy(1, SsmAgentUrl="https://s3.amazonaws.com/ec2-downloads-windows/SSMAgent/3.3.0/debian_amd64/amazon-ssm-agent.deb",
                         SsmAgentSha256="cd" * 32)
        self.assertEqual(st.status, "CREATE_COMPLETE", st.failure_reasons())
        self.assertIn("BOOT_SSM_AGENT_SHA256=" + "cd" * 32, self.user_data(st))
        sids = {s.get("Sid"): s for s in self.boot_policy(st)["Statement"]}
        self.assertIn("ssmmessages:OpenDataChannel", sids["SessionManager"]["Action"])

    def test_no_signal_rolls_back(self):
        self.play = None
        st = self.deploy(1)
        self.assertEqual(st.status, "ROLLBACK_COMPLETE")
        self.assertIn("Failed to receive 1 resource signal(s)", " ".join(st.failure_reasons()))
        self.assertEqual(self.env.client("autoscaling", "hub").describe_auto_scaling_groups()["AutoScalingGroups"], [])

    def test_failure_signal_rolls_back(self):
        self.play = "FAILURE"
        st = self.deploy(1)
        self.assertEqual(st.status, "ROLLBACK_COMPLETE")
        self.assertIn("Received FAILURE signal with UniqueId i-", " ".join(st.failure_reasons()))

    def test_several_brokers_share_rds(self):
        st = self.deploy(2, instance_subnets=self.subnets)
        self.assertEqual(st.status, "CREATE_COMPLETE", st.failure_reasons())
        self.assertNotIn("RegistryVolume", st.resources)
        self.assertEqual([(lg, len(ids)) for lg, ids in self.signals], [("BrokerGroup", 2)])
        db = self.env.client("rds", "hub").describe_db_instances()["DBInstances"][0]
        self.assertEqual((db["Engine"], db["StorageEncrypted"], db["DeletionProtection"]),
                         ("postgres", True, True))
        ud = self.user_data(st)
        secret = st.resources["Database"]["Attributes"]["MasterUserSecret.SecretArn"]
        self.assertIn(f"BOOT_DB_SECRET_ARN={secret}", ud)
        self.assertNotIn("BOOT_VOLUME_ID", ud)
        sids = [s for s in self.boot_policy(st)["Statement"] if s.get("Action") == "secretsmanager:GetSecretValue"]
        self.assertEqual([s["Resource"] for s in sids], [secret])

    # ---- the hub's hosted zone (issue 19) and the transit-gateway hub (issue 16) ----

    def zone(self):
        """A private hosted zone of the hub VPC, made in awsenv's Route 53 first."""
        z = self.env.client("route53", "hub").create_hosted_zone(
            Name="hub.internal", CallerReference="broker-stack",
            VPC={"VPCRegion": "us-east-1", "VPCId": self.vpc},
            HostedZoneConfig={"PrivateZone": True})
        return z["HostedZone"]["Id"].split("/")[-1]

    def settings(self, st):
        """The settings file the instance's user data writes, after its own sed: what
        scripts/bootstrap-instance reads (the heredoc and the sed line run here as written)."""
        ud = self.user_data(st)
        body = re.search(r"<<'SETTINGS'\n(.*?)\n\s*SETTINGS\n", ud, re.S).group(1)
        sed = re.search(r"^\s*(sed -i .*) /root/vpcpeer-settings$", ud, re.M).group(1)
        with tempfile.NamedTemporaryFile("w", delete=False) as f:
            f.write("\n".join(line.strip() for line in body.splitlines()) + "\n")
        self.addCleanup(os.unlink, f.name)
        subprocess.run(sed.split(" ", 2)[:2] + [sed.split(" ", 2)[2].strip("'"), f.name], check=True)
        with open(f.name) as g:
            lines = g.read().splitlines()
        # every VPCPEER_<NAME> is a flag `vpcpeer serve` has (args.c: --name, dashes for
        # underscores), read from the option tables, so a misspelt setting fails here
        flags = set()
        for src in ("broker_config.c", "cmd_serve.c"):
            with open(os.path.join(ROOT, "src", "cli", src)) as g:
                flags |= set(re.findall(r'\{"([a-z0-9-]+)", 0,', g.read()))
        for line in lines:
            if line.startswith("VPCPEER_"):
                flag = line.split("=", 1)[0][len("VPCPEER_"):].lower().replace("_", "-")
                self.assertIn(flag, flags, f"{line}: vpcpeer serve has no --{flag}")
        return lines

    def role_doc(self, role, policy):
        doc = self.env.client("iam", "hub").get_role_policy(RoleName=role, PolicyName=policy)["PolicyDocument"]
        return {s.get("Sid"): s for s in doc["Statement"]}

    def decide(self, sids, action, resource):
        # the role's statements, conditions included, by awsenv's evaluator as a hub role
        role = f"arn:aws:iam::{self.env.accounts['hub']['id']}:role/vpcpeer-broker"
        return cfnsim_iam.decide([{"Statement": list(sids.values())}], action, resource, role,
                                 "us-east-1")

    def test_hub_with_hosted_zone_hands_the_broker_its_zone(self):
        zone = self.zone()
        # the default hub: no zone, no Route 53 rights, no output
        self.assertNotIn("HostedZoneId", self.hub.outputs)
        self.assertNotIn("HubHostedZone", self.role_doc(self.hub.outputs["BrokerRoleName"], "vpcpeer-broker"))
        hub = self.sim.create_stack("vpcpeer-hub-zone", HUB, "hub",
                                    parameters={"HubVpcId": self.vpc, "HubHostedZoneId": zone},
                                    capabilities=["CAPABILITY_NAMED_IAM"])
        self.assertEqual(hub.status, "CREATE_COMPLETE", hub.failure_reasons())
        self.assertEqual(hub.outputs["HostedZoneId"], zone)
        sids = self.role_doc(hub.outputs["BrokerRoleName"], "vpcpeer-broker")
        arn = f"arn:aws:route53:::hostedzone/{zone}"
        self.assertEqual(sids["HubHostedZone"]["Resource"], arn)
        for action in ("GetHostedZone", "CreateVPCAssociationAuthorization",
                       "DeleteVPCAssociationAuthorization", "ListVPCAssociationAuthorizations",
                       "DisassociateVPCFromHostedZone"):
            self.assertEqual(self.decide(sids, "route53:" + action, arn), "Allow", action)
            self.assertEqual(self.decide(sids, "route53:" + action, "arn:aws:route53:::hostedzone/ZOTHER"),
                             "ImplicitDeny", action)
        # the broker may not associate VPCs itself (the client's handler does, from its account)
        self.assertEqual(self.decide(sids, "route53:AssociateVPCWithHostedZone", arn), "ImplicitDeny")
        o = hub.outputs
        st = self.deploy(1, BrokerRoleName=o["BrokerRoleName"], BrokerSecurityGroupId=o["BrokerSecurityGroupId"],
                         ClientPrefixListId=o["ClientPrefixListId"], HostedZoneId=o["HostedZoneId"])
        self.assertEqual(st.status, "CREATE_COMPLETE", st.failure_reasons())
        env = self.settings(st)
        self.assertIn(f"VPCPEER_HOSTED_ZONE={zone}", env)
        self.assertIn("VPCPEER_ATTACH=peering", env)
        self.assertFalse([l for l in env if l.startswith("VPCPEER_TRANSIT_GATEWAY") or l.endswith("=")], env)

    def test_no_hosted_zone_writes_no_setting(self):
        st = self.deploy(1)
        self.assertEqual(st.status, "CREATE_COMPLETE", st.failure_reasons())
        env = self.settings(st)
        self.assertFalse([l for l in env if l.startswith(("VPCPEER_HOSTED_ZONE", "VPCPEER_PEER_ROLE"))], env)
        self.assertIn(f"VPCPEER_PREFIX_LIST={self.hub.outputs['ClientPrefixListId']}", env)

    def test_transit_gateway_hub_then_its_broker(self):
        zone = self.zone()
        ec2 = self.ec2
        hub = self.sim.create_stack("vpcpeer-hub-tgw", HUB_TGW, "hub",
                                    parameters={"HubVpcId": self.vpc, "HubVpcCidr": "10.0.0.0/22",
                                                "HubSubnetIds": ",".join(self.subnets),
                                                "HubHostedZoneId": zone},
                                    capabilities=["CAPABILITY_NAMED_IAM"])
        self.assertEqual(hub.status, "CREATE_COMPLETE", hub.failure_reasons())
        o = hub.outputs
        # awsenv's transit gateway, as hub-tgw.yaml asks: nothing automatic
        gw = ec2.describe_transit_gateways(TransitGatewayIds=[o["TransitGatewayId"]])["TransitGateways"][0]
        self.assertEqual((gw["State"], gw["Options"]["AutoAcceptSharedAttachments"],
                          gw["Options"]["DefaultRouteTableAssociation"],
                          gw["Options"]["DefaultRouteTablePropagation"]),
                         ("available", "disable", "disable", "disable"))
        att = ec2.describe_transit_gateway_vpc_attachments(
            Filters=[{"Name": "transit-gateway-id", "Values": [o["TransitGatewayId"]]}])["TransitGatewayVpcAttachments"]
        self.assertEqual([(a["VpcId"], a["State"]) for a in att], [(self.vpc, "available")])
        assoc = ec2.describe_transit_gateway_attachments(
            TransitGatewayAttachmentIds=[att[0]["TransitGatewayAttachmentId"]])["TransitGatewayAttachments"][0]
        self.assertEqual(assoc["Association"]["TransitGatewayRouteTableId"], o["HubRouteTableId"])
        routes = ec2.search_transit_gateway_routes(
            TransitGatewayRouteTableId=o["ClientsRouteTableId"],
            Filters=[{"Name": "type", "Values": ["static"]}])["Routes"]
        self.assertEqual([(r["DestinationCidrBlock"], r["TransitGatewayAttachments"][0]["TransitGatewayAttachmentId"])
                          for r in routes], [("10.0.0.0/22", att[0]["TransitGatewayAttachmentId"])])
        ram = self.env.client("ram", "hub")
        res = ram.get_resource_share_associations(associationType="RESOURCE",
                                                  resourceShareArns=[o["ResourceShareArn"]])["resourceShareAssociations"]
        self.assertEqual([r["associatedEntity"] for r in res],
                         [f"arn:aws:ec2:us-east-1:111111111111:transit-gateway/{o['TransitGatewayId']}"])
        # the broker role of this mode: its zone, the prefix list, the share; nothing else
        sids = self.role_doc(o["BrokerRoleName"], "vpcpeer-broker-tgw")
        self.assertEqual(sids["HubHostedZone"]["Resource"], f"arn:aws:route53:::hostedzone/{zone}")
        pl = ec2.describe_managed_prefix_lists(PrefixListIds=[o["ClientPrefixListId"]])["PrefixLists"][0]
        self.assertEqual(self.decide(sids, "ec2:ModifyManagedPrefixList", pl["PrefixListArn"]), "Allow")
        self.assertEqual(self.decide(sids, "ram:AssociateResourceShare", o["ResourceShareArn"]), "Allow")
        self.assertEqual(self.decide(sids, "ram:AssociateResourceShare",
                                     "arn:aws:ram:us-east-1:111111111111:resource-share/other"), "ImplicitDeny")
        # broker.yaml in transit-gateway mode, from hub-tgw.yaml's outputs
        tgw = {"Attach": "transit-gateway", "TransitGatewayId": o["TransitGatewayId"],
               "ResourceShareArn": o["ResourceShareArn"],
               "TransitGatewayClientsRouteTableId": o["ClientsRouteTableId"],
               "TransitGatewayHubRouteTableId": o["HubRouteTableId"],
               "TransitGatewayVerifyRouteTableId": o["VerifyRouteTableId"]}
        hubs = {"BrokerRoleName": o["BrokerRoleName"], "BrokerSecurityGroupId": o["BrokerSecurityGroupId"],
                "ClientPrefixListId": o["ClientPrefixListId"], "HostedZoneId": o["HostedZoneId"]}
        with self.assertRaises(cfnsim.ValidationError) as cm:
            self.deploy(1, **hubs, **dict(tgw, ResourceShareArn=""))
        self.assertIn("Attach transit-gateway needs TransitGatewayId, ResourceShareArn", str(cm.exception))
        with self.assertRaises(cfnsim.ValidationError):
            self.deploy(1, **hubs, **dict(tgw, Attach="peering"))
        st = self.deploy(1, **hubs, **tgw)
        self.assertEqual(st.status, "CREATE_COMPLETE", st.failure_reasons())
        env = self.settings(st)
        for line in (f"VPCPEER_ATTACH=transit-gateway", f"VPCPEER_TRANSIT_GATEWAY={o['TransitGatewayId']}",
                     f"VPCPEER_RESOURCE_SHARE={o['ResourceShareArn']}",
                     f"VPCPEER_TRANSIT_GATEWAY_CLIENT_TABLE={o['ClientsRouteTableId']}",
                     f"VPCPEER_TRANSIT_GATEWAY_HUB_TABLE={o['HubRouteTableId']}",
                     f"VPCPEER_TRANSIT_GATEWAY_VERIFY_TABLE={o['VerifyRouteTableId']}",
                     f"VPCPEER_HOSTED_ZONE={zone}", f"VPCPEER_PREFIX_LIST={o['ClientPrefixListId']}"):
            self.assertIn(line, env)
        # both stacks go, the transit gateway and the share with them
        self.assertEqual(self.sim.delete_stack(st).status, "DELETE_COMPLETE", st.failure_reasons())
        self.assertEqual(self.sim.delete_stack(hub).status, "DELETE_COMPLETE", hub.failure_reasons())
        gws = ec2.describe_transit_gateways(TransitGatewayIds=[o["TransitGatewayId"]])["TransitGateways"]
        self.assertEqual([g["State"] for g in gws], ["deleted"])
        shares = ram.get_resource_shares(resourceOwner="SELF", resourceShareArns=[o["ResourceShareArn"]])
        self.assertEqual([s["status"] for s in shares["resourceShares"]], ["DELETED"])


if __name__ == "__main__":
    unittest.main()
