# SPDX-License-Identifier: Apache-2.0
"""End-to-end: client stacks from templates/client.yaml, deployed by the CloudFormation
simulator into three accounts of awsenv, against the real broker (`vpcpeer serve`, SQLite)
and the real handler (the same binary as the Lambda function's `bootstrap`).

The hub: a VPC (10.0.0.0/22) with two route tables and a subnet, made with boto3 as the hub's
operator would; the peer roles and the broker's role from templates/hub.yaml, deployed by the
simulator (the broker's EC2 instance, address, instance profile and security group skipped:
the broker runs here). awsenv, the broker processes and their cleanliness checks come from
tests/e2e/broker_harness.py. The binary is $VPCPEER_BIN (ctest passes the build's)."""

import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
# templates/client.yaml attaches AWSLambdaBasicExecutionRole: moto knows AWS managed
# policies only with this (read by awsenv, started below with this environment).
os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"

import cfnsim  # noqa: E402

try:
    import broker_harness as bh  # noqa: E402
    MISSING = None
except ImportError as e:          # pragma: no cover  (the e2e harness has not landed)
    bh, MISSING = None, f"tests/e2e/broker_harness.py is not there: {e}"

CLIENT_TEMPLATE = os.path.join(ROOT, "templates", "client.yaml")
HUB_TEMPLATE = os.path.join(ROOT, "templates", "hub.yaml")
CLIENTS = ("client-b", "client-c", "client-d")
WAIT = float(os.environ.get("CFNSIM_SERVICE_TIMEOUT_CAP", "90"))   # per custom resource


