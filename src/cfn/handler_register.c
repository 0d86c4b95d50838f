/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Custom::PeeringRegistration (docs/lambda.md): Create and Update register
 * the client reference with the broker and hand the namespace's plan to
 * Fn::GetAtt; Delete releases the namespace, after making sure the number
 * is still this resource's (vp_cfn_registration_id).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aws/sigv4.h"
#include "aws/client.h"
#include "cfn/handler_internal.h"
#include "proof/proof.h"

#define REGISTRATION_PREFIX "vpcpeer-ns-"
#define ID_HASH_LEN         16

void vp_cfn_registration_id(int64_t n, const char *server_id, const char *client_ref,
			    char out[VP_CFN_PHYSICAL_ID_MAX + 1])
{
	char joined[VP_PROOF_SERVER_ID_MAX + VP_CLIENT_REF_MAX + 2];
	char hex[VP_AWS_SHA256_HEX_LEN + 1];

	snprintf(joined, sizeof(joined), "%s\n%s", server_id, client_ref);
	vp_aws_sha256_hex(joined, strlen(joined), hex);
	snprintf(out, VP_CFN_PHYSICAL_ID_MAX + 1, REGISTRATION_PREFIX "%" PRId64 "-%.*s", n,
		 ID_HASH_LEN, hex);
}

/* "vpcpeer-ns-<n>-<hash>": n, or -1 when the id is not one of ours. */
static int64_t registration_id_namespace(const char *id)
{
	const char *p = id + strlen(REGISTRATION_PREFIX), *dash;
	int64_t n = 0;

	if (strncmp(id, REGISTRATION_PREFIX, strlen(REGISTRATION_PREFIX)) != 0)
		return -1;
	dash = strchr(p, '-');
	if (!dash || dash == p || dash - p > 10 || (dash - p > 1 && *p == '0') ||
	    strlen(dash + 1) != ID_HASH_LEN || strspn(dash + 1, "0123456789abcdef") != ID_HASH_LEN)
		return -1;
	for (; p < dash; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		n = n * 10 + (*p - '0');
	}
	return n <= INT32_MAX ? n : -1;
}

/* The ServerId property, or BrokerUrl's host:port (errors name the property). */
static vp_code effective_server_id(const struct vp_cfn_broker_props *bp, char *out, size_t size,
				   struct vp_error *err)
{
	vp_code rc;

	if (bp->server_id[0]) {
		snprintf(out, size, "%s", bp->server_id);
		return VP_OK;
	}
	rc = vp_proof_default_server_id(bp->broker_url, out, size, err);
	if (rc != VP_OK)
		vp_error_prefix(err, "property BrokerUrl");
	return rc;
}

static const char *const registration_keys[] = {
	"VpcCidrBlock", "PeerVpcId", "PeerOwnerId", "PeerRegion", "PeerCidrBlock", "PeerRoleArn",
};
#define PEER_ROLE_KEY 5 /* required in peer-role mode only */
static const char *const attach_keys[] = {"Attach", "TransitGatewayId", "ResourceShareArn"};

/*
 * The mode: the broker's PeeringAccepter, cross-checked with the property
 * when both are there (a broker older than issue 13 answers none: then the
 * property, or peer-role). UNSET after answering FAILED.
 */
static enum vp_cfn_accepter registration_mode(struct vp_cfn_job *j, json_t *ns,
					      enum vp_cfn_accepter prop)
{
	const char *v = json_string_value(json_object_get(ns, "PeeringAccepter"));
	enum vp_cfn_accepter broker;

