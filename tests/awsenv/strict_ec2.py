"""awsenv: EC2 and IAM as strict as AWS documents them (issue 22), where moto is kinder.

Each rule cites its page and has a switch in the run-time config (POST /_awsenv/config;
`--lenient-ec2` turns every one off at start-up for a test that needs moto's behaviour):

[PCX-INFO]  docs.aws.amazon.com/AWSEC2/latest/APIReference/API_VpcPeeringConnectionVpcInfo.html:
            CidrBlock, CidrBlockSet, Ipv6CidrBlockSet: "CIDR block information is only
            returned when describing an active VPC peering connection."
            -> strict_pcx_hide_cidr (on)
[PCX-LIFE]  docs.aws.amazon.com/vpc/latest/peering/vpc-peering-basics.html (lifecycle):
            Provisioning: "The VPC peering connection request has been accepted, and will
            soon be in the Active state."
            -> strict_pcx_provisioning_describes (1: the first describe after an accept
            shows provisioning), strict_pcx_provisioning_seconds (0)
[EC2-EC]    docs.aws.amazon.com/ec2/latest/devguide/eventual-consistency.html: "the result of
            an API command you run that creates or modifies resources might not be
            immediately available to all subsequent commands"; a resource just created
            can answer InvalidXxxID.NotFound.
            -> strict_new_id_hidden_describes (0: off) and strict_new_id_hidden_seconds (0):
            a new peering is unknown (InvalidVpcPeeringConnectionID.NotFound by id, left
            out of a listing) to its first N DescribeVpcPeeringConnections and for S
            seconds; a new route is missing from DescribeRouteTables the same way.
[IAM-QUOTA] docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html: "Role trust
            policy length" 2,048 characters by default (ACLSizePerRole, adjustable to 4,096):
            LimitExceeded. awsenv.py's check_quota (trust_policy_quota) models it.
[IAM-PRIN]  docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
            ("If the principal in a role trust policy ... is deleted ... " the document
            holds an id instead, and a document naming a principal that is not valid is
            refused) and docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateAssumeRolePolicy.html
            (MalformedPolicyDocument, 400). The message is IAM's: Invalid principal in policy.
            -> strict_invalid_principal_accounts ([]): accounts whose principals IAM refuses
[GW-RTB]    docs.aws.amazon.com/vpc/latest/userguide/gateway-route-tables.html: a route table
            associated with an internet or virtual private gateway supports only the local
            route, a Gateway Load Balancer endpoint and a network interface as targets, and no
            destination outside the VPC. AWS answers InvalidParameterValue "Route target is not
            supported. This route only supports interface and instance targets."
            -> strict_gateway_route_tables (on)

All of it runs under Moto.lock (one request at a time), so module state needs no lock.
"""

import json
import re
import time

DEFAULTS = {
    "strict_pcx_hide_cidr": True,
    "strict_pcx_provisioning_describes": 1,
    "strict_pcx_provisioning_seconds": 0.0,
    "strict_new_id_hidden_describes": 0,
    "strict_new_id_hidden_seconds": 0.0,
    "strict_invalid_principal_accounts": [],
    "strict_gateway_route_tables": True,
}
# --lenient-ec2: every rule off (moto's behaviour)
LENIENT = {
    "strict_pcx_hide_cidr": False,
    "strict_pcx_provisioning_describes": 0,
    "strict_pcx_provisioning_seconds": 0.0,
    "strict_new_id_hidden_describes": 0,
    "strict_new_id_hidden_seconds": 0.0,
    "strict_invalid_principal_accounts": [],
    "strict_gateway_route_tables": False,
}
CIDR_KEYS = ("CidrBlock", "CidrBlockSet", "Ipv6CidrBlockSet")
GATEWAY_PREFIXES = ("igw-", "vgw-")
ACCOUNT_RE = re.compile(r"^(?:(\d{12})|arn:aws[a-z-]*:iam::(\d{12}):.*)$")


class StrictError(Exception):
    def __init__(self, status, code, message):
        super().__init__(f"{code}: {message}")
        self.status, self.code, self.message = status, code, message


class Hidden:
    """Something just created that Describe does not show yet [EC2-EC]."""
    __slots__ = ("describes", "until")

    def __init__(self, describes, seconds):
        self.describes = int(describes)
        self.until = time.monotonic() + float(seconds)

    def hidden(self):
        return self.describes > 0 or time.monotonic() < self.until

    def tick(self):
        self.describes -= 1