def binary_has(binary, command):
    r = subprocess.run([binary, command, "--help"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=30)
    return r.returncode == 0


class TemplateHub(bh.Hub if bh else object):
    """The hub of broker_harness.Hub, with the peer roles (in peer-role mode) from
    templates/hub.yaml."""

    def __init__(self, env, sim, route_tables=2, mode="broker"):
        self.env = env
        self.ec2 = env.client("ec2", "hub")
        self.iam = env.client("iam", "hub")
        self.vpc = self.ec2.create_vpc(CidrBlock=bh.HUB_CIDR)["Vpc"]["VpcId"]
        self.subnet = self.ec2.create_subnet(VpcId=self.vpc, CidrBlock="10.0.0.0/24")["Subnet"]["SubnetId"]
        self.route_tables = [self.ec2.create_route_table(VpcId=self.vpc)["RouteTable"]["RouteTableId"]
                             for _ in range(route_tables)]
        self.main_route_table = self.ec2.describe_route_tables(Filters=[
            {"Name": "vpc-id", "Values": [self.vpc]},
            {"Name": "association.main", "Values": ["true"]}])["RouteTables"][0]["RouteTableId"]
        self.stack = sim.create_stack(
            "vpcpeer-hub", HUB_TEMPLATE, "hub",
            parameters={"HubVpcId": self.vpc, "PeeringAccepter": mode},
            capabilities=["CAPABILITY_NAMED_IAM"], skip_types=cfnsim.HUB_BROKER_HOST_TYPES)
        if self.stack.status != "CREATE_COMPLETE":
            raise AssertionError(f"hub stack: {self.stack.status}: {self.stack.failure_reasons()}")
        arns = self.stack.outputs.get("PeerRoleArns")
        self.roles = [a.rsplit("/", 1)[1] for a in arns.split(",")] if arns else []


class StackCase(unittest.TestCase):
    GENERATED_ACCOUNTS = 0
    MODE = "broker"            # the hub's and the client stacks' PeeringAccepter

    @classmethod
    def setUpClass(cls):
        if MISSING:
            raise unittest.SkipTest(MISSING)
        cls.bin = bh.vpcpeer_bin()
        for cmd in ("serve", "lambda"):
            if not binary_has(cls.bin, cmd):
                raise unittest.SkipTest(f"{cls.bin} has no `{cmd}` command yet")
        cls.tmp = tempfile.mkdtemp(prefix="vpcpeer-cfnsim.")
        accounts = bh.write_accounts_file(os.path.join(cls.tmp, "accounts.json"))
        cls.env = bh.AwsEnvProcess(accounts=accounts).start()

    @classmethod
    def tearDownClass(cls):
        cls.env.stop()
        if not os.environ.get("VPCPEER_E2E_KEEP"):
            import shutil
            shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        self.env.reset()
        self.workdir = tempfile.mkdtemp(prefix=self._testMethodName[:40] + ".", dir=self.tmp)
        simdir = os.path.join(self.workdir, "sim")
        os.makedirs(simdir)
        # CFNSIM_LAMBDA_CODE: the Lambda zip instead (tests/integration/cfn/test_zip_stacks.sh).
        code = os.environ.get("CFNSIM_LAMBDA_CODE") or self.bin
        self.sim = cfnsim.Simulator(cfnsim.Aws.of(self.env), lambda_code=code,
                                    service_timeout_cap=WAIT, workdir=simdir,
                                    lambda_env={"VPCPEER_LOG_LEVEL": "debug"})
        self.addCleanup(self._close_sim)
        self.mode_args = ["--peering-accepter", self.MODE]
        self.hub = TemplateHub(self.env, self.sim, mode=self.MODE)
        # the custom resource that confirms (and in broker mode requests) the peering
        self.confirmation = "Confirmation" if self.MODE == "broker" else "PeerRoleConfirmation"
        self.brokers = []
        self.addCleanup(self._stop_brokers)

    def _stop_brokers(self):
        problems = []
        for b in self.brokers:
            problems += b.stop()
        if problems:
            self.fail("\n".join(problems))

    def _close_sim(self):
        self.sim.close()
        logs = self.sim.lambda_logs()
        bad = {k: v for k, v in logs.items() if bh.SANITIZER_RE.search(v)}
        if bad:
            self.fail("sanitizer report in the handler's log:\n" +
                      "\n".join(f"--- {k}\n{v[-3000:]}" for k, v in bad.items()))

    def start_broker(self, args=()):
        # The broker runs as hub.yaml's BrokerRole (its instance profile's session, as EC2
        # gives it): awsenv judges each of its calls by that role's policies (issue 22).
        c = self.sim.aws.service_session(self.hub.stack.outputs["BrokerRoleArn"],
                                         "ec2.amazonaws.com", "i-broker")
        b = bh.Broker(self.env, self.hub, self.workdir, args=self.mode_args + list(args),
                      binary=self.bin,
                      allow=CLIENTS, name=f"broker{len(self.brokers) + 1}",
                      env_extra={"AWS_ACCESS_KEY_ID": c["AccessKeyId"],
                                 "AWS_SECRET_ACCESS_KEY": c["SecretAccessKey"],
                                 "AWS_SESSION_TOKEN": c["SessionToken"]})
        b.secrets += [c["SecretAccessKey"], c["SessionToken"]]
        self.brokers.append(b)
        return b.start()

    def deploy(self, broker, who, name, template=CLIENT_TEMPLATE, mode=None):
        st = self.sim.create_stack(name, template, who, parameters={
            "BrokerUrl": broker.url, "ServerId": bh.SERVER_ID,
            "HandlerCodeBucket": "vpcpeer-handler-code",
            "PeeringAccepter": mode or self.MODE}, capabilities=["CAPABILITY_IAM"])
        return st

    def diagnose(self, st):
        logs = self.sim.lambda_logs()
        tail = "\n".join(f"--- {k}\n{v[-4000:]}" for k, v in logs.items())
        b = "\n".join(x.log_tail(40) for x in self.brokers)
        return (f"{st.name}: {st.status}: {st.failure_reasons()}\n--- handler logs\n{tail}\n"
                f"--- broker log\n{b}")

    # ---- observations ----
    def client_state(self, who):
        """What the account holds: non-default VPCs with their subnets and route tables,
        peerings that are not deleted."""
        ec2 = self.env.client("ec2", who)
        vpcs = {}
        for v in ec2.describe_vpcs()["Vpcs"]:
            if v["IsDefault"]:
                continue
            subs = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [v["VpcId"]]}])["Subnets"]
            rts = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [v["VpcId"]]}])["RouteTables"]
            vpcs[v["VpcId"]] = {"cidr": v["CidrBlock"], "subnets": sorted(s["CidrBlock"] for s in subs),
                                "route_tables": rts}
        pcx = [p for p in ec2.describe_vpc_peering_connections()["VpcPeeringConnections"]
               if p["Status"]["Code"] not in ("deleted", "rejected", "failed")]
        return vpcs, pcx

    def trusted(self):
        """{account: number of entries} over the peer roles' broker statements."""
        out = {}
        for doc in self.hub.trusts().values():
            for a in bh.trusted_accounts(doc):
                out[a] = out.get(a, 0) + 1
        return out

    def hub_client_routes(self):
        """{rtb: {dest: (pcx, state)}} of the hub's configured tables, client routes only."""
        out = {}
        for rtb, routes in self.hub.routes(self.hub.route_tables).items():
            out[rtb] = {d: (t, s) for d, t, s in routes if t.startswith("pcx-")}
        return out

    def live(self, broker):
        return {ns["NamespaceId"]: ns for ns in broker.api.list_all("hub")
                if ns["State"] in ("pending", "active", "releasing")}

    def assertGone(self, broker, who, n=None):
        vpcs, pcx = self.client_state(who)
        self.assertEqual(vpcs, {}, f"{who}: VPCs left")
        self.assertEqual(pcx, [], f"{who}: peerings left")
        self.assertNotIn(self.env.accounts[who]["id"], self.trusted(), "trust entry left")
        if n is not None:
            cidr = bh.plan_of(n)[0]
            for rtb, routes in self.hub_client_routes().items():
                self.assertNotIn(cidr, routes, f"hub route to {cidr} left in {rtb}")
            self.assertNotIn(n, self.live(broker), "live namespace left")
        roles = [r["RoleName"] for r in self.env.client("iam", who).list_roles()["Roles"]]
        self.assertEqual(roles, [], f"{who}: IAM roles left")


