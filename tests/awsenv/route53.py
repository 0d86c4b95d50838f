"""awsenv: Route 53 private hosted zone VPC associations across accounts (issue 19), as AWS
documents them, where moto 5.2 has no cross-account model at all.

The model, and its REST-XML face (Route53Rest: awsenv.py routes a request signed for
"route53" here by its path, /2013-04-01/...). Every rule cites its page:

[R53-AUTH]   docs.aws.amazon.com/Route53/latest/APIReference/API_CreateVPCAssociationAuthorization.html:
             "Authorizes the Amazon Web Services account that created a specified VPC to submit
             an AssociateVPCWithHostedZone request to associate the VPC with a specified hosted
             zone that was created by a different account. To submit a
             CreateVPCAssociationAuthorization request, you must use the account that created
             the hosted zone." Errors TooManyVPCAssociationAuthorizations, NoSuchHostedZone,
             InvalidVPCId.
[R53-ASSOC]  docs.aws.amazon.com/Route53/latest/APIReference/API_AssociateVPCWithHostedZone.html:
             "If you want to associate a VPC that was created by using one Amazon Web Services
             account with a private hosted zone that was created by using a different account,
             the Amazon Web Services account that created the private hosted zone must first
             submit a CreateVPCAssociationAuthorization request. Then the account that created
             the VPC must submit an AssociateVPCWithHostedZone request." Errors
             NotAuthorizedException, ConflictingDomainExists, PublicZoneVPCAssociation,
             InvalidVPCId.
[R53-LIST]   docs.aws.amazon.com/Route53/latest/APIReference/API_ListVPCAssociationAuthorizations.html:
             the VPCs of other accounts that may be associated; up to 50 per page, nexttoken.
[R53-DEAUTH] docs.aws.amazon.com/Route53/latest/APIReference/API_DeleteVPCAssociationAuthorization.html:
             "Removes authorization to submit an AssociateVPCWithHostedZone request ... You must
             use the account that created the hosted zone"; "If you've already associated the
             VPC with the hosted zone, you don't need to submit another
             DeleteVPCAssociationAuthorization request ... the association is not affected"
             (so deleting after association is what AWS recommends, to prevent re-association);
             error VPCAssociationAuthorizationNotFound.
[R53-DISASSOC] docs.aws.amazon.com/Route53/latest/APIReference/API_DisassociateVPCFromHostedZone.html:
             "You can't disassociate the last Amazon VPC from a private hosted zone" (error
             LastVPCAssociation); "You can submit a DisassociateVPCFromHostedZone request using
             either the account that created the hosted zone or the account that created the
             Amazon VPC"; VPCAssociationNotFound when the VPC is not associated.
[R53-ERR]    docs.aws.amazon.com/Route53/latest/APIReference/CommonErrors.html and each action's
             Errors section (HTTP 400 for the errors above, 404 for NoSuchHostedZone).

[R53-REST]   docs.aws.amazon.com/Route53/latest/APIReference/API_Operations_Amazon_Route_53.html
             and each action's page: the method, path, request and response elements;
             CreateHostedZone (POST /2013-04-01/hostedzone) answers 201 Created;
             docs.aws.amazon.com/general/latest/gr/r53.html: the endpoint route53.amazonaws.com,
             signed for us-east-1.

Not verified against AWS and so modelled conservatively: associating a VPC that is already
associated with the same zone answers ConflictingDomainExists; an account other than the
zone's owner calling the owner-only actions answers NotAuthorizedException (401).
"""

import re
import threading
import uuid
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

PAGE = 50  # [R53-LIST]


