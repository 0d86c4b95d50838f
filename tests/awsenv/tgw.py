"""awsenv: EC2 transit gateways (issue 16), modelled in awsenv's own code.

moto 5.2 keeps each account's transit gateways apart (a second account cannot attach to a
transit gateway shared with it), has no AcceptTransitGatewayVpcAttachment, fills no route table
from association and propagation, crashes on SearchTransitGatewayRoutes' MaxResults and answers
500 to deleting an unknown attachment. So awsenv answers every transit-gateway action itself
(ACTIONS below), parsing the Query request and writing the answer with moto's model-driven
EC2 parser and serializer (botocore's service model: the shapes AWS answers). VPCs, subnets and
VPC route tables stay moto's; CreateRoute/ReplaceRoute with TransitGatewayId is checked here and
moto's route is given a reference to the transit gateway. Every rule cites its page:

[TGW-AZ]     docs.aws.amazon.com/vpc/latest/tgw/tgw-vpc-attachments.html: "You can select one
             subnet per Availability Zone"; a second subnet of a zone: DuplicateSubnetsInSameZone.
[TGW-SHARE]  docs.aws.amazon.com/vpc/latest/tgw/tgw-transit-gateways.html ("Sharing a transit
             gateway"), and RAM User Guide "Shareable AWS resources" (ec2:TransitGateway): an
             account sees and attaches to another account's transit gateway only once it is a
             principal of a resource share holding it (ram.py: shared_with).
[TGW-ACCEPT] docs.aws.amazon.com/vpc/latest/tgw/tgw-transit-gateways.html ("Auto accept shared
             attachments": "Automatically accept cross-account attachments") and
             API_AcceptTransitGatewayVpcAttachment / API_RejectTransitGatewayVpcAttachment ("The
             VPC attachment must be in the pendingAcceptance state"): a cross-account attachment
             to a transit gateway without auto-accept waits in pendingAcceptance for the transit
             gateway's owner. AWS's pending -> available takes minutes; here it is immediate.
[TGW-RT]     docs.aws.amazon.com/vpc/latest/tgw/tgw-route-tables.html and
             API_AssociateTransitGatewayRouteTable ("You can associate only one route table with
             an attachment"; a second: Resource.AlreadyAssociated "Transit Gateway Attachment X is
             already associated to a route table." as AWS answers, terraform-provider-aws#16452);
             a route table holds its static routes and the CIDRs of the attachments propagating
             to it; API_TransitGatewayRoute (Type static|propagated, State active|blackhole).
[TGW-SEARCH] API_SearchTransitGatewayRoutes: Filter.N required, MaxResults default 1000 (5 to
             1000), AdditionalRoutesAvailable, no NextToken (no paging: repost.aws question
             QUTI0R0q6KQI2YvveMZqzodg).
[TGW-QUOTA]  docs.aws.amazon.com/vpc/latest/tgw/transit-gateway-quotas.html: "Attachments per
             transit gateway" 5,000 (not adjustable); "Total combined routes (dynamic and static)
             across all route tables for a single transit gateway" 10,000 (adjustable); "A transit
             gateway cannot have more than one VPC attachment to the same VPC"
             (DuplicateTransitGatewayAttachment, as AWS answers: awsdocs/aws-transit-gateway-guide#13).
[TGW-VPCRT]  docs.aws.amazon.com/vpc/latest/tgw/tgw-vpc-attachments.html and
             docs.aws.amazon.com/vpc/latest/userguide/route-table-options.html ("Route to a transit
             gateway"): a VPC route table routes to a transit gateway the VPC is attached to.
[EC2ERR]     docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html (IncorrectState,
             InvalidParameterValue, MissingParameter, DryRunOperation).

Error codes marked "(code ours)" are not documented by AWS. Runs under Moto.lock, so no lock.
"""

import inspect

from tgw_routes import LIVE, RouteTables, TgwError, _hex, _nf_att, _nf_rtb, _now, _tags