class ClientStacks(StackCase):
    """Broker mode (the default): the handler requests each peering, the broker accepts it."""

    def test_three_stacks_then_delete(self):
        broker = self.start_broker()
        stacks = {}
        for i, who in enumerate(CLIENTS, 1):
            st = self.deploy(broker, who, f"client-{who[-1]}")
            self.assertEqual(st.status, "CREATE_COMPLETE", self.diagnose(st))
            stacks[who] = st
            self.assertEqual(int(st.outputs["NamespaceId"]), i)
        live = self.live(broker)
        self.assertEqual(sorted(live), [1, 2, 3])
        trusted = self.trusted()
        for i, who in enumerate(CLIENTS, 1):
            st, acct = stacks[who], self.env.accounts[who]["id"]
            vpc_cidr, subnets = bh.plan_of(i)
            ns = live[i]
            self.assertEqual(ns["State"], "active")
            self.assertEqual(ns["AccountId"], acct)
            self.assertEqual(ns["VpcId"], st.outputs["VpcId"])
            self.assertEqual(ns["VpcPeeringConnectionId"], st.outputs["PeeringConnectionId"])
            self.assertEqual(st.outputs["VpcCidrBlock"], vpc_cidr)
            # the client VPC has exactly the planned CIDRs
            vpcs, pcx = self.client_state(who)
            self.assertEqual(list(vpcs), [st.outputs["VpcId"]])
            v = vpcs[st.outputs["VpcId"]]
            self.assertEqual(v["cidr"], vpc_cidr)
            self.assertEqual(v["subnets"], sorted(subnets))
            # both client route tables reach the hub through the peering
            to_hub = [r for rt in v["route_tables"] for r in rt["Routes"]
                      if r.get("DestinationCidrBlock") == bh.HUB_CIDR]
            self.assertEqual(len(to_hub), 2, v["route_tables"])
            self.assertTrue(all(r.get("VpcPeeringConnectionId") == ns["VpcPeeringConnectionId"]
                                for r in to_hub))
            self.assertEqual([p["Status"]["Code"] for p in pcx], ["active"])
            self.assertEqual(pcx[0]["AccepterVpcInfo"]["VpcId"], self.hub.vpc)
            self.assertEqual(pcx[0]["RequesterVpcInfo"]["VpcId"], st.outputs["VpcId"])
            self.assertEqual(st.outputs["PeeringAccepter"], self.MODE)
            # the hub routes the client's CIDR through it, in every configured table
            for rtb, routes in self.hub_client_routes().items():
                self.assertEqual(routes.get(vpc_cidr), (ns["VpcPeeringConnectionId"], "active"), rtb)
            if self.MODE == "peer-role":
                # the account is trusted once, in the pool
                self.assertEqual(trusted.get(acct), 1, trusted)
            elif not self.hub.roles:
                self.assertEqual(trusted, {})
        for rtb, routes in self.hub_client_routes().items():
            self.assertEqual(len(routes), 3, rtb)
        # the handler was asked exactly what the template says: Create of both resources
        creates = [(r["LogicalResourceId"], r["RequestType"]) for s in stacks.values() for r in s.requests]
        self.assertEqual(creates, [("Registration", "Create"), (self.confirmation, "Create")] * 3)

        for i, who in enumerate(CLIENTS, 1):
            st = self.sim.delete_stack(stacks[who])
            self.assertEqual(st.status, "DELETE_COMPLETE", self.diagnose(st))
            self.assertGone(broker, who, i)
        self.assertEqual(self.live(broker), {})
        self.assertEqual(self.trusted(), {})
        self.assertEqual(self.hub_client_routes(), {t: {} for t in self.hub.route_tables})

    def test_new_stack_after_quarantine_gets_the_lowest_free_n(self):
        broker = self.start_broker(["--quarantine", "0"])
        b = self.deploy(broker, "client-b", "client-b")
        c = self.deploy(broker, "client-c", "client-c")
        self.assertEqual((b.status, c.status), ("CREATE_COMPLETE",) * 2, self.diagnose(b))
        self.assertEqual([int(b.outputs["NamespaceId"]), int(c.outputs["NamespaceId"])], [1, 2])
        self.assertEqual(self.sim.delete_stack(b).status, "DELETE_COMPLETE", self.diagnose(b))
        self.assertGone(broker, "client-b", 1)
        d = self.deploy(broker, "client-d", "client-d")
        self.assertEqual(d.status, "CREATE_COMPLETE", self.diagnose(d))
        self.assertEqual(int(d.outputs["NamespaceId"]), 1)
        self.assertEqual(d.outputs["VpcCidrBlock"], bh.plan_of(1)[0])
        self.assertEqual(sorted(self.live(broker)), [1, 2])
        # and the same account again, in a new stack, gets the next lowest free n
        b2 = self.deploy(broker, "client-b", "client-b-again")
        self.assertEqual(b2.status, "CREATE_COMPLETE", self.diagnose(b2))
        self.assertEqual(int(b2.outputs["NamespaceId"]), 3)
        for st in (c, d, b2):
            self.assertEqual(self.sim.delete_stack(st).status, "DELETE_COMPLETE", self.diagnose(st))
        self.assertEqual(self.live(broker), {})


