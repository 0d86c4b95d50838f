/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Identity proofs: decoding and checking (vp_proof_parse), never the
 * replay. The first byte picks the input's shape: the raw Authorization
 * value, or JSON that this driver packs as "Vpcpeer-Proof <base64>" so the
 * fuzzer works on the document rather than on base64. The broker's clock is
 * fixed at the seeds' date (20260921T141320Z). Never crashes; an accepted
 * proof obeys the documented checks.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "proof/proof.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int64_t fixed_clock(void *ctx)
{
	(void)ctx;
	return 1790000000;
}

static const struct vp_proof_rules *the_rules(void)
{
	static struct vp_proof_rules rules;
	static bool ready;
	struct vp_proof_config cfg = {
		.server_id = "broker.test:443",
		.partition = "aws",
		.sts_endpoint = "http://127.0.0.1:9",
		.clock = fixed_clock,
	};

	if (!ready && vp_proof_rules_init(&rules, &cfg, NULL) != VP_OK)
		abort();
	ready = true;
	return &rules;
}

static void check(const char *value)
{
	struct vp_proof p;

	if (vp_proof_parse(the_rules(), value, &p, NULL) != VP_OK)
		return;
	if (strcmp(p.method, "POST") != 0 || strlen(p.signature) != 64 ||
	    p.header_count > VP_PROOF_MAX_PROOF_HEADERS ||
	    (strcmp(p.body, "Action=GetCallerIdentity&Version=2011-06-15") != 0 &&
	     strcmp(p.body, "Version=2011-06-15&Action=GetCallerIdentity") != 0) ||
	    (strncmp(p.url, "https://sts.", 12) != 0 &&
	     strcmp(p.url, "http://127.0.0.1:9/") != 0) ||
	    p.signed_at < 1790000000 - VP_PROOF_DEFAULT_MAX_AGE ||
	    p.signed_at > 1790000000 + VP_PROOF_MAX_SKEW ||
	    (p.request && strlen(p.request) > VP_PROOF_REQUEST_MAX))
		abort();
	vp_proof_cleanup(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char scheme[] = "Vpcpeer-Proof ";
	char *value;

	if (size < 1 || size > 3 * VP_PROOF_MAX_HEADER)
		return 0;
	if (data[0] % 2 == 0) {
		value = malloc(size);
		if (!value)
			return 0;
		memcpy(value, data + 1, size - 1);
		value[size - 1] = '\0';
	} else {
		size_t n = size - 1;
		value = malloc(sizeof(scheme) + 4 * ((n + 2) / 3) + 1);
		if (!value)
			return 0;
		memcpy(value, scheme, sizeof(scheme));
		EVP_EncodeBlock((unsigned char *)value + sizeof(scheme) - 1, data + 1, (int)n);
	}
	check(value);
	free(value);
	return 0;
}