# The EC2 actions awsenv answers itself (ec2 Query API names).
ACTIONS = frozenset("""
CreateTransitGateway DescribeTransitGateways DeleteTransitGateway ModifyTransitGateway
CreateTransitGatewayVpcAttachment DescribeTransitGatewayVpcAttachments
DescribeTransitGatewayAttachments ModifyTransitGatewayVpcAttachment
AcceptTransitGatewayVpcAttachment RejectTransitGatewayVpcAttachment
DeleteTransitGatewayVpcAttachment
CreateTransitGatewayRouteTable DescribeTransitGatewayRouteTables DeleteTransitGatewayRouteTable
AssociateTransitGatewayRouteTable DisassociateTransitGatewayRouteTable
EnableTransitGatewayRouteTablePropagation DisableTransitGatewayRouteTablePropagation
GetTransitGatewayRouteTableAssociations GetTransitGatewayRouteTablePropagations
CreateTransitGatewayRoute DeleteTransitGatewayRoute ReplaceTransitGatewayRoute
SearchTransitGatewayRoutes
""".split())

# DescribeTransitGateways' options.* filters (API_DescribeTransitGateways) -> Options keys
GW_OPTION_FILTERS = {
    "amazon-side-asn": "AmazonSideAsn",
    "association-default-route-table-id": "AssociationDefaultRouteTableId",
    "auto-accept-shared-attachments": "AutoAcceptSharedAttachments",
    "default-route-table-association": "DefaultRouteTableAssociation",
    "default-route-table-propagation": "DefaultRouteTablePropagation",
    "dns-support": "DnsSupport",
    "propagation-default-route-table-id": "PropagationDefaultRouteTableId",
    "vpn-ecmp-support": "VpnEcmpSupport",
}
TAG_PREFIXES = ("tgw-",)  # tgw-, tgw-attach-, tgw-rtb-: CreateTags/DeleteTags answered here


def _listed(params, prefix):
    """The values of PREFIX.N, N = 1.. (Query-API lists)."""
    out, i = [], 1
    while f"{prefix}.{i}" in params:
        out.append(params[f"{prefix}.{i}"])
        i += 1
    return out


def _nf_tgw(i):
    return TgwError("InvalidTransitGatewayID.NotFound",
                    f"Transit Gateway {i} was deleted or does not exist.")


class Gw:
    def __init__(self, owner, region, options, description, tags):
        self.id = "tgw-" + _hex()
        self.owner, self.region = owner, region
        self.arn = f"arn:aws:ec2:{region}:{owner}:transit-gateway/{self.id}"
        self.options, self.description, self.tags = options, description, tags
        self.state, self.created = "available", _now()
        self.live = set()      # attachment ids counted by the quota (LIVE states)
        self.all = set()       # every attachment id, deleted ones too (its owner's listings)
        self.propagated = 0    # propagated routes across its tables
        self.tables = {}       # rtb id -> Table
        self.static = 0        # static routes across its tables

    def view(self):
        return {"TransitGatewayId": self.id, "TransitGatewayArn": self.arn, "State": self.state,
                "OwnerId": self.owner, "Description": self.description,
                "CreationTime": self.created, "Options": dict(self.options), "Tags": self.tags}


class Att:
    def __init__(self, gw, vpc, subnets, cidrs, options, account, tags):
        self.id = "tgw-attach-" + _hex()
        self.gw, self.vpc_id, self.vpc_owner = gw, vpc, account
        self.subnets, self.cidrs, self.options = subnets, cidrs, options
        self.tags = {account: tags}   # tags are the tagging account's own
        self.state, self.created = "pending", _now()
        self.assoc = None             # rtb id
        self.props = set()            # rtb ids it propagates to

    def vpc_view(self, account):
        return {"TransitGatewayAttachmentId": self.id, "TransitGatewayId": self.gw.id,
                "VpcId": self.vpc_id, "VpcOwnerId": self.vpc_owner, "State": self.state,
                "SubnetIds": list(self.subnets), "CreationTime": self.created,
                "Options": dict(self.options), "Tags": self.tags.get(account, [])}

    def view(self, account):
        d = {"TransitGatewayAttachmentId": self.id, "TransitGatewayId": self.gw.id,
             "TransitGatewayOwnerId": self.gw.owner, "ResourceOwnerId": self.vpc_owner,
             "ResourceType": "vpc", "ResourceId": self.vpc_id, "State": self.state,
             "CreationTime": self.created, "Tags": self.tags.get(account, [])}
        if self.assoc:
            d["Association"] = {"TransitGatewayRouteTableId": self.assoc, "State": "associated"}
        return d

    def ref(self):
        return {"TransitGatewayAttachmentId": self.id, "ResourceId": self.vpc_id,
                "ResourceType": "vpc"}