class Retries(StackCase):
    def test_lost_answer_retried_reuses_the_request(self):
        """The confirmation's answer is lost (every PUT of the first invocation fails): Lambda
        retries the invocation, which finds this VPC's request (already accepted) instead
        of making a second one."""
        broker = self.start_broker()
        self.sim.bucket.fail_puts(self.confirmation, 4)      # the handler's 4 PUT attempts
        st = self.deploy(broker, "client-b", "client-b")
        self.assertEqual(st.status, "CREATE_COMPLETE", self.diagnose(st))
        outcomes = [i.outcome for i in self.sim.invocations()
                    if i.event.get("LogicalResourceId") == self.confirmation]
        self.assertEqual(outcomes, ["error", "response"])
        _, pcx = self.client_state("client-b")
        self.assertEqual([p["VpcPeeringConnectionId"] for p in pcx],
                         [st.outputs["PeeringConnectionId"]])
        ec2 = self.env.client("ec2", "client-b")
        every = ec2.describe_vpc_peering_connections()["VpcPeeringConnections"]
        self.assertEqual(len(every), 1, every)                # never a second request
        self.assertEqual(self.sim.delete_stack(st).status, "DELETE_COMPLETE", self.diagnose(st))
        self.assertGone(broker, "client-b", 1)


    def test_delete_after_the_hub_ended_the_peering(self):
        """The hub side deleted the peering (an operator, or a release): the stack's Delete
        still completes, the handler counting a deleted peering as done."""
        broker = self.start_broker()
        st = self.deploy(broker, "client-b", "client-b")
        self.assertEqual(st.status, "CREATE_COMPLETE", self.diagnose(st))
        self.env.client("ec2", "hub").delete_vpc_peering_connection(
            VpcPeeringConnectionId=st.outputs["PeeringConnectionId"])
        self.assertEqual(self.sim.delete_stack(st).status, "DELETE_COMPLETE", self.diagnose(st))
        self.assertGone(broker, "client-b", 1)