class StrictEc2:
    def __init__(self, moto_ec2, config):
        self.ec2 = moto_ec2      # (account, region) -> moto EC2 backend
        self.config = config     # () -> AwsEnv.config
        self.provisioning = {}   # pcx id -> [peering, describes left, active after (monotonic)]
        self.new_pcx = {}        # pcx id -> Hidden
        self.new_routes = {}     # (account, region, rtb, destination) -> Hidden
        self.stash = []          # (dict, key, value) taken out for one describe
        _patch(self)

    def reset(self):
        self.provisioning.clear()
        self.new_pcx.clear()
        self.new_routes.clear()
        self.stash.clear()

    def on(self, key):
        return self.config().get(key, DEFAULTS[key])

    # ---------------- before moto ----------------
    def before(self, svc, action, params, account, region):
        """Raises StrictError; may take things out of moto's model for one describe."""
        self.after()  # a call that failed between before() and moto left its stash
        if svc == "iam" and action in ("UpdateAssumeRolePolicy", "CreateRole"):
            key = "PolicyDocument" if action == "UpdateAssumeRolePolicy" \
                else "AssumeRolePolicyDocument"
            self.check_principals(params.get(key))
            return
        if svc != "ec2":
            return
        if action == "DescribeVpcPeeringConnections":
            self.tick_provisioning()
            self.hide_new_peerings(params, account, region)
        elif action == "DescribeRouteTables":
            self.hide_new_routes(account, region)
        elif action in ("CreateRoute", "ReplaceRoute"):
            self.check_gateway_table(params, account, region)
        pcx = params.get("VpcPeeringConnectionId")
        if action != "DescribeVpcPeeringConnections" and pcx and self.is_new(pcx):
            raise not_found(pcx)

    def after(self):
        """Puts back what before() took out (always called once moto has answered)."""
        for d, k, v in reversed(self.stash):
            d[k] = v
        self.stash.clear()

    # [IAM-PRIN]
    def check_principals(self, doc_text):
        bad = set(self.on("strict_invalid_principal_accounts") or [])
        if not bad or not doc_text:
            return
        try:
            doc = json.loads(doc_text)
        except ValueError:
            return  # moto answers MalformedPolicyDocument itself
        statements = doc.get("Statement", []) if isinstance(doc, dict) else []
        if isinstance(statements, dict):
            statements = [statements]
        for st in statements:
            principal = st.get("Principal") if isinstance(st, dict) else None
            aws = principal.get("AWS") if isinstance(principal, dict) else None
            for p in aws if isinstance(aws, list) else [aws]:
                m = ACCOUNT_RE.match(p) if isinstance(p, str) else None
                if m and (m.group(1) or m.group(2)) in bad:
                    raise StrictError(400, "MalformedPolicyDocument",
                                      f'Invalid principal in policy: "AWS":"{p}"')

    # [PCX-LIFE]
    def accepted(self, p):
        describes = int(self.on("strict_pcx_provisioning_describes"))
        seconds = float(self.on("strict_pcx_provisioning_seconds"))
        if p._status.code != "active" or (describes <= 0 and seconds <= 0):
            return
        p._status.code, p._status.message = "provisioning", "Provisioning"
        self.provisioning[p.id] = [p, describes, time.monotonic() + seconds]

    def tick_provisioning(self):
        now = time.monotonic()
        for pid, entry in list(self.provisioning.items()):
            p, left, after = entry
            if p._status.code != "provisioning":
                del self.provisioning[pid]
            elif left <= 0 and now >= after:
                p._status.code, p._status.message = "active", "Active"
                del self.provisioning[pid]
            else:
                entry[1] = left - 1

    # [EC2-EC]
    def created_peering(self, p):
        h = Hidden(self.on("strict_new_id_hidden_describes"),
                   self.on("strict_new_id_hidden_seconds"))
        if h.hidden():
            self.new_pcx[p.id] = h

    def created_route(self, account, region, params):
        h = Hidden(self.on("strict_new_id_hidden_describes"),
                   self.on("strict_new_id_hidden_seconds"))
        if h.hidden():
            self.new_routes[(account, region, params.get("RouteTableId"),
                             params.get("DestinationCidrBlock"))] = h

    def is_new(self, pcx):
        h = self.new_pcx.get(pcx)
        return h is not None and h.hidden()

    def hide_new_peerings(self, params, account, region):
        hidden = [i for i, h in self.new_pcx.items() if h.hidden()]
        for i in list(self.new_pcx):
            self.new_pcx[i].tick()
            if not self.new_pcx[i].hidden():
                del self.new_pcx[i]
        asked = [v for k, v in params.items() if k.startswith("VpcPeeringConnectionId.")]
        for i in asked:
            if i in hidden:
                raise not_found(i)
        pcxs = self.ec2(account, region).vpc_pcxs
        for i in hidden:
            if i in pcxs:
                self.stash.append((pcxs, i, pcxs.pop(i)))

    def hide_new_routes(self, account, region):
        be = self.ec2(account, region)
        for key, h in list(self.new_routes.items()):
            if h.hidden() and key[0] == account and key[1] == region:
                rt = be.route_tables.get(key[2])
                for rid, r in list(rt._routes.items()) if rt is not None else []:
                    if r.destination_cidr_block == key[3]:
                        self.stash.append((rt._routes, rid, rt._routes.pop(rid)))
            h.tick()
            if not h.hidden():
                del self.new_routes[key]

    # [GW-RTB]
    def check_gateway_table(self, params, account, region):
        if not self.on("strict_gateway_route_tables"):
            return
        if not (params.get("VpcPeeringConnectionId") or params.get("TransitGatewayId")):
            return
        rt = self.ec2(account, region).route_tables.get(params.get("RouteTableId"))
        if rt is None:
            return
        if any(str(t).startswith(GATEWAY_PREFIXES) for t in rt._associations.values()):
            raise StrictError(400, "InvalidParameterValue",
                              "Route target is not supported. This route only supports "
                              "interface and instance targets.")