	if (!v || !v[0])
		return prop != VP_CFN_ACCEPTER_UNSET ? prop : VP_CFN_ACCEPTER_PEER_ROLE;
	if (strcmp(v, "broker") == 0) {
		broker = VP_CFN_ACCEPTER_BROKER;
	} else if (strcmp(v, "peer-role") == 0) {
		broker = VP_CFN_ACCEPTER_PEER_ROLE;
	} else {
		vp_cfn_job_fail(j,
				"the broker answered PeeringAccepter '%.20s' (broker or peer-role "
				"expected); is BrokerUrl a vpcpeer broker?",
				v);
		return VP_CFN_ACCEPTER_UNSET;
	}
	if (prop != VP_CFN_ACCEPTER_UNSET && prop != broker) {
		vp_cfn_job_fail(j,
				"this stack was built for PeeringAccepter %s but the broker runs "
				"with --peering-accepter %s: set the stack's PeeringAccepter "
				"parameter to %s",
				vp_cfn_accepter_name(prop), v, v);
		return VP_CFN_ACCEPTER_UNSET;
	}
	return broker;
}

/*
 * The attach mode (issue 16): the broker's Attach ("peering" when absent),
 * cross-checked with the property AttachMode when given (templates/client.yaml
 * passes its parameter). False after answering FAILED.
 */
static bool registration_attach(struct vp_cfn_job *j, const json_t *ns)
{
	const char *v = json_string_value(json_object_get(ns, "Attach"));
	const char *prop = json_string_value(json_object_get(j->ev->properties, "AttachMode"));

	if (!v || !v[0])
		v = "peering";
	if (strcmp(v, "peering") != 0 && strcmp(v, "transit-gateway") != 0) {
		vp_cfn_job_fail(j,
				"the broker answered Attach '%.20s' (peering or transit-gateway "
				"expected); is BrokerUrl a vpcpeer broker?",
				v);
		return false;
	}
	if (prop && prop[0] && strcmp(prop, v) != 0) {
		vp_cfn_job_fail(j,
				"this stack was built for AttachMode %.20s but the broker runs "
				"with --attach %s: set the stack's AttachMode parameter to %s",
				prop, v, v);
		return false;
	}
	if (strcmp(v, "transit-gateway") == 0 &&
	    (!json_string_value(json_object_get(ns, "TransitGatewayId")) ||
	     !json_string_value(json_object_get(ns, "ResourceShareArn")))) {
		vp_cfn_job_fail(j,
				"the broker's answer for namespace %" PRId64
				" is in the transit-gateway mode but has no TransitGatewayId or "
				"ResourceShareArn; ask the hub operator to check the broker",
				j->namespace_id);
		return false;
	}
	return true;
}

