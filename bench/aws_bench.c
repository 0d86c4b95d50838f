/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AWS client figures: the cost of signing one request (SigV4, ns/op), and
 * calls per second on one warm keep-alive connection to awsenv (bench/aws.sh
 * starts it). Prints figures; asserts nothing about time.
 *
 *   aws_bench sign [N]
 *   aws_bench calls URL [N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws/client.h"
#include "aws/ec2.h"
#include "aws/sigv4.h"
#include "aws/sts.h"
#include "core/num.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int bench_sign(long n)
{
	struct vp_aws_header h[] = {
		{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
	struct vp_aws_sigv4_params p = {"AKIDEXAMPLE",
					"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
					"FQoGZXIvYXdzEXAMPLEsessiontoken",
					"us-east-1",
					"ec2",
					1440938160};
	const char body[] = "Action=DescribeRouteTables&Version=2016-11-15&Filter.1.Name=vpc-id&"
			    "Filter.1.Value.1=vpc-0a1b2c3d4e5f60718";
	double t0 = now(), dt;

	for (long i = 0; i < n; i++) {
		struct vp_aws_signed_request *r = NULL;
		if (vp_aws_sigv4_sign("POST", "https://ec2.us-east-1.amazonaws.com/", h, 1, body,
				      sizeof(body) - 1, &p, &r, NULL) != VP_OK) {
			fprintf(stderr, "aws_bench: signing failed\n");
			return 1;
		}
		vp_aws_signed_request_free(r);
	}
	dt = now() - t0;
	printf("sigv4 sign (POST, 5 signed headers, session token): %.0f ns/op (%ld ops)\n",
	       dt * 1e9 / (double)n, n);
	return 0;
}

static struct vp_aws_client *client(const char *url)
{
	struct vp_aws_credentials_provider *creds = NULL;
	struct vp_aws_client_config cfg = {.region = "us-east-1",
					   .endpoint_url = url,
					   .config_file = "/nonexistent",
					   .credentials_file = "/nonexistent"};
	struct vp_aws_client *c = NULL;
	struct vp_error err;

	if (vp_aws_credentials_provider_new_static("AKIAHUB1111111111111",
						   "hubSecret0000000000000000000000000000000", NULL,
						   &creds, &err) != VP_OK ||
	    (cfg.credentials = creds, vp_aws_client_new(&cfg, &c, &err)) != VP_OK) {
		fprintf(stderr, "aws_bench: %s\n", err.message);
		exit(1);
	}
	vp_aws_credentials_provider_free(creds);
	return c;
}

static int bench_calls(const char *url, long n)
{
	struct vp_aws_client *c = client(url);
	struct vp_aws_error err;
	double t0, dt;

	/* warm: the first call opens the connection */
	{
		struct vp_aws_caller_identity *id = NULL;
		if (vp_aws_sts_get_caller_identity(c, &id, &err) != VP_OK) {
			fprintf(stderr, "aws_bench: %s\n", err.error.message);
			return 1;
		}
		vp_aws_caller_identity_free(id);
	}
	t0 = now();
	for (long i = 0; i < n; i++) {
		struct vp_aws_caller_identity *id = NULL;
		if (vp_aws_sts_get_caller_identity(c, &id, &err) != VP_OK) {
			fprintf(stderr, "aws_bench: %s\n", err.error.message);
			return 1;
		}
		vp_aws_caller_identity_free(id);
	}
	dt = now() - t0;
	printf("sts GetCallerIdentity, one warm connection: %.0f calls/s (%.2f ms/call, %ld "
	       "calls)\n",
	       (double)n / dt, dt * 1e3 / (double)n, n);
	t0 = now();
	for (long i = 0; i < n; i++) {
		struct vp_aws_ec2_vpc_list *v = NULL;
		if (vp_aws_ec2_describe_vpcs(c, NULL, &v, &err) != VP_OK) {
			fprintf(stderr, "aws_bench: %s\n", err.error.message);
			return 1;
		}
		vp_aws_ec2_vpc_list_free(v);
	}
	dt = now() - t0;
	printf("ec2 DescribeVpcs, one warm connection:      %.0f calls/s (%.2f ms/call, %ld "
	       "calls)\n",
	       (double)n / dt, dt * 1e3 / (double)n, n);
	vp_aws_client_free(c);
	return 0;
}

int main(int argc, char **argv)
{
	int64_t n = 0;
	int rc;

	if (argc < 2 || (strcmp(argv[1], "sign") != 0 && strcmp(argv[1], "calls") != 0) ||
	    (strcmp(argv[1], "calls") == 0 && argc < 3)) {
		fprintf(stderr, "usage: aws_bench sign [N] | aws_bench calls URL [N]\n");
		return 2;
	}
	if (vp_aws_global_init(NULL) != VP_OK)
		return 1;
	if (strcmp(argv[1], "sign") == 0) {
		if (argc > 2 && vp_parse_int64(argv[2], 1, 100000000, "N", &n, NULL) != VP_OK)
			return 2;
		rc = bench_sign(n ? n : 200000);
	} else {
		if (argc > 3 && vp_parse_int64(argv[3], 1, 1000000, "N", &n, NULL) != VP_OK)
			return 2;
		rc = bench_calls(argv[2], n ? n : 500);
	}
	vp_aws_global_cleanup();
	return rc;
}