class TgwRef:
    """What moto's VPC route holds as its transit gateway (moto looks in its own, empty, map)."""

    def __init__(self, tgw_id):
        self.id = tgw_id


class Tgw(RouteTables):
    def __init__(self, ec2, ram=None, config=None):
        self.ec2 = ec2                           # (account, region) -> moto's EC2 backend
        self.ram = ram                           # ram.Ram (shared_with), or None: owner only
        self.config = config or (lambda: {})     # () -> awsenv config
        self._ops = {}
        self.reset()
        _patch(self)

    def reset(self):
        self.gws, self.atts, self.tables = {}, {}, {}
        self.by_vpc = {}      # vpc id -> set of attachment ids
        self.by_owner = {}    # vpc owner account -> set of attachment ids
        self.held = set()     # attachment ids that stay `pending` once accepted (control API)
        self.hold_all = False

    # ---------------- dispatch ----------------
    def before(self, action, params, account, region):
        if action in ("CreateTransitGatewayVpcAttachment", "ModifyTransitGatewayVpcAttachment"):
            self.one_subnet_per_zone(params, account, region)
        elif action in ("CreateRoute", "ReplaceRoute") and params.get("TransitGatewayId"):
            self.check_vpc_route(params, account, region)

    def handle(self, action, params, account, region, rid):
        """Answers a transit-gateway action: (status, body bytes), or None for moto's actions."""
        if action in ("CreateTags", "DeleteTags"):
            return self.tagging(action, params, account, region, rid)
        if action not in ACTIONS:
            return None
        op, parser, ser = self.op(action)
        req = parser(op, map_type=dict).parse({"method": "POST", "values": params, "headers": {},
                                                "body": b"", "url_path": "/", "url_params": {}})
        if req.get("DryRun"):
            raise TgwError("DryRunOperation",
                           "Request would have succeeded, but DryRun flag is set.", 412)
        out = getattr(self, "op_" + action)(req, account, region)
        return 200, self.answer(action, out, rid)

    def op(self, action):
        got = self._ops.get(action)
        if got is None:
            from moto.core.parse import EC2QueryParser
            from moto.core.serialize import get_serializer_class
            from moto.core.utils import get_service_model
            model = get_service_model("ec2")
            got = (model.operation_model(action), EC2QueryParser,
                   get_serializer_class("ec2", model.protocol))
            self._ops[action] = got
        return got

    def answer(self, action, out, rid):
        from moto.core.serialize import SerializationContext, XFormedAttributePicker
        op, _, ser = self.op(action)
        body = ser(op, SerializationContext(rid), value_picker=XFormedAttributePicker()) \
            .serialize(out)["body"]
        return body.encode() if isinstance(body, str) else body

    # ---------------- lookups ----------------
    def visible_gw(self, tgw_id, account, region):
        """[TGW-SHARE] the owner's, or shared with the caller through RAM."""
        g = self.gws.get(tgw_id or "")
        if g is None or g.region != region:
            raise _nf_tgw(tgw_id)
        if g.owner != account and not (self.ram and self.ram.shared_with(account, g.arn)):
            raise _nf_tgw(tgw_id)
        return g

    def own_gw(self, tgw_id, account, region):
        g = self.gws.get(tgw_id or "")
        if g is None or g.region != region or g.owner != account or g.state == "deleted":
            raise _nf_tgw(tgw_id)
        return g

    def att(self, att_id, account, region):
        """Visible to the transit gateway's owner and the VPC's owner, nobody else."""
        a = self.atts.get(att_id or "")
        if a is None or a.gw.region != region or account not in (a.gw.owner, a.vpc_owner):
            raise _nf_att(att_id)
        return a

    def table(self, rtb_id, account, region):
        t = self.tables.get(rtb_id or "")
        if t is None or t.gw.region != region or t.gw.owner != account or t.state == "deleted":
            raise _nf_rtb(rtb_id)
        return t

    # ---------------- transit gateways ----------------
    def op_CreateTransitGateway(self, req, account, region):
        o = req.get("Options") or {}
        options = {"AmazonSideAsn": int(o.get("AmazonSideAsn", 64512)),
                   "AutoAcceptSharedAttachments": o.get("AutoAcceptSharedAttachments", "disable"),
                   "DefaultRouteTableAssociation": o.get("DefaultRouteTableAssociation", "enable"),
                   "DefaultRouteTablePropagation": o.get("DefaultRouteTablePropagation", "enable"),
                   "VpnEcmpSupport": o.get("VpnEcmpSupport", "enable"),
                   "DnsSupport": o.get("DnsSupport", "enable"),
                   "MulticastSupport": o.get("MulticastSupport", "disable")}
        g = Gw(account, region, options, req.get("Description", ""),
               _tags(req.get("TagSpecifications"), "transit-gateway"))
        self.gws[g.id] = g
        if "enable" in (options["DefaultRouteTableAssociation"],
                        options["DefaultRouteTablePropagation"]):
            # API_TransitGatewayRequestOptions: with default association or propagation on,
            # the transit gateway gets a default route table.
            t = self.new_table(g, [])
            if options["DefaultRouteTableAssociation"] == "enable":
                options["AssociationDefaultRouteTableId"] = t.id
            if options["DefaultRouteTablePropagation"] == "enable":
                options["PropagationDefaultRouteTableId"] = t.id
        return {"TransitGateway": g.view()}

    def op_ModifyTransitGateway(self, req, account, region):
        g = self.own_gw(req.get("TransitGatewayId"), account, region)
        o = req.get("Options") or {}
        for k in ("AutoAcceptSharedAttachments", "DefaultRouteTableAssociation",
                  "DefaultRouteTablePropagation", "VpnEcmpSupport", "DnsSupport"):
            if k in o:
                g.options[k] = o[k]
        for k in ("AssociationDefaultRouteTableId", "PropagationDefaultRouteTableId"):
            if k in o:
                self.table(o[k], account, region)
                g.options[k] = o[k]
        if "Description" in req:
            g.description = req["Description"]
        return {"TransitGateway": g.view()}

    def op_DescribeTransitGateways(self, req, account, region):
        ids = req.get("TransitGatewayIds") or []
        if ids:
            gws = [self.visible_gw(i, account, region) for i in ids]
        else:
            gws = [g for g in self.gws.values() if g.region == region and (
                g.owner == account or (self.ram and self.ram.shared_with(account, g.arn)))]
        gws = self.filtered(gws, req, {
            "transit-gateway-id": lambda g: [g.id], "state": lambda g: [g.state],
            "owner-id": lambda g: [g.owner], **{
                f"options.{name}": (lambda key: lambda g: [str(g.options.get(key, ""))])(key)
                for name, key in GW_OPTION_FILTERS.items()}},
            lambda g: g.tags)
        return self.page([g.view() for g in gws], req, "TransitGateways")

    def op_DeleteTransitGateway(self, req, account, region):
        g = self.own_gw(req.get("TransitGatewayId"), account, region)
        if g.live:
            raise TgwError("IncorrectState", f"{g.id} has non-deleted Transit Gateway "
                           "Attachments: delete them first.")
        g.state = "deleted"
        for t in g.tables.values():
            t.state = "deleted"
        return {"TransitGateway": g.view()}

    # ---------------- VPC attachments ----------------
    def op_CreateTransitGatewayVpcAttachment(self, req, account, region):
        g = self.visible_gw(req.get("TransitGatewayId"), account, region)
        if g.state != "available":
            raise TgwError("IncorrectState", f"Transit Gateway {g.id} is in state {g.state}.")
        be = self.ec2(account, region)
        vpc_id = req.get("VpcId", "")
        vpc = be.vpcs.get(vpc_id)
        if vpc is None:  # only the VPC's owner attaches it
            raise TgwError("InvalidVpcID.NotFound", f"The vpc ID '{vpc_id}' does not exist")
        subnets = req.get("SubnetIds") or []
        if not subnets:
            raise TgwError("MissingParameter", "The request must contain the parameter SubnetIds")
        for sid in subnets:
            s = _subnet(be, sid)
            if s is None:
                raise TgwError("InvalidSubnetID.NotFound", f"The subnet ID '{sid}' does not exist")
            if s.vpc_id != vpc_id:  # [TGW-AZ] subnets of the attached VPC (code ours)
                raise TgwError("InvalidParameterValue",
                               f"Subnet {sid} is in {s.vpc_id}, not in {vpc_id}: give subnets "
                               "of the VPC being attached.")
        for other in self.by_vpc.get(vpc_id, ()):  # [TGW-QUOTA] one attachment per VPC
            if self.atts[other].gw is g and self.atts[other].state in LIVE:
                raise TgwError("DuplicateTransitGatewayAttachment",
                               f"{g.id} has non-deleted Transit Gateway Attachments with same "
                               "VPC ID.")
        limit = int(self.config().get("tgw_max_attachments_per_tgw", 5000))
        if len(g.live) >= limit:  # [TGW-QUOTA] (code ours)
            raise TgwError("TransitGatewayAttachmentLimitExceeded",
                           f"Transit Gateway {g.id} already has {limit} attachments, the "
                           "quota 'Attachments per transit gateway' (not adjustable): delete "
                           "unused attachments or use another transit gateway.")
        o = req.get("Options") or {}
        options = {"DnsSupport": o.get("DnsSupport", "enable"),
                   "Ipv6Support": o.get("Ipv6Support", "disable"),
                   "ApplianceModeSupport": o.get("ApplianceModeSupport", "disable")}
        cidrs = [c["cidr_block"] for c in vpc.get_cidr_block_association_set(ipv6=False)
                 if c.get("cidr_block_state", {}).get("state") == "associated"]
        a = Att(g, vpc_id, list(subnets), cidrs, options, account,
                _tags(req.get("TagSpecifications"), "transit-gateway-attachment"))
        self.atts[a.id] = a
        self.by_vpc.setdefault(vpc_id, set()).add(a.id)
        self.by_owner.setdefault(account, set()).add(a.id)
        g.live.add(a.id)
        g.all.add(a.id)
        # [TGW-ACCEPT] the owner's own VPC, or auto-accept on: pending -> available (at once
        # here); another account's VPC without auto-accept: pendingAcceptance.
        if account == g.owner or g.options["AutoAcceptSharedAttachments"] == "enable":
            self.settle(a)
        else:
            a.state = "pendingAcceptance"
        return {"TransitGatewayVpcAttachment": a.vpc_view(account)}

    def settle(self, a):
        """Accepted (or needing no acceptance): AWS's `pending`, then `available` minutes
        later (tgw-vpc-attachments.html, "attachment states"). Immediate here, unless the
        control API holds the attachment in `pending` (POST /_awsenv/tgw/hold)."""
        if self.hold_all or a.id in self.held:
            a.state = "pending"
        else:
            self.make_available(a)

    def control(self, method, path, doc):
        """POST /_awsenv/tgw/hold {"ids": [...]} or {"all": true}: those attachments (or every
        one from now on) stay `pending` once accepted; POST /_awsenv/tgw/activate {"ids": [...]}
        or {"all": true}: held `pending` attachments become available now (and are no longer
        held); answers the ids made available."""
        if method != "POST" or path not in ("/_awsenv/tgw/hold", "/_awsenv/tgw/activate"):
            return 404, {"error": f"no control endpoint {method} {path}"}
        ids = doc.get("ids") or []
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            return 400, {"error": "ids is a list of attachment ids (tgw-attach-...)"}
        unknown = [i for i in ids if i not in self.atts]
        if unknown:
            return 400, {"error": f"unknown attachment ids {unknown}"}
        if path.endswith("/hold"):
            self.held |= set(ids)
            self.hold_all = self.hold_all or bool(doc.get("all"))
            return 200, {"held": sorted(self.held), "all": self.hold_all}
        if doc.get("all"):
            self.hold_all = False
            ids = [i for i, a in self.atts.items() if a.state == "pending"]
        done = []
        for i in ids:
            self.held.discard(i)
            a = self.atts[i]
            if a.state == "pending":
                try:
                    self.make_available(a)
                except TgwError as e:
                    return 400, {"error": e.message, "activated": done}
                done.append(i)
        return 200, {"activated": done}

    def make_available(self, a):
        """available, and the transit gateway's default association and propagation
        (API_TransitGatewayOptions: DefaultRouteTableAssociation/Propagation)."""
        o = a.gw.options
        prop = None
        if o.get("DefaultRouteTablePropagation") == "enable" and \
                o.get("PropagationDefaultRouteTableId") in a.gw.tables:
            prop = a.gw.tables[o["PropagationDefaultRouteTableId"]]
            self.check_route_quota(a.gw, len(a.cidrs))
        a.state = "available"
        if o.get("DefaultRouteTableAssociation") == "enable" and \
                o.get("AssociationDefaultRouteTableId") in a.gw.tables:
            t = a.gw.tables[o["AssociationDefaultRouteTableId"]]
            t.assoc.add(a.id)
            a.assoc = t.id
        if prop is not None:
            self.propagate(prop, a)

    def op_DescribeTransitGatewayVpcAttachments(self, req, account, region):
        atts = self.filtered(self.candidates(req, account, region), req, {
            "transit-gateway-attachment-id": lambda a: [a.id],
            "transit-gateway-id": lambda a: [a.gw.id], "vpc-id": lambda a: [a.vpc_id],
            "state": lambda a: [a.state]}, lambda a: a.tags.get(account, []))
        return self.page([a.vpc_view(account) for a in atts], req, "TransitGatewayVpcAttachments")

    def op_DescribeTransitGatewayAttachments(self, req, account, region):
        atts = self.filtered(self.candidates(req, account, region), req, {
            "transit-gateway-attachment-id": lambda a: [a.id],
            "transit-gateway-id": lambda a: [a.gw.id], "resource-id": lambda a: [a.vpc_id],
            "resource-type": lambda a: ["vpc"], "resource-owner-id": lambda a: [a.vpc_owner],
            "transit-gateway-owner-id": lambda a: [a.gw.owner], "state": lambda a: [a.state],
            "association.state": lambda a: ["associated"] if a.assoc else [],
            "association.transit-gateway-route-table-id": lambda a: [a.assoc] if a.assoc else []},
            lambda a: a.tags.get(account, []))
        return self.page([a.view(account) for a in atts], req, "TransitGatewayAttachments")

    def candidates(self, req, account, region):
        """The attachments the caller may see, narrowed by ids or an indexed filter first."""
        ids = req.get("TransitGatewayAttachmentIds") or []
        if ids:
            return [self.att(i, account, region) for i in ids]
        pool = None
        for f in req.get("Filters") or []:
            if f.get("Name") in ("vpc-id", "resource-id"):
                pool = set().union(*[self.by_vpc.get(v, set()) for v in f.get("Values", [])])
            elif f.get("Name") == "transit-gateway-attachment-id":
                pool = {v for v in f.get("Values", []) if v in self.atts}
        if pool is None:
            pool = set(self.by_owner.get(account, ()))
            for g in self.gws.values():
                if g.owner == account and g.region == region:
                    pool |= g.all
        out = [self.atts[i] for i in pool]
        out = [a for a in out if a.gw.region == region and account in (a.gw.owner, a.vpc_owner)]
        out.sort(key=lambda a: (a.created, a.id))
        return out

    def op_AcceptTransitGatewayVpcAttachment(self, req, account, region):
        a = self.pending_for_owner(req, account, region, "accept")
        self.settle(a)
        return {"TransitGatewayVpcAttachment": a.vpc_view(account)}

    def op_RejectTransitGatewayVpcAttachment(self, req, account, region):
        a = self.pending_for_owner(req, account, region, "reject")
        a.state = "rejected"
        a.gw.live.discard(a.id)
        return {"TransitGatewayVpcAttachment": a.vpc_view(account)}

    def pending_for_owner(self, req, account, region, verb):
        a = self.att(req.get("TransitGatewayAttachmentId"), account, region)
        if a.gw.owner != account:  # [TGW-ACCEPT] only the transit gateway's owner (code ours)
            raise TgwError("OperationNotPermitted",
                           f"Account {account} cannot {verb} {a.id}: only the owner of "
                           f"{a.gw.id} ({a.gw.owner}) can.")
        if a.state != "pendingAcceptance":
            raise TgwError("IncorrectState", f"{a.id} is in invalid state {a.state}: only an "
                           "attachment in pendingAcceptance can be accepted or rejected.")
        return a

    def op_DeleteTransitGatewayVpcAttachment(self, req, account, region):
        a = self.att(req.get("TransitGatewayAttachmentId"), account, region)
        if a.state not in LIVE:
            raise TgwError("IncorrectState", f"{a.id} is in invalid state {a.state}.")
        # tgw-vpc-attachments.html "Delete a VPC attachment": either owner. Its association and
        # propagations go with it; static routes to it stay and become blackholes [TGW-RT].
        a.state = "deleted"
        a.gw.live.discard(a.id)
        if a.assoc:
            a.gw.tables[a.assoc].assoc.discard(a.id)
            a.assoc = None
        for tid in list(a.props):
            self.unpropagate(a.gw.tables[tid], a)
        return {"TransitGatewayVpcAttachment": a.vpc_view(account)}

    def op_ModifyTransitGatewayVpcAttachment(self, req, account, region):
        a = self.att(req.get("TransitGatewayAttachmentId"), account, region)
        if a.vpc_owner != account:
            raise _nf_att(a.id)
        if a.state != "available":
            raise TgwError("IncorrectState", f"{a.id} is in invalid state {a.state}.")
        be = self.ec2(account, region)
        for sid in req.get("AddSubnetIds") or []:
            s = _subnet(be, sid)
            if s is None or s.vpc_id != a.vpc_id:
                raise TgwError("InvalidSubnetID.NotFound", f"The subnet ID '{sid}' does not exist")
        subnets = [s for s in a.subnets if s not in (req.get("RemoveSubnetIds") or [])]
        subnets += [s for s in req.get("AddSubnetIds") or [] if s not in subnets]
        zones = {}
        for sid in subnets:
            z = be.get_subnet(sid).availability_zone
            if z in zones:  # [TGW-AZ]
                raise TgwError("DuplicateSubnetsInSameZone",
                               f"Duplicate Subnets for same AZ: {zones[z]}, {sid} are both in {z}.")
            zones[z] = sid
        a.subnets = subnets
        for k, v in (req.get("Options") or {}).items():
            if k in a.options:
                a.options[k] = v
        return {"TransitGatewayVpcAttachment": a.vpc_view(account)}

    # ---------------- VPC route tables [TGW-VPCRT] ----------------
    def check_vpc_route(self, params, account, region):
        tgw_id = params["TransitGatewayId"]
        g = self.visible_gw(tgw_id, account, region)
        rt = self.ec2(account, region).route_tables.get(params.get("RouteTableId", ""))
        if rt is None:
            return  # moto answers InvalidRouteTableID.NotFound
        if not any(self.atts[i].gw is g and self.atts[i].state in LIVE
                   for i in self.by_vpc.get(rt.vpc_id, ())):  # (code as AWS answers it)
            raise TgwError("InvalidParameterValue",
                           f"The route table '{rt.id}' and the transit gateway '{g.id}' belong "
                           f"to different networks: attach {rt.vpc_id} to {g.id} first "
                           "(CreateTransitGatewayVpcAttachment).")

    def vpc_route_state(self, vpc_id, tgw_id):
        ok = any(self.atts[i].gw.id == tgw_id and self.atts[i].state == "available"
                 for i in self.by_vpc.get(vpc_id, ()))
        return "active" if ok else "blackhole"

    # ---------------- tags ----------------
    def tagging(self, action, params, account, region, rid):
        ids = _listed(params, "ResourceId")
        mine = [i for i in ids if i.startswith(TAG_PREFIXES)]
        if not mine:
            return None
        if len(mine) != len(ids):
            raise TgwError("InvalidParameterValue", "awsenv: tag transit-gateway resources "
                           "(tgw-...) in a request of their own, not with other resources.")
        targets = []
        for i in mine:
            if i.startswith("tgw-attach-"):
                a = self.att(i, account, region)
                targets.append(a.tags.setdefault(account, []))
            elif i.startswith("tgw-rtb-"):
                targets.append(self.table(i, account, region).tags)
            else:
                targets.append(self.own_gw(i, account, region).tags)
        keys = {}
        i = 1
        while f"Tag.{i}.Key" in params:
            keys[params[f"Tag.{i}.Key"]] = params.get(f"Tag.{i}.Value")
            i += 1
        for tags in targets:
            if action == "CreateTags":
                tags[:] = [t for t in tags if t["Key"] not in keys] + [
                    {"Key": k, "Value": v or ""} for k, v in keys.items()]
            else:
                tags[:] = [t for t in tags if t["Key"] not in keys or (
                    keys[t["Key"]] is not None and keys[t["Key"]] != t["Value"])]
        return 200, (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<{action}Response xmlns="http://ec2.'
            f'amazonaws.com/doc/2016-11-15/"><requestId>{rid}</requestId><return>true</return>'
            f"</{action}Response>").encode()

    # ---------------- the existing rule [TGW-AZ] ----------------
    def one_subnet_per_zone(self, params, account, region):
        backend = self.ec2(account, region)
        ids = _listed(params, "SubnetIds") + _listed(params, "AddSubnetIds")
        zones = {}
        for sid in ids:
            try:
                subnet = backend.get_subnet(sid)
            except Exception:  # an unknown subnet: answered by the attachment's own check
                continue
            zones.setdefault(subnet.availability_zone, []).append(sid)
        for zone, sids in zones.items():
            if len(sids) > 1:
                raise TgwError("DuplicateSubnetsInSameZone",
                               f"Duplicate Subnets for same AZ: {', '.join(sids)} are all "
                               f"in {zone}; give one subnet per Availability Zone.")