/* Data for Fn::GetAtt: every value a string, as CloudFormation hands them on. */
static bool registration_data(struct vp_cfn_job *j, json_t *ns, enum vp_cfn_accepter mode,
			      int subnets_read)
{
	char key[32], number[24];
	json_t *data = json_object();
	int bad = !data, subnets = 0;

	snprintf(number, sizeof(number), "%" PRId64, j->namespace_id);
	bad |= json_object_set_new(data, "NamespaceId", json_string(number));
	bad |= json_object_set_new(data, "PeeringAccepter",
				   json_string(vp_cfn_accepter_name(mode)));
	for (size_t i = 0; !bad && i < sizeof(registration_keys) / sizeof(registration_keys[0]);
	     i++) {
		const char *v = json_string_value(json_object_get(ns, registration_keys[i]));
		if (i == PEER_ROLE_KEY && mode == VP_CFN_ACCEPTER_BROKER) {
			/* No role in broker mode: "" keeps the attribute defined. */
			bad |= json_object_set_new(data, registration_keys[i], json_string(""));
			continue;
		}
		if (!v || !v[0]) {
			json_decref(data);
			vp_cfn_job_fail(j,
					"the broker's answer for namespace %" PRId64
					" has no %s; ask the hub "
					"operator to check the broker's configuration",
					j->namespace_id, registration_keys[i]);
			return false;
		}
		bad |= json_object_set_new(data, registration_keys[i], json_string(v));
	}
	/* The transit-gateway mode's (issue 16); "" keeps them defined in the peering mode. */
	for (size_t i = 0; !bad && i < sizeof(attach_keys) / sizeof(attach_keys[0]); i++) {
		const char *v = json_string_value(json_object_get(ns, attach_keys[i]));
		if (i == 0 && (!v || !v[0]))
			v = "peering";
		bad |= json_object_set_new(data, attach_keys[i], json_string(v ? v : ""));
	}
	for (; !bad && subnets < VP_CFN_SUBNET_KEYS_MAX; subnets++) {
		const char *v;
		snprintf(key, sizeof(key), "Subnet%cCidrBlock", 'A' + subnets);
		v = json_string_value(json_object_get(ns, key));
		if (!v)
			break;
		bad |= json_object_set_new(data, key, json_string(v));
	}
	if (!bad && subnets == 0) {
		json_decref(data);
		vp_cfn_job_fail(
			j, "the broker's answer for namespace %" PRId64 " has no SubnetACidrBlock",
			j->namespace_id);
		return false;
	}
	/* A key the template reads with Fn::GetAtt and the Data lacks would fail the stack
	 * later, at that resource, with a message about the vendor response: say it here. */
	if (!bad && subnets < subnets_read) {
		json_decref(data);
		vp_cfn_job_fail(
			j,
			"the broker's plan for namespace %" PRId64
			" has %d subnet%s (SubnetACidrBlock..Subnet%cCidrBlock) but this "
			"template reads %d (property SubnetCount): ask the hub operator for "
			"a broker with --subnets %d or more, or use a template with %d "
			"subnet%s",
			j->namespace_id, subnets, subnets == 1 ? "" : "s", 'A' + subnets - 1,
			subnets_read, subnets_read, subnets, subnets == 1 ? "" : "s");
		return false;
	}
	if (bad) {
		json_decref(data);
		vp_cfn_job_fail(j, "out of memory building the response Data");
		return false;
	}
	j->data = data;
	return true;
}

/*
 * A registration this Create cannot use (the wrong mode, too few subnets): released at once
 * (best effort, the reason says how it went), since the failed Create's
 * rollback Delete has no namespace to release.
 */
static void release_unused(struct vp_cfn_job *j, const struct vp_cfn_broker_props *bp)
{
	struct vp_broker_response resp;
	struct vp_error err;
	char path[64];
	size_t len = strlen(j->reason);

	snprintf(path, sizeof(path), "/v1/namespaces/%" PRId64, j->namespace_id);
	vp_broker_response_init(&resp);
	if (vp_cfn_job_broker_call(j, bp, "DELETE", path, NULL, &resp, &err) == VP_OK &&
	    (resp.status == 200 || resp.status == 404))
		snprintf(j->reason + len, sizeof(j->reason) - len,
			 "; namespace %" PRId64 " released", j->namespace_id);
	else
		snprintf(j->reason + len, sizeof(j->reason) - len,
			 "; namespace %" PRId64 " could not be released (it expires unconfirmed)",
			 j->namespace_id);
	vp_broker_response_cleanup(&resp);
}