class Rollback(StackCase):
    def assertRolledBack(self, st, broker, who):
        self.assertEqual(st.status, "ROLLBACK_COMPLETE", self.diagnose(st))
        failed = [e for e in st.events if e["ResourceStatus"] == "CREATE_FAILED"]
        self.assertEqual([e["LogicalResourceId"] for e in failed], [self.confirmation], st.events)
        # the custom resources got their Delete events, the failed one too
        dels = [r["LogicalResourceId"] for r in st.requests if r["RequestType"] == "Delete"]
        self.assertEqual(dels, [self.confirmation, "Registration"])
        self.assertEqual(st.resources, {})
        self.assertGone(broker, who, 1)
        self.assertEqual(self.hub_client_routes(), {t: {} for t in self.hub.route_tables})
        return failed[0]["ResourceStatusReason"]

    def test_hub_route_failure_rolls_back_and_leaves_nothing(self):
        broker = self.start_broker()
        self.env.post("/_awsenv/faults", {"rules": [
            {"service": "ec2", "action": "CreateRoute", "account": bh.HUB_ACCOUNT,
             "fault": "error", "count": 1000}]})
        st = self.deploy(broker, "client-b", "client-b")
        self.env.request("DELETE", "/_awsenv/faults")
        reason = self.assertRolledBack(st, broker, "client-b")
        self.assertIn("FAILED", reason)
        if self.MODE == "broker":
            # accepted by the broker, then its routing failed: the handler deleted it
            self.assertRegex(reason, r"peering pcx-[0-9a-f]+ deleted")
        # nothing is left over: a new stack succeeds and gets n = 1 only after the quarantine
        # (default 600 s): here it gets the next n
        st2 = self.deploy(broker, "client-b", "client-b-2")
        self.assertEqual(st2.status, "CREATE_COMPLETE", self.diagnose(st2))
        self.sim.delete_stack(st2)

    def test_mismatching_vpc_rolls_back(self):
        broker = self.start_broker()
        doc = cfnsim.load_template(CLIENT_TEMPLATE)
        # a second VPC of the client's, and the confirmation names it instead of the peered one
        doc["Resources"]["OtherVpc"] = {"Type": "AWS::EC2::VPC",
                                        "Properties": {"CidrBlock": "172.16.0.0/22"}}
        doc["Resources"][self.confirmation]["Properties"]["VpcId"] = {"Ref": "OtherVpc"}
        if self.MODE == "broker":
            # the handler requests from that VPC: the doctored template grants its role that
            # VPC's requests too, else awsenv refuses the request as AWS would (issue 22)
            other = {"Fn::Sub": "arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:"
                                "vpc/${OtherVpc}"}
            doc["Resources"]["PeeringPolicy"]["Properties"]["PolicyDocument"]["Statement"] += [
                {"Effect": "Allow", "Action": "ec2:CreateVpcPeeringConnection", "Resource": other},
                {"Effect": "Allow", "Action": "ec2:DeleteVpcPeeringConnection",
                 "Resource": {"Fn::Sub": "arn:${AWS::Partition}:ec2:${AWS::Region}:"
                                         "${AWS::AccountId}:vpc-peering-connection/*"},
                 "Condition": {"ArnEquals": {"ec2:RequesterVpc": other}}}]
        st = self.deploy(broker, "client-c", "client-c", template=doc)
        reason = self.assertRolledBack(st, broker, "client-c")
        self.assertRegex(reason.lower(), "vpc")
        if self.MODE == "broker":
            # the request the handler made (from the other VPC) was deleted again
            self.assertRegex(reason, r"peering pcx-[0-9a-f]+ deleted")

    def test_stack_for_the_other_mode_fails_naming_both(self):
        broker = self.start_broker()
        other = "peer-role" if self.MODE == "broker" else "broker"
        st = self.deploy(broker, "client-b", "client-b", mode=other)
        self.assertEqual(st.status, "ROLLBACK_COMPLETE", self.diagnose(st))
        failed = [e for e in st.events if e["ResourceStatus"] == "CREATE_FAILED"]
        self.assertEqual([e["LogicalResourceId"] for e in failed], ["Registration"])
        reason = failed[0]["ResourceStatusReason"]
        self.assertIn(f"PeeringAccepter {other}", reason)
        self.assertIn(f"--peering-accepter {self.MODE}", reason)
        self.assertIn("released", reason)
        self.assertGone(broker, "client-b", 1)


class PeerRoleClientStacks(ClientStacks):
    """Peer-role mode (the original design): the stack accepts through the hub's peer role."""
    MODE = "peer-role"


class PeerRoleRollback(Rollback):
    MODE = "peer-role"


if __name__ == "__main__":
    unittest.main()
