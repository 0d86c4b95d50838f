/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The transit-gateway mode's life cycle for many namespaces with AWS stubbed
 * at the broker's AWS client (issue 16): no emulator in the loop, so what is
 * timed is the broker's own cost (its registry, its checks, the AWS client's
 * signing and parsing) and not AWS's. An in-process loopback server
 * (libmicrohttpd) answers the EC2 and RAM calls of the mode from memory in
 * O(1) per call: the gateway, the two route tables, the share, and per
 * namespace its attachment (made "by the client" before confirm) and its
 * static route in the hub's table.
 *
 *     build/bench/tgw_stub [--namespaces 4999] [--accounts 1000] [--window 100]
 *                          [--marks 100,1000,4999]
 *
 * 4,999, not 5,000: the hub VPC's own attachment counts in AWS's 5,000 attachments per
 * transit gateway, and the broker refuses the 5,000th client (tgw.c's quota check).
 *
 * One thread registers and confirms namespaces one after the other (the
 * broker's own cost per client, not its concurrency) and prints, at each
 * mark of live namespaces, the mean register + confirm time of the last
 * --window registrations, then releases them all and prints the mean release
 * time and the AWS calls per client by action. Figures only, no timed
 * assertion; the registry is SQLite in a temporary directory.
 */
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "aws/client.h"
#include "aws/credentials.h"
#include "broker/broker.h"
#include "core/log.h"
#include "registry/registry.h"

#define NS        " xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\""
#define HUB       "111111111111"
#define HUB_VPC   "vpc-0a0a0a0a"
#define HUB_CIDR  "10.0.0.0/22"
#define TGW       "tgw-0a1b2c3d"
#define CRTB      "tgw-rtb-0c0c0c0c"
#define HRTB      "tgw-rtb-0d0d0d0d"
#define VRTB      "tgw-rtb-0e0e0e0e" /* the verify table: confirm reads the VPC's CIDR there */
#define HUBATT    "tgw-attach-0f0f0f0f"
#define SHARE     "arn:aws:ram:us-east-1:" HUB ":resource-share/abc-123"
#define TGWARN    "arn:aws:ec2:us-east-1:" HUB ":transit-gateway/" TGW
#define MAX_NS    20000
#define MAX_CALLS 32

/* ---- the stub's memory ---- */

struct att {
	char account[16];
	char state[24]; /* "" none, pendingAcceptance, available, deleted */
	char cidr[24];  /* its static route in the hub table ("" none) */
	bool verifying; /* propagating into the verify table */
};

static struct {
	pthread_mutex_t mu;
	struct att att[MAX_NS];
	struct {
		char name[64];
		long count;
	} calls[MAX_CALLS];
} W = {.mu = PTHREAD_MUTEX_INITIALIZER};

/* The hub table's static routes by CIDR: open addressing over indexes into W.att, so that
 * a search costs the same at 5,000 routes as at 1 (a slot whose route is gone is reused). */
#define ROUTE_SLOTS 65536
static long route_slot[ROUTE_SLOTS];

static size_t route_hash(const char *cidr)
{
	uint32_t h = 2166136261u;

	for (; *cidr; cidr++)
		h = (h ^ (unsigned char)*cidr) * 16777619u;
	return h % ROUTE_SLOTS;
}

static long route_find(const char *cidr)
{
	for (size_t s = route_hash(cidr), k = 0; k < ROUTE_SLOTS && route_slot[s];
	     s = (s + 1) % ROUTE_SLOTS, k++)
		if (strcmp(W.att[route_slot[s]].cidr, cidr) == 0)
			return route_slot[s];
	return -1;
}

static void route_add(long i, const char *cidr)
{
	size_t s = route_hash(cidr);

	while (route_slot[s] && W.att[route_slot[s]].cidr[0])
		s = (s + 1) % ROUTE_SLOTS;
	snprintf(W.att[i].cidr, sizeof(W.att[i].cidr), "%.23s", cidr);
	route_slot[s] = i;
}

static int64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* CPU time of this thread (the broker's work and its AWS client's, not the stub's thread):
 * less sensitive than the wall clock to a busy machine. */
static int64_t cpu_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void count_call(const char *name)
{
	for (size_t i = 0; i < MAX_CALLS; i++) {
		if (!W.calls[i].name[0])
			snprintf(W.calls[i].name, sizeof(W.calls[i].name), "%s", name);
		if (strcmp(W.calls[i].name, name) == 0) {
			W.calls[i].count++;
			return;
		}
	}
}

/* A form parameter's value, percent-decoded ("" when absent). */
static void param(const char *body, const char *name, char *out, size_t size)
{
	size_t n = strlen(name), k = 0;
	const char *p = body;

	out[0] = '\0';
	while ((p = strstr(p, name)) != NULL) {
		if ((p == body || p[-1] == '&') && p[n] == '=')
			break;
		p += n;
	}
	if (!p)
		return;
	for (p += n + 1; *p && *p != '&' && k + 1 < size; p++) {
		if (*p == '%' && p[1] && p[2]) {
			char hex[3] = {p[1], p[2], 0};
			out[k++] = (char)strtol(hex, NULL, 16);
			p += 2;
		} else {
			out[k++] = *p;
		}
	}
	out[k] = '\0';
}

/* The value of the filter named `name` (Filter.N.Name / Filter.N.Value.1), "" when none. */
static void filter(const char *body, const char *name, char *out, size_t size)
{
	char key[32], v[128];

	out[0] = '\0';
	for (int i = 1; i <= 6; i++) {
		snprintf(key, sizeof(key), "Filter.%d.Name", i);
		param(body, key, v, sizeof(v));
		if (strcmp(v, name) == 0) {
			snprintf(key, sizeof(key), "Filter.%d.Value.1", i);
			param(body, key, out, size);
			return;
		}
	}
}

/* Namespace index of "tgw-attach-<8 hex>" or "vpc-<8 hex>" made by the bench; -1 otherwise. */
static long index_of(const char *id, const char *prefix)
{
	size_t n = strlen(prefix);
	char *end;
	long i;

	if (strncmp(id, prefix, n) != 0 || strlen(id) != n + 8 || strcmp(id, HUBATT) == 0 ||
	    strcmp(id, HUB_VPC) == 0)
		return -1;
	i = strtol(id + n, &end, 16);
	return *end == '\0' && i >= 1 && i < MAX_NS ? i : -1;
}

static size_t att_item(char *out, size_t size, long i)
{
	char id[32], vpc[32];

	if (i < 0) {
		snprintf(id, sizeof(id), HUBATT);
		snprintf(vpc, sizeof(vpc), HUB_VPC);
	} else {
		snprintf(id, sizeof(id), "tgw-attach-%08lx", i);
		snprintf(vpc, sizeof(vpc), "vpc-%08lx", i);
	}
	return (size_t)snprintf(
		out, size,
		"<item><state>%s</state><subnetIds><item>subnet-01010101</item></subnetIds>"
		"<transitGatewayAttachmentId>%s</transitGatewayAttachmentId><transitGatewayId>" TGW
		"</transitGatewayId><vpcId>%s</vpcId><vpcOwnerId>%s</vpcOwnerId></item>",
		i < 0 ? "available" : W.att[i].state, id, vpc, i < 0 ? HUB : W.att[i].account);
}

static void ec2(const char *body, char *out, size_t size)
{
	char action[64], v[128], v2[128];
	long i;

	param(body, "Action", action, sizeof(action));
	count_call(action);
	if (strcmp(action, "DescribeVpcs") == 0) {
		snprintf(out, size,
			 "<DescribeVpcsResponse" NS
			 "><requestId>r</requestId><vpcSet><item><vpcId>" HUB_VPC
			 "</vpcId><state>available</state><cidrBlock>" HUB_CIDR
			 "</cidrBlock><ownerId>" HUB
			 "</ownerId></item></vpcSet></DescribeVpcsResponse>");
	} else if (strcmp(action, "DescribeRouteTables") == 0) {
		snprintf(
			out, size,
			"<DescribeRouteTablesResponse" NS
			"><requestId>r</requestId><routeTableSet><item>"
			"<routeTableId>rtb-1111aaaa</routeTableId><vpcId>" HUB_VPC
			"</vpcId><ownerId>" HUB
			"</ownerId><routeSet><item><destinationCidrBlock>" HUB_CIDR
			"</destinationCidrBlock><gatewayId>local</gatewayId><state>active</state>"
			"<origin>CreateRouteTable</origin></item></routeSet></item></routeTableSet>"
			"</DescribeRouteTablesResponse>");
	} else if (strcmp(action, "DescribeVpcPeeringConnections") == 0) {
		snprintf(out, size,
			 "<DescribeVpcPeeringConnectionsResponse" NS "><requestId>r</requestId>"
			 "<vpcPeeringConnectionSet/></DescribeVpcPeeringConnectionsResponse>");
	} else if (strcmp(action, "DescribeTransitGateways") == 0) {
		snprintf(out, size,
			 "<DescribeTransitGatewaysResponse" NS "><requestId>r</requestId>"
			 "<transitGatewaySet><item><options><autoAcceptSharedAttachments>disable"
			 "</autoAcceptSharedAttachments><defaultRouteTableAssociation>disable"
			 "</defaultRouteTableAssociation><defaultRouteTablePropagation>disable"
			 "</defaultRouteTablePropagation></options><ownerId>" HUB "</ownerId>"
			 "<state>available</state><transitGatewayId>" TGW
			 "</transitGatewayId></item>"
			 "</transitGatewaySet></DescribeTransitGatewaysResponse>");
	} else if (strcmp(action, "GetTransitGatewayRouteTableAssociations") == 0) {
		snprintf(out, size,
			 "<GetTransitGatewayRouteTableAssociationsResponse" NS
			 "><requestId>r</requestId><associations/>"
			 "</GetTransitGatewayRouteTableAssociationsResponse>");
	} else if (strcmp(action, "SearchTransitGatewayRoutes") == 0) {
		size_t len = (size_t)snprintf(out, size,
					      "<SearchTransitGatewayRoutesResponse" NS
					      "><requestId>r</requestId><routeSet>");
		param(body, "TransitGatewayRouteTableId", v, sizeof(v));
		filter(body, "route-search.exact-match", v2, sizeof(v2));
		if (strcmp(v, VRTB) == 0) {
			/* the VPC's block, propagated: namespace n's plan, 10.0.0.0 + n * 1024 */
			filter(body, "attachment.transit-gateway-attachment-id", v2, sizeof(v2));
			if ((i = index_of(v2, "tgw-attach-")) > 0 && W.att[i].verifying) {
				unsigned long a = (10ul << 24) + (unsigned long)i * 1024;
				len += (size_t)snprintf(
					out + len, size - len,
					"<item><destinationCidrBlock>%lu.%lu.%lu.%lu/22"
					"</destinationCidrBlock><state>active</"
					"state><type>propagated"
					"</"
					"type><transitGatewayAttachments><item><resourceId>vpc-%"
					"08lx"
					"</resourceId><resourceType>vpc</resourceType>"
					"<transitGatewayAttachmentId>%s</"
					"transitGatewayAttachmentId>"
					"</item></transitGatewayAttachments></item>",
					a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255, i, v2);
			}
		} else if (strcmp(v, CRTB) == 0) {
			len += (size_t)snprintf(
				out + len, size - len,
				"<item><destinationCidrBlock>" HUB_CIDR
				"</destinationCidrBlock><state>"
				"active</state><type>static</type><transitGatewayAttachments><item>"
				"<resourceId>" HUB_VPC
				"</resourceId><resourceType>vpc</resourceType>"
				"<transitGatewayAttachmentId>" HUBATT
				"</transitGatewayAttachmentId>"
				"</item></transitGatewayAttachments></item>");
		} else if (v2[0] && (i = route_find(v2)) > 0) {
			len += (size_t)snprintf(
				out + len, size - len,
				"<item><destinationCidrBlock>%s</destinationCidrBlock><state>active"
				"</state><type>static</type><transitGatewayAttachments><item>"
				"<resourceId>vpc-%08lx</resourceId><resourceType>vpc</resourceType>"
				"<transitGatewayAttachmentId>tgw-attach-%08lx"
				"</transitGatewayAttachmentId></item></transitGatewayAttachments></"
				"item>",
				v2, i, i);
		}
		snprintf(out + len, size - len,
			 "</routeSet><additionalRoutesAvailable>false</additionalRoutesAvailable>"
			 "</SearchTransitGatewayRoutesResponse>");
	} else if (strcmp(action, "DescribeTransitGatewayVpcAttachments") == 0) {
		size_t len =
			(size_t)snprintf(out, size,
					 "<DescribeTransitGatewayVpcAttachmentsResponse" NS
					 "><requestId>r</requestId><transitGatewayVpcAttachments>");
		param(body, "TransitGatewayAttachmentIds.1", v, sizeof(v));
		filter(body, "vpc-id", v2, sizeof(v2));
		if (strcmp(v2, HUB_VPC) == 0 || strcmp(v, HUBATT) == 0 || (!v[0] && !v2[0]))
			len += att_item(out + len, size - len, -1);
		else if ((i = v[0] ? index_of(v, "tgw-attach-") : index_of(v2, "vpc-")) > 0 &&
			 W.att[i].state[0] && strcmp(W.att[i].state, "deleted") != 0)
			len += att_item(out + len, size - len, i);
		snprintf(out + len, size - len,
			 "</transitGatewayVpcAttachments></"
			 "DescribeTransitGatewayVpcAttachmentsResponse>");
	} else {
		/* writes: the attachment's state and its route kept, the answer's element */
		const char *element = strstr(action, "Route") && !strstr(action, "Table") ? "route"
				      : strstr(action, "Associate") ? "association"
				      : strstr(action, "Propagation")
					      ? "propagation"
					      : "transitGatewayVpcAttachment";
		param(body, "TransitGatewayAttachmentId", v, sizeof(v));
		param(body, "DestinationCidrBlock", v2, sizeof(v2));
		i = index_of(v, "tgw-attach-");
		if (i > 0 && strcmp(action, "AcceptTransitGatewayVpcAttachment") == 0)
			snprintf(W.att[i].state, sizeof(W.att[i].state), "available");
		if (i > 0 && strcmp(action, "DeleteTransitGatewayVpcAttachment") == 0)
			snprintf(W.att[i].state, sizeof(W.att[i].state), "deleted");
		if (i > 0 && strcmp(action, "CreateTransitGatewayRoute") == 0)
			route_add(i, v2);
		if (i > 0 && strcmp(action, "EnableTransitGatewayRouteTablePropagation") == 0)
			W.att[i].verifying = true;
		if (i > 0 && strcmp(action, "DisableTransitGatewayRouteTablePropagation") == 0)
			W.att[i].verifying = false;
		if (strcmp(action, "DeleteTransitGatewayRoute") == 0 && (i = route_find(v2)) > 0)
			W.att[i].cidr[0] = '\0';
		snprintf(
			out, size,
			"<%sResponse" NS "><requestId>r</requestId><return>true</return><%s>"
			"<transitGatewayAttachmentId>%s</transitGatewayAttachmentId>"
			"<destinationCidrBlock>%s</destinationCidrBlock><state>pending</state></%s>"
			"</%sResponse>",
			action, element, v, v2, element, action);
	}
}

static void ram(const char *url, const char *body, char *out, size_t size)
{
	count_call(url);
	if (strcmp(url, "/getresourceshares") == 0)
		snprintf(out, size,
			 "{\"resourceShares\":[{\"allowExternalPrincipals\":true,\"name\":\"hub\","
			 "\"owningAccountId\":\"" HUB "\",\"resourceShareArn\":\"" SHARE "\","
			 "\"status\":\"ACTIVE\"}]}");
	else if (strcmp(url, "/getresourceshareassociations") == 0 && strstr(body, "RESOURCE"))
		snprintf(out, size,
			 "{\"resourceShareAssociations\":[{\"resourceShareArn\":\"" SHARE "\","
			 "\"associatedEntity\":\"" TGWARN "\",\"associationType\":\"RESOURCE\","
			 "\"status\":\"ASSOCIATED\"}]}");
	else
		snprintf(out, size, "{\"resourceShareAssociations\":[]}");
}

struct req {
	char *body;
	size_t len;
};

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *data,
			      size_t *data_size, void **ctx)
{
	struct req *r = *ctx;
	struct MHD_Response *resp;
	static __thread char out[16384];
	enum MHD_Result ret;

	(void)cls, (void)method, (void)version;
	if (!r) {
		*ctx = r = calloc(1, sizeof(*r));
		return r ? MHD_YES : MHD_NO;
	}
	if (*data_size) {
		char *grown = realloc(r->body, r->len + *data_size + 1);
		if (!grown)
			return MHD_NO;
		r->body = grown;
		memcpy(r->body + r->len, data, *data_size);
		r->len += *data_size;
		r->body[r->len] = '\0';
		*data_size = 0;
		return MHD_YES;
	}
	pthread_mutex_lock(&W.mu);
	if (strcmp(url, "/") == 0)
		ec2(r->body ? r->body : "", out, sizeof(out));
	else
		ram(url, r->body ? r->body : "", out, sizeof(out));
	pthread_mutex_unlock(&W.mu);
	resp = MHD_create_response_from_buffer(strlen(out), out, MHD_RESPMEM_MUST_COPY);
	MHD_add_response_header(resp, "x-amzn-RequestId", "stub");
	ret = MHD_queue_response(conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void completed(void *cls, struct MHD_Connection *conn, void **ctx,
		      enum MHD_RequestTerminationCode toe)
{
	struct req *r = *ctx;

	(void)cls, (void)conn, (void)toe;
	if (r) {
		free(r->body);
		free(r);
	}
	*ctx = NULL;
}

/* ---- the run ---- */

static void die(const char *what, const struct vp_error *err)
{
	fprintf(stderr, "tgw_stub: %s: %s\n", what, err ? err->message : "failed");
	exit(1);
}

static struct vp_identity caller(const char *account)
{
	struct vp_identity id;

	memset(&id, 0, sizeof(id));
	snprintf(id.account, sizeof(id.account), "%s", account);
	snprintf(id.arn, sizeof(id.arn), "arn:aws:sts::%s:assumed-role/stack/bench", account);
	return id;
}

int main(int argc, char **argv)
{
	long namespaces = 4999, accounts = 1000, window = 100;
	long marks[8] = {100, 1000, 4999}; /* the hub's own attachment is the 5,000th */
	size_t mark_count = 3, next_mark = 0;
	struct sockaddr_in addr = {.sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct vp_aws_client_config acfg = {.region = "us-east-1",
					    .max_attempts = 1,
					    .connect_timeout_ms = 2000,
					    .timeout_ms = 10000};
	struct vp_aws_credentials_provider *creds = NULL;
	struct vp_aws_client *aws = NULL;
	struct vp_registry *reg = NULL;
	struct vp_registry_options opts;
	struct vp_broker_config cfg;
	struct vp_broker *b = NULL;
	struct MHD_Daemon *d;
	struct vp_error err;
	struct rusage ru;
	char dir[] = "/tmp/vpcpeer-bench-tgw-stub.XXXXXX", url[128], endpoint[64];
	int64_t *n_of;
	double *ring, *cpu_ring, total_release = 0;
	long calls = 0;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--namespaces") == 0)
			namespaces = atol(argv[i + 1]);
		else if (strcmp(argv[i], "--accounts") == 0)
			accounts = atol(argv[i + 1]);
		else if (strcmp(argv[i], "--window") == 0)
			window = atol(argv[i + 1]);
		else if (strcmp(argv[i], "--marks") == 0) {
			char *p = argv[i + 1];
			for (mark_count = 0; *p && mark_count < 8; mark_count++) {
				marks[mark_count] = strtol(p, &p, 10);
				p += *p == ',';
			}
		} else {
			fprintf(stderr, "tgw_stub: unknown option %s (see the file's header)\n",
				argv[i]);
			return 2;
		}
	}
	if (namespaces < 1 || namespaces >= MAX_NS || accounts < 1 || accounts > 99999 ||
	    window < 1) {
		fprintf(stderr,
			"tgw_stub: --namespaces 1..%d, --accounts 1..99999, --window >= 1\n",
			MAX_NS - 1);
		return 2;
	}
	vp_log_setup(VP_LOG_WARN, VP_LOG_TEXT, NULL);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
			     handle, NULL, MHD_OPTION_SOCK_ADDR, &addr, MHD_OPTION_NOTIFY_COMPLETED,
			     completed, NULL, MHD_OPTION_END);
	if (!d)
		die("the stub", NULL);
	snprintf(endpoint, sizeof(endpoint), "http://127.0.0.1:%u",
		 (unsigned)MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port);
	acfg.endpoint_url = endpoint;
	if (vp_aws_global_init(&err) != VP_OK)
		die("curl", &err);
	if (vp_aws_credentials_provider_new_static("AKIDBENCH", "secret", NULL, &creds, &err) !=
		    VP_OK ||
	    (acfg.credentials = creds, vp_aws_client_new(&acfg, &aws, &err)) != VP_OK)
		die("the AWS client", &err);
	if (!mkdtemp(dir))
		die("mkdtemp", NULL);
	snprintf(url, sizeof(url), "sqlite:%s/registry.db", dir);
	vp_registry_options_init(&opts);
	if (vp_registry_open(url, &opts, &reg, &err) != VP_OK)
		die("the registry", &err);

	vp_broker_config_init(&cfg);
	cfg.hub_account = HUB;
	cfg.hub_vpc = HUB_VPC;
	cfg.hub_region = "us-east-1";
	cfg.peering_accepter = VP_PEERING_ACCEPTER_BROKER;
	cfg.peering_dns = VP_PEERING_DNS_OFF;
	cfg.route_tables[0] = "rtb-1111aaaa";
	cfg.route_table_count = 1;
	cfg.allow_any_account = true;
	cfg.max_namespaces_per_account = 0;
	cfg.quota_refresh = 86400;
	cfg.accept_wait = 1;
	cfg.attach = VP_BROKER_ATTACH_TRANSIT_GATEWAY;
	cfg.tgw.transit_gateway = TGW;
	cfg.tgw.resource_share = SHARE;
	cfg.tgw.client_table = CRTB;
	cfg.tgw.hub_table = HRTB;
	cfg.tgw.verify_table = VRTB;
	if (vp_broker_new(&cfg, reg, aws, NULL, &b, &err) != VP_OK)
		die("the broker", &err);
	pthread_mutex_lock(&W.mu);
	memset(W.calls, 0, sizeof(W.calls));
	pthread_mutex_unlock(&W.mu);
	if (!(n_of = calloc((size_t)namespaces + 1, sizeof(*n_of))) ||
	    !(ring = calloc((size_t)window, sizeof(*ring))) ||
	    !(cpu_ring = calloc((size_t)window, sizeof(*cpu_ring))))
		die("out of memory", NULL);

	printf("tgw_stub: %ld namespaces over %ld accounts, AWS stubbed in-process at %s\n",
	       namespaces, accounts, endpoint);
	for (long k = 1; k <= namespaces; k++) {
		char account[16];
		struct vp_identity id;
		struct vp_register_request rr;
		struct vp_confirm_request cr;
		struct vp_registration out;
		bool created = false;
		int64_t t0, c0, n;

		snprintf(account, sizeof(account), "6%011ld", (k - 1) % accounts + 1);
		id = caller(account);
		memset(&rr, 0, sizeof(rr));
		snprintf(rr.client_ref, sizeof(rr.client_ref), "bench-%ld", k);
		t0 = now_ns();
		c0 = cpu_ns();
		if (vp_broker_register(b, &id, &rr, "rid-bench", &out, &created, &err) != VP_OK)
			die("register", &err);
		n = out.record.n;
		/* the client's side, outside the timing: its attachment, pending acceptance */
		if (n < 1 || n >= MAX_NS)
			die("namespace number out of the bench's range", NULL);
		t0 = now_ns() - t0;
		c0 = cpu_ns() - c0;
		pthread_mutex_lock(&W.mu);
		snprintf(W.att[n].account, sizeof(W.att[n].account), "%.15s", account);
		snprintf(W.att[n].state, sizeof(W.att[n].state), "pendingAcceptance");
		pthread_mutex_unlock(&W.mu);
		memset(&cr, 0, sizeof(cr));
		snprintf(cr.attachment_id, sizeof(cr.attachment_id), "tgw-attach-%08lx", (long)n);
		snprintf(cr.vpc_id, sizeof(cr.vpc_id), "vpc-%08lx", (long)n);
		{
			int64_t t1 = now_ns(), c1 = cpu_ns();
			if (vp_broker_confirm(b, &id, n, &cr, "rid-bench", &out, &err) != VP_OK)
				die("confirm", &err);
			t0 += now_ns() - t1;
			c0 += cpu_ns() - c1;
		}
		n_of[k] = n;
		ring[k % window] = (double)t0 / 1e6;
		cpu_ring[k % window] = (double)c0 / 1e6;
		if (next_mark < mark_count && k == marks[next_mark]) {
			long m = k < window ? k : window;
			double sum = 0, cpu = 0;
			for (long j = 0; j < window; j++) { /* the unused slots are 0 */
				sum += ring[j];
				cpu += cpu_ring[j];
			}
			printf("  %6ld live: register + confirm %.3f ms per namespace, %.3f ms of "
			       "it CPU of this thread (mean of the last %ld)\n",
			       k, sum / (double)m, cpu / (double)m, m);
			next_mark++;
		}
	}
	for (long k = 1; k <= namespaces; k++) {
		char account[16];
		struct vp_identity id;
		struct vp_registration out;
		int64_t t0;

		snprintf(account, sizeof(account), "6%011ld", (k - 1) % accounts + 1);
		id = caller(account);
		t0 = now_ns();
		if (vp_broker_release(b, &id, n_of[k], NULL, "rid-bench", &out, &err) != VP_OK)
			die("release", &err);
		total_release += (double)(now_ns() - t0) / 1e6;
	}
	printf("  release: %.3f ms per namespace (mean of %ld)\n",
	       total_release / (double)namespaces, namespaces);
	pthread_mutex_lock(&W.mu);
	for (size_t i = 0; i < MAX_CALLS && W.calls[i].name[0]; i++)
		calls += W.calls[i].count;
	printf("  AWS calls: %ld (%.2f per namespace)\n", calls,
	       (double)calls / (double)namespaces);
	for (size_t i = 0; i < MAX_CALLS && W.calls[i].name[0]; i++)
		printf("    %s %ld (%.2f per namespace)\n", W.calls[i].name, W.calls[i].count,
		       (double)W.calls[i].count / (double)namespaces);
	pthread_mutex_unlock(&W.mu);
	getrusage(RUSAGE_SELF, &ru);
	printf("  peak RSS: %.1f MiB\n", (double)ru.ru_maxrss / 1024.0);

	vp_broker_free(b);
	vp_registry_close(reg);
	vp_aws_client_free(aws);
	vp_aws_credentials_provider_free(creds);
	MHD_stop_daemon(d);
	free(n_of);
	free(ring);
	free(cpu_ring);
	snprintf(url, sizeof(url), "rm -rf '%s'", dir);
	if (system(url) != 0)
		fprintf(stderr, "tgw_stub: could not remove %s\n", dir);
	return 0;
}