void vp_cfn_registration_upsert(struct vp_cfn_job *j)
{
	struct vp_cfn_registration_props p;
	struct vp_broker_response resp;
	char server_id[VP_PROOF_SERVER_ID_MAX + 1], *body = NULL;
	struct vp_error err;
	const char *state, *attach, *region;
	json_t *ns = NULL, *req;
	enum vp_cfn_accepter mode;

	j->action = "register";
	if (vp_cfn_registration_props_parse(j->ev, NULL, &p, &err) != VP_OK ||
	    vp_cfn_job_pin_broker(j, &p.broker, &err) != VP_OK ||
	    effective_server_id(&p.broker, server_id, sizeof(server_id), &err) != VP_OK) {
		vp_cfn_job_fail(j, "%s", err.message);
		return;
	}
	req = json_pack("{ss}", "client_ref", p.client_ref);
	/* A transit gateway serves one region (issue 16): the hub refuses another at register,
	 * before allocating. Only for such a stack: an older broker knows no "region". */
	attach = json_string_value(json_object_get(j->ev->properties, "AttachMode"));
	region = vp_aws_client_region(j->cfg->aws);
	if (req && attach && strcmp(attach, "transit-gateway") == 0 && region && region[0])
		json_object_set_new(req, "region", json_string(region));
	body = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	if (!body) {
		vp_cfn_job_fail(j, "out of memory");
		return;
	}
	vp_broker_response_init(&resp);
	if (vp_cfn_job_broker_call(j, &p.broker, "POST", "/v1/namespaces", body, &resp, &err) !=
	    VP_OK) {
		vp_cfn_job_unreachable(j, "register with the broker", &err);
		goto done;
	}
	if (resp.status != 200 && resp.status != 201) {
		vp_cfn_job_refused(j, "registration", resp.status, &resp.body);
		goto done;
	}
	if (!(ns = vp_cfn_job_namespace(j, &resp)))
		goto done;
	state = json_string_value(json_object_get(ns, "State"));
	if (strcmp(state, "pending") != 0 && strcmp(state, "active") != 0) {
		vp_cfn_job_fail(j,
				"namespace %" PRId64
				" of client reference '%.300s' is %s at the broker; "
				"set a new ClientRef property to register again",
				j->namespace_id, p.client_ref, state);
		goto done;
	}
	if ((mode = registration_mode(j, ns, p.accepter)) == VP_CFN_ACCEPTER_UNSET) {
		if (resp.status == 201)
			release_unused(j, &p.broker);
		goto done;
	}
	if (!registration_attach(j, ns)) {
		if (resp.status == 201)
			release_unused(j, &p.broker);
		goto done;
	}
	if (!registration_data(j, ns, mode, p.subnet_count)) {
		if (resp.status == 201)
			release_unused(j, &p.broker);
		goto done;
	}
	vp_cfn_registration_id(j->namespace_id, server_id, p.client_ref, j->physical_id);
	vp_cfn_job_succeed(j, "namespace %" PRId64 " (%s) %s", j->namespace_id,
			   json_string_value(json_object_get(ns, "VpcCidrBlock")),
			   resp.status == 201 ? "registered" : "registration confirmed (replay)");
done:
	json_decref(ns);
	free(body);
	vp_broker_response_cleanup(&resp);
}

/* "/v1/namespaces/N?client_ref=R" (R URI-encoded; without the query when R is empty). */
static vp_code release_path_of(int64_t n, const char *client_ref, char *out, size_t size)
{
	struct vp_buf b;
	vp_code rc;

	vp_buf_init(&b, size - 1);
	rc = vp_buf_appendf(&b, "/v1/namespaces/%" PRId64, n);
	if (rc == VP_OK && client_ref && client_ref[0] &&
	    (rc = vp_buf_appends(&b, "?client_ref=")) == VP_OK)
		rc = vp_aws_uri_encode(&b, client_ref, strlen(client_ref), false);
	if (rc == VP_OK)
		snprintf(out, size, "%s", vp_buf_str(&b));
	vp_buf_cleanup(&b);
	return rc;
}

#define LIST_PAGES_MAX 20 /* 20,000 pending namespaces of one account: far past any quota */

/*
 * The pending namespace of client reference `ref` among the caller's (GET
 * /v1/namespaces?state=pending, page by page): its number, -1 when there is
 * none, or -2 after answering FAILED.
 */
