/* SPDX-License-Identifier: Apache-2.0 */
/*
 * IAM's refusal messages as grants_write.c reads them: never crashes or reads
 * past the message; a principal found is 12 digits that occur in the message;
 * a quota found is within 1..1,000,000.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "broker/grants_write.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char account[VP_IDS_ACCOUNT_LEN + 1];
	char *message = malloc(size + 1);
	size_t quota;

	if (!message)
		return 0;
	memcpy(message, data, size);
	message[size] = '\0'; /* IAM's message: a string (an embedded NUL ends it) */
	quota = vp_grants_refused_quota(message);
	if (quota > 1000000)
		abort();
	if (vp_grants_refused_principal(message, account) &&
	    (strlen(account) != VP_IDS_ACCOUNT_LEN || !strstr(message, account)))
		abort();
	free(message);
	return 0;
}