class Route53Error(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _zone_id(z):
    return z[len("/hostedzone/"):] if z.startswith("/hostedzone/") else z


class Zone:
    def __init__(self, zone_id, name, owner, private):
        self.id, self.name, self.owner, self.private = zone_id, name, owner, private
        self.vpcs = []            # [(region, vpc_id)] associated, in order
        self.authorized = []      # [(region, vpc_id)] authorized, in order


class Route53:
    def __init__(self, vpc_owner):
        """vpc_owner(region, vpc_id) -> the account that created the VPC, or None."""
        self.vpc_owner = vpc_owner
        self.zones = {}
        self.lock = threading.Lock()

    def reset(self):
        with self.lock:
            self.zones.clear()

    def create_zone(self, zone_id, name, owner, vpc=None):
        """A hosted zone of `owner`; private when vpc=(region, vpc_id) is given."""
        with self.lock:
            z = Zone(zone_id, name, owner, vpc is not None)
            if vpc is not None:
                z.vpcs.append(tuple(vpc))
            self.zones[zone_id] = z
            return z

    def _zone(self, zone_id):
        z = self.zones.get(_zone_id(zone_id))
        if z is None:
            raise Route53Error(404, "NoSuchHostedZone", f"No hosted zone found with ID: {zone_id}")
        return z

    def _owner_only(self, z, caller, action):
        if caller != z.owner:  # [R53-AUTH], [R53-DEAUTH]
            raise Route53Error(401, "NotAuthorizedException",
                               f"User is not authorized to perform {action} on hosted zone {z.id}")

    def _vpc(self, region, vpc_id):
        owner = self.vpc_owner(region, vpc_id)
        if owner is None:  # [R53-AUTH], [R53-ASSOC]
            raise Route53Error(400, "InvalidVPCId",
                               f"The VPC {vpc_id} in region {region} was not found")
        return owner

    def create_hosted_zone(self, caller, name, vpc=None):
        """CreateHostedZone: private when vpc=(region, vpc_id) is given (that VPC must exist
        and be the caller's, [R53-ASSOC] for the first association too)."""
        if vpc is not None and self._vpc(*vpc) != caller:
            raise Route53Error(400, "InvalidVPCId",
                               f"The VPC {vpc[1]} does not belong to account {caller}")
        zid = "Z" + uuid.uuid4().hex[:20].upper()
        return self.create_zone(zid, name if name.endswith(".") else name + ".", caller, vpc)

    def get_hosted_zone(self, caller, zone_id):
        with self.lock:
            z = self._zone(zone_id)
            self._owner_only(z, caller, "route53:GetHostedZone")
            return {"Id": f"/hostedzone/{z.id}", "Name": z.name, "PrivateZone": z.private,
                    "VPCs": [{"VPCRegion": r, "VPCId": v} for r, v in z.vpcs]}

    def create_authorization(self, caller, zone_id, region, vpc_id):
        with self.lock:
            z = self._zone(zone_id)
            self._owner_only(z, caller, "route53:CreateVPCAssociationAuthorization")
            self._vpc(region, vpc_id)
            if (region, vpc_id) not in z.authorized:  # repeating it is harmless
                z.authorized.append((region, vpc_id))

    def delete_authorization(self, caller, zone_id, region, vpc_id):
        with self.lock:
            z = self._zone(zone_id)
            self._owner_only(z, caller, "route53:DeleteVPCAssociationAuthorization")
            if (region, vpc_id) not in z.authorized:  # [R53-DEAUTH]
                raise Route53Error(404, "VPCAssociationAuthorizationNotFound",
                                   f"The VPC {vpc_id} has not been authorized for {z.id}")
            z.authorized.remove((region, vpc_id))  # an existing association stays

    def list_authorizations(self, caller, zone_id, next_token=None, max_results=PAGE):
        with self.lock:
            z = self._zone(zone_id)
            self._owner_only(z, caller, "route53:ListVPCAssociationAuthorizations")
            start = int(next_token) if next_token else 0
            page = z.authorized[start:start + max_results]
            nxt = start + len(page)
            return ([{"VPCRegion": r, "VPCId": v} for r, v in page],
                    str(nxt) if nxt < len(z.authorized) else None)

    def associate(self, caller, zone_id, region, vpc_id):
        with self.lock:
            z = self._zone(zone_id)
            if not z.private:
                raise Route53Error(400, "PublicZoneVPCAssociation",
                                   f"Hosted zone {z.id} is a public zone")
            owner = self._vpc(region, vpc_id)
            if caller != owner:  # [R53-ASSOC]: the account that created the VPC associates it
                raise Route53Error(400, "InvalidVPCId",
                                   f"The VPC {vpc_id} does not belong to account {caller}")
            if caller != z.owner and (region, vpc_id) not in z.authorized:  # [R53-ASSOC]
                raise Route53Error(401, "NotAuthorizedException",
                                   f"Account {caller} is not authorized to associate VPC "
                                   f"{vpc_id} with hosted zone {z.id}")
            if (region, vpc_id) in z.vpcs:
                raise Route53Error(400, "ConflictingDomainExists",
                                   f"The VPC {vpc_id} is already associated with {z.id}")
            z.vpcs.append((region, vpc_id))
            return "INSYNC"

    def disassociate(self, caller, zone_id, region, vpc_id):
        with self.lock:
            z = self._zone(zone_id)
            owner = self.vpc_owner(region, vpc_id)
            if caller not in (z.owner, owner):  # [R53-DISASSOC]
                raise Route53Error(401, "NotAuthorizedException",
                                   f"Account {caller} may not disassociate VPC {vpc_id} "
                                   f"from hosted zone {z.id}")
            if (region, vpc_id) not in z.vpcs:
                raise Route53Error(404, "VPCAssociationNotFound",
                                   f"The VPC {vpc_id} is not associated with {z.id}")
            if len(z.vpcs) == 1:  # [R53-DISASSOC]
                raise Route53Error(400, "LastVPCAssociation",
                                   f"{vpc_id} is the last VPC associated with {z.id}")
            z.vpcs.remove((region, vpc_id))
            return "INSYNC"


XMLNS = "https://route53.amazonaws.com/doc/2013-04-01/"
PREFIX = "/2013-04-01/hostedzone"
# [R53-REST]: (method, path suffix after /hostedzone/{Id}) -> action
ACTIONS = {
    ("GET", ""): "GetHostedZone",
    ("POST", "/authorizevpcassociation"): "CreateVPCAssociationAuthorization",
    ("GET", "/authorizevpcassociation"): "ListVPCAssociationAuthorizations",
    ("POST", "/deauthorizevpcassociation"): "DeleteVPCAssociationAuthorization",
    ("POST", "/associatevpc"): "AssociateVPCWithHostedZone",
    ("POST", "/disassociatevpc"): "DisassociateVPCFromHostedZone",
}
_PATH = re.compile(r"^/2013-04-01/hostedzone/([A-Za-z0-9]{1,32})(/[a-z]+)?/?$")


def action_of(method, path):
    """The action a request names by its method and path ("": none)."""
    if path.rstrip("/") == PREFIX:
        return "CreateHostedZone" if method == "POST" else ""
    m = _PATH.match(path)
    return ACTIONS.get((method, m.group(2) or ""), "") if m else ""


def _local(tag):
    return tag.rsplit("}", 1)[-1]


def _find(root, name):
    for el in root.iter():
        if _local(el.tag) == name:
            return el
    return None


def _text(root, name):
    el = _find(root, name)
    return (el.text or "").strip() if el is not None else ""


def _vpc_of(body):
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        raise Route53Error(400, "InvalidInput", "The request body is not well-formed XML.")
    region, vpc_id = _text(root, "VPCRegion"), _text(root, "VPCId")
    return root, region, vpc_id


def _change():
    return (f"<ChangeInfo><Id>/change/C{uuid.uuid4().hex[:20].upper()}</Id>"
            f"<Status>INSYNC</Status><SubmittedAt>2026-01-01T00:00:00Z</SubmittedAt>"
            f"</ChangeInfo>")


def _zone_xml(z):
    return (f"<HostedZone><Id>{escape(z['Id'])}</Id><Name>{escape(z['Name'])}</Name>"
            f"<CallerReference>awsenv</CallerReference><Config><PrivateZone>"
            f"{'true' if z['PrivateZone'] else 'false'}</PrivateZone></Config>"
            f"<ResourceRecordSetCount>2</ResourceRecordSetCount></HostedZone>")


def _vpcs_xml(vpcs):
    return "".join(f"<VPC><VPCRegion>{escape(v['VPCRegion'])}</VPCRegion>"
                   f"<VPCId>{escape(v['VPCId'])}</VPCId></VPC>" for v in vpcs)


def handle(r53, action, caller, method, path, query, body):
    """One REST-XML call: (status, xml bytes); raises Route53Error."""
    from urllib.parse import parse_qsl
    m = _PATH.match(path)
    zone = m.group(1) if m else ""
    out = None
    if action == "CreateHostedZone":
        root, region, vpc_id = _vpc_of(body)
        name = _text(root, "Name")
        if not name:
            raise Route53Error(400, "InvalidInput", "Name is required")
        z = r53.create_hosted_zone(caller, name, (region, vpc_id) if vpc_id else None)
        d = r53.get_hosted_zone(caller, z.id)
        vpc = _vpcs_xml(d["VPCs"][:1])
        return 201, (f'<CreateHostedZoneResponse xmlns="{XMLNS}">{_zone_xml(d)}{_change()}'
                     f"{vpc}</CreateHostedZoneResponse>").encode()
    if action == "GetHostedZone":
        d = r53.get_hosted_zone(caller, zone)
        vpcs = f"<VPCs>{_vpcs_xml(d['VPCs'])}</VPCs>" if d["PrivateZone"] else ""
        out = f"<GetHostedZoneResponse xmlns=\"{XMLNS}\">{_zone_xml(d)}{vpcs}</GetHostedZoneResponse>"
    elif action == "ListVPCAssociationAuthorizations":
        q = dict(parse_qsl(query or ""))
        mx = int(q.get("maxresults", PAGE)) if q.get("maxresults", "").isdigit() else PAGE
        vpcs, nxt = r53.list_authorizations(caller, zone, q.get("nexttoken"),
                                            max(1, min(mx, PAGE)))
        tok = f"<NextToken>{nxt}</NextToken>" if nxt else ""
        out = (f'<ListVPCAssociationAuthorizationsResponse xmlns="{XMLNS}">'
               f"<HostedZoneId>{zone}</HostedZoneId>{tok}<VPCs>{_vpcs_xml(vpcs)}</VPCs>"
               f"</ListVPCAssociationAuthorizationsResponse>")
    else:
        _, region, vpc_id = _vpc_of(body)
        if not region or not vpc_id:
            raise Route53Error(400, "InvalidInput", "VPC.VPCRegion and VPC.VPCId are required")
        if action == "CreateVPCAssociationAuthorization":
            r53.create_authorization(caller, zone, region, vpc_id)
            out = (f'<CreateVPCAssociationAuthorizationResponse xmlns="{XMLNS}">'
                   f"<HostedZoneId>{zone}</HostedZoneId>"
                   f"<VPC><VPCRegion>{escape(region)}</VPCRegion><VPCId>{escape(vpc_id)}</VPCId>"
                   f"</VPC></CreateVPCAssociationAuthorizationResponse>")
        elif action == "DeleteVPCAssociationAuthorization":
            r53.delete_authorization(caller, zone, region, vpc_id)
            out = (f'<DeleteVPCAssociationAuthorizationResponse xmlns="{XMLNS}"/>')
        elif action == "AssociateVPCWithHostedZone":
            r53.associate(caller, zone, region, vpc_id)
            out = (f'<AssociateVPCWithHostedZoneResponse xmlns="{XMLNS}">{_change()}'
                   f"</AssociateVPCWithHostedZoneResponse>")
        elif action == "DisassociateVPCFromHostedZone":
            r53.disassociate(caller, zone, region, vpc_id)
            out = (f'<DisassociateVPCFromHostedZoneResponse xmlns="{XMLNS}">{_change()}'
                   f"</DisassociateVPCFromHostedZoneResponse>")
        else:
            raise Route53Error(404, "InvalidAction", f"No Route 53 operation {method} {path}")
    return 200, out.encode()