static int64_t pending_namespace_of(struct vp_cfn_job *j, const struct vp_cfn_broker_props *bp,
				    const char *ref)
{
	struct vp_broker_response resp;
	char path[96], cursor[24] = "";
	struct vp_error err;
	int64_t found = -1;

	vp_broker_response_init(&resp);
	for (int page = 0; found == -1 && page < LIST_PAGES_MAX; page++) {
		json_t *doc, *items, *item, *next;
		size_t i;

		snprintf(path, sizeof(path), "/v1/namespaces?state=pending&limit=1000%s%s",
			 cursor[0] ? "&cursor=" : "", cursor);
		if (vp_cfn_job_broker_call(j, bp, "GET", path, NULL, &resp, &err) != VP_OK) {
			vp_cfn_job_unreachable(j, "look up the namespaces at the broker", &err);
			found = -2;
			break;
		}
		if (resp.status != 200) {
			vp_cfn_job_refused(j, "list of namespaces", resp.status, &resp.body);
			found = -2;
			break;
		}
		doc = json_loadb(resp.body.data ? resp.body.data : "", resp.body.len, 0, NULL);
		items = json_object_get(doc, "Namespaces");
		if (!json_is_array(items)) {
			json_decref(doc);
			vp_cfn_job_fail(j, "the broker answered the list of namespaces without "
					   "Namespaces; is BrokerUrl a vpcpeer broker?");
			found = -2;
			break;
		}
		json_array_foreach(items, i, item)
		{
			const char *r = json_string_value(json_object_get(item, "ClientRef"));
			json_t *n = json_object_get(item, "NamespaceId");
			if (r && strcmp(r, ref) == 0 && json_is_integer(n) &&
			    json_integer_value(n) >= 0) {
				found = json_integer_value(n);
				break;
			}
		}
		next = json_object_get(doc, "NextCursor");
		cursor[0] = '\0';
		if (json_is_string(next) && json_string_length(next) < sizeof(cursor) &&
		    strspn(json_string_value(next), "0123456789") == json_string_length(next))
			snprintf(cursor, sizeof(cursor), "%s", json_string_value(next));
		json_decref(doc);
		if (!cursor[0])
			break;
	}
	vp_broker_response_cleanup(&resp);
	return found;
}

/*
 * Delete of an id CloudFormation made itself: the Create got no answer from
 * this handler (lost, or past ServiceTimeout, or cancelled by a rollback), so
 * whatever it registered is known only by the stack's client reference. Only
 * a pending namespace is released: without the registration's answer nothing
 * could confirm it, so an active one of that reference is another stack's
 * (the same ClientRef given twice) and is left alone.
 */
static void release_by_client_ref(struct vp_cfn_job *j)
{
	struct vp_cfn_registration_props p;
	struct vp_broker_response resp;
	char path[64 + 3 * VP_CLIENT_REF_MAX];
	struct vp_error err;
	int64_t n;

	j->action = "none";
	if (vp_cfn_registration_props_parse(j->ev, NULL, &p, &err) != VP_OK ||
	    vp_cfn_job_pin_broker(j, &p.broker, &err) != VP_OK) {
		/* With these properties no Create could have registered anything. */
		vp_cfn_job_succeed(j,
				   "'%.200s' is not a vpcpeer registration and its properties "
				   "name no broker of this function: nothing to release",
				   j->ev->physical_id);
		return;
	}
	j->action = "release-by-client-ref";
	n = pending_namespace_of(j, &p.broker, p.client_ref);
	if (n == -2)
		return;
	if (n == -1) {
		vp_cfn_job_succeed(j,
				   "no pending namespace of client reference '%.300s': nothing "
				   "to release",
				   p.client_ref);
		return;
	}
	j->namespace_id = n;
	if (release_path_of(n, p.client_ref, path, sizeof(path)) != VP_OK) {
		vp_cfn_job_fail(j, "cannot release namespace %" PRId64 ": out of memory", n);
		return;
	}
	vp_broker_response_init(&resp);
	if (vp_cfn_job_broker_call(j, &p.broker, "DELETE", path, NULL, &resp, &err) != VP_OK)
		vp_cfn_job_unreachable(j, "release the namespace at the broker", &err);
	else if (resp.status == 200 || resp.status == 404)
		vp_cfn_job_succeed(j,
				   "namespace %" PRId64 " of client reference '%.300s' %s (its "
				   "Create was not answered)",
				   n, p.client_ref,
				   resp.status == 200 ? "released" : "already gone");
	else
		vp_cfn_job_refused(j, "release", resp.status, &resp.body);
	vp_broker_response_cleanup(&resp);
}