def not_found(pcx):
    return StrictError(400, "InvalidVpcPeeringConnectionID.NotFound",
                       f"The vpcPeeringConnection ID '{pcx}' does not exist")


def _patch(strict):
    from moto.ec2.models.route_tables import RouteBackend, RouteTable
    from moto.ec2.models.vpc_peering_connections import (
        VPCPeeringConnection, VPCPeeringConnectionBackend)

    # [PCX-INFO]: no CIDR blocks unless active (wraps peering.py's CidrBlockSet)
    for name in ("requester_vpc_info", "accepter_vpc_info"):
        def info(self, _get=getattr(VPCPeeringConnection, name).fget):
            d = dict(_get(self))
            if strict.on("strict_pcx_hide_cidr") and self._status.code != "active":
                for k in CIDR_KEYS:
                    d.pop(k, None)
            return d
        setattr(VPCPeeringConnection, name, property(info))

    accept = VPCPeeringConnectionBackend.accept_vpc_peering_connection

    def accept_vpc_peering_connection(self, vpc_pcx_id):
        p = accept(self, vpc_pcx_id)
        strict.accepted(p)
        return p
    VPCPeeringConnectionBackend.accept_vpc_peering_connection = accept_vpc_peering_connection

    create = VPCPeeringConnectionBackend.create_vpc_peering_connection

    def create_vpc_peering_connection(self, vpc, peer_vpc, tags=None):
        p = create(self, vpc, peer_vpc, tags)
        strict.created_peering(p)
        return p
    VPCPeeringConnectionBackend.create_vpc_peering_connection = create_vpc_peering_connection

    create_route = RouteBackend.create_route

    def create_route_hidden(self, route_table_id, destination_cidr_block, *a, **kw):
        r = create_route(self, route_table_id, destination_cidr_block, *a, **kw)
        if kw.get("local", a[2] if len(a) > 2 else False):
            return r  # the VPC's own route, made with its table
        strict.created_route(self.account_id, self.region_name,
                             {"RouteTableId": route_table_id,
                              "DestinationCidrBlock": destination_cidr_block})
        return r
    RouteBackend.create_route = create_route_hidden

    # [GW-RTB]: moto shows an edge association's GatewayId for an internet gateway only
    assoc = RouteTable.associations.fget

    def associations(self):
        out = assoc(self)
        for item in out:
            target = self._associations.get(item["RouteTableAssociationId"])
            if isinstance(target, str) and target.startswith("vgw-"):
                item["GatewayId"] = target
        return out
    RouteTable.associations = property(associations)