def _subnet(be, sid):
    try:
        return be.get_subnet(sid)
    except Exception:  # moto's InvalidSubnetID.NotFound
        return None


def _patch(model):
    """moto's VPC routes to a transit gateway: keep a reference (moto looks the id up in its
    own, empty, transit gateways and drops it) and report blackhole without an available
    attachment of the route table's VPC to it [TGW-VPCRT]."""
    from moto.ec2.models.route_tables import Route, RouteBackend
    if getattr(RouteBackend, "_awsenv_tgw", False):
        Route._awsenv_tgw_model = model
        return
    Route._awsenv_tgw_model = model
    for name in ("create_route", "replace_route"):
        orig = getattr(RouteBackend, name)
        sig = inspect.signature(orig)

        def wrapped(self, *args, _orig=orig, _sig=sig, **kw):
            route = _orig(self, *args, **kw)
            tgw_id = _sig.bind(self, *args, **kw).arguments.get("transit_gateway_id")
            if tgw_id and route is not None and route.transit_gateway is None:
                route.transit_gateway = TgwRef(tgw_id)
            return route
        setattr(RouteBackend, name, wrapped)
    RouteBackend._awsenv_tgw = True
    state = Route.state

    def route_state(self):
        ref = self.transit_gateway
        if isinstance(ref, TgwRef):
            return Route._awsenv_tgw_model.vpc_route_state(self.route_table.vpc_id, ref.id)
        return state.fget(self) if isinstance(state, property) else state
    Route.state = property(route_state)