void vp_cfn_registration_delete(struct vp_cfn_job *j)
{
	struct vp_cfn_registration_props p;
	struct vp_broker_response resp;
	char server_id[VP_PROOF_SERVER_ID_MAX + 1], path[64], expected[VP_CFN_PHYSICAL_ID_MAX + 1];
	char release_path[64 + 3 * VP_CLIENT_REF_MAX];
	const char *id = j->ev->physical_id, *state, *ref;
	struct vp_error err;
	json_t *ns = NULL;
	int64_t n;

	vp_cfn_job_set_physical_id(j, "%s", id);
	if (strncmp(id, VP_CFN_FAILED_PREFIX, strlen(VP_CFN_FAILED_PREFIX)) == 0) {
		j->action = "none";
		vp_cfn_job_succeed(j, "nothing to release: the Create of this resource failed");
		return;
	}
	n = registration_id_namespace(id);
	if (n < 0) {
		release_by_client_ref(j);
		return;
	}
	j->namespace_id = n;
	j->action = "release";
	if (vp_cfn_registration_props_parse(j->ev, NULL, &p, &err) != VP_OK ||
	    vp_cfn_job_pin_broker(j, &p.broker, &err) != VP_OK ||
	    effective_server_id(&p.broker, server_id, sizeof(server_id), &err) != VP_OK) {
		vp_cfn_job_fail(j, "cannot release namespace %" PRId64 ": %s", n, err.message);
		return;
	}
	snprintf(path, sizeof(path), "/v1/namespaces/%" PRId64, n);
	vp_broker_response_init(&resp);
	/* First make sure the number is still this resource's: it may have been reused. */
	if (vp_cfn_job_broker_call(j, &p.broker, "GET", path, NULL, &resp, &err) != VP_OK) {
		vp_cfn_job_unreachable(j, "look up the namespace at the broker", &err);
		goto done;
	}
	if (resp.status == 404) {
		vp_cfn_job_succeed(j, "namespace %" PRId64 " is already gone", n);
		goto done;
	}
	if (resp.status != 200) {
		vp_cfn_job_refused(j, "look-up of the namespace", resp.status, &resp.body);
		goto done;
	}
	if (!(ns = vp_cfn_job_namespace(j, &resp)))
		goto done;
	state = json_string_value(json_object_get(ns, "State"));
	ref = json_string_value(json_object_get(ns, "ClientRef"));
	vp_cfn_registration_id(n, server_id, ref ? ref : "", expected);
	if (strcmp(expected, id) != 0) {
		j->action = "none";
		vp_cfn_job_succeed(j,
				   "namespace %" PRId64
				   " now belongs to another registration: nothing "
				   "released",
				   n);
		goto done;
	}
	if (strcmp(state, "released") == 0) {
		vp_cfn_job_succeed(j, "namespace %" PRId64 " was already released", n);
		goto done;
	}
	vp_cfn_zone_leave(j, ns);
	/* Named by its client reference: should n change hands after the look-up, the broker
	 * answers 404 and releases nothing. */
	if (release_path_of(n, ref, release_path, sizeof(release_path)) != VP_OK) {
		vp_cfn_job_fail(j, "cannot release namespace %" PRId64 ": out of memory", n);
		goto done;
	}
	if (vp_cfn_job_broker_call(j, &p.broker, "DELETE", release_path, NULL, &resp, &err) !=
	    VP_OK) {
		vp_cfn_job_unreachable(j, "release the namespace at the broker", &err);
		goto done;
	}
	if (resp.status == 200)
		vp_cfn_job_succeed(j, "namespace %" PRId64 " released", n);
	else if (resp.status == 404) /* released meanwhile, or n changed hands since the GET */
		vp_cfn_job_succeed(j,
				   "namespace %" PRId64 " is no longer this registration's: "
				   "nothing released",
				   n);
	else
		vp_cfn_job_refused(j, "release", resp.status, &resp.body);
done:
	json_decref(ns);
	vp_broker_response_cleanup(&resp);
}
