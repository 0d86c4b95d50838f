/* SPDX-License-Identifier: Apache-2.0 */
/* The probe's target parser: each form it takes, and each refusal naming its reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "probe/target.h"

static vp_code parse(const char *text, struct vp_probe_target *t, struct vp_error *err)
{
	return vp_probe_target_parse(text, strlen(text), t, err);
}

static void test_accepted(void **state)
{
	static const struct {
		const char *text;
		enum vp_probe_kind kind;
		const char *host;
		unsigned port;
		int family;
	} cases[] = {
		{"10.0.1.5:443", VP_PROBE_TCP, "10.0.1.5", 443, AF_INET},
		{"[fd00::5]:5432", VP_PROBE_TCP, "fd00::5", 5432, AF_INET6},
		{"hub.example.internal:65535", VP_PROBE_TCP, "hub.example.internal", 65535,
		 AF_UNSPEC},
		{"hub.example.internal.:1", VP_PROBE_TCP, "hub.example.internal.", 1, AF_UNSPEC},
		{"ip-10-0-1-5.ec2.internal:22", VP_PROBE_TCP, "ip-10-0-1-5.ec2.internal", 22,
		 AF_UNSPEC},
		{"http://10.0.1.5/health", VP_PROBE_HTTP, "10.0.1.5", 80, AF_INET},
		{"https://hub.example.internal/ready?x=1", VP_PROBE_HTTPS, "hub.example.internal",
		 443, AF_UNSPEC},
		{"HTTP://[::1]:8080", VP_PROBE_HTTP, "::1", 8080, AF_INET6},
		{"https://hub:8443", VP_PROBE_HTTPS, "hub", 8443, AF_UNSPEC},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vp_probe_target t;
		struct vp_error err;
		vp_code rc = parse(cases[i].text, &t, &err);
		if (rc != VP_OK)
			fail_msg("'%s' refused: %s", cases[i].text, err.message);
		assert_int_equal(t.kind, cases[i].kind);
		assert_string_equal(t.host, cases[i].host);
		assert_int_equal(t.port, cases[i].port);
		assert_int_equal(t.family, cases[i].family);
		assert_string_equal(t.text, cases[i].text);
	}
}

static void test_refused(void **state)
{
	static const struct {
		const char *text;
		const char *why; /* a piece of the message */
	} cases[] = {
		{"", "empty target"},
		{"10.0.1.5", "no port"},
		{"10.0.1.5:", "port"},
		{"10.0.1.5:0", "port"},
		{"10.0.1.5:65536", "port"},
		{"10.0.1.5:0443", "port"},
		{"10.0.1.5:+1", "port"},
		{"10.0.1.5:44a", "port"},
		{":443", "host is empty"},
		{"::1:443", "brackets"},
		{"[::1]", "no port"},
		{"[::1:443", "without its ']'"},
		{"[::1]443", "':PORT'"},
		{"[10.0.1.5]:443", "not an IPv6 address"},
		{"[fe80::1%eth0]:443", "not an IPv6 address"},
		{"10.1.2:443", "neither an IPv4"}, /* the resolver would read 10.1.0.2 */
		{"10.0.1.256:443", "neither an IPv4"},
		{"hub..example:443", "neither"},
		{"-hub:443", "neither"},
		{"hub-:443", "neither"},
		{"hub example:443", "printable ASCII"},
		{"hub\x01:443", "printable ASCII"},
		{"h\xc3\xa9:443", "printable ASCII"},
		{"ftp://hub/", "only http:// and https://"},
		{"http://user:secret@hub/", "user or password"},
		{"http://hub:0/", "port"},
		{"http:///path", "host is empty"},
		{"http://10.1.2/", "neither an IPv4"},
		{"https://", "https://"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vp_probe_target t;
		struct vp_error err;
		memset(&t, 0x5a, sizeof(t));
		vp_code rc = parse(cases[i].text, &t, &err);
		if (rc != VP_ERR_INVALID)
			fail_msg("'%s' accepted", cases[i].text);
		if (!strstr(err.message, cases[i].why))
			fail_msg("'%s': '%s' does not say '%s'", cases[i].text, err.message,
				 cases[i].why);
		assert_int_equal(t.kind, 0x5a5a5a5a); /* untouched on failure */
	}
}

static void test_lengths(void **state)
{
	char text[VP_PROBE_TARGET_MAX + 2], label[67];
	struct vp_probe_target t;
	struct vp_error err;
	size_t len = 0;
	(void)state;
	/* 63 characters make a label; 64 do not. */
	memset(label, 'a', 63);
	memcpy(label + 63, ":1", 3);
	assert_int_equal(parse(label, &t, &err), VP_OK);
	memset(text, 'a', 64);
	memcpy(text + 64, ":1", 3);
	assert_int_equal(parse(text, &t, &err), VP_ERR_INVALID);
	/* 253 characters make a name; 254 do not. */
	while (len + 4 <= 253) {
		memset(text + len, 'b', 3);
		text[len + 3] = '.';
		len += 4;
	}
	memset(text + len, 'c', 253 - len);
	len = 253;
	memcpy(text + len, ":1", 3);
	assert_int_equal(parse(text, &t, &err), VP_OK);
	memmove(text + 1, text, len + 3);
	text[0] = 'd';
	assert_int_equal(parse(text, &t, &err), VP_ERR_INVALID);
	/* The whole target: a URL of VP_PROBE_TARGET_MAX characters, not one more. */
	memcpy(text, "http://h/", 9);
	memset(text + 9, 'p', VP_PROBE_TARGET_MAX - 9);
	text[VP_PROBE_TARGET_MAX] = '\0';
	assert_int_equal(parse(text, &t, &err), VP_OK);
	text[VP_PROBE_TARGET_MAX] = 'p';
	text[VP_PROBE_TARGET_MAX + 1] = '\0';
	assert_int_equal(parse(text, &t, &err), VP_ERR_INVALID);
	assert_non_null(strstr(err.message, "longer than"));
	/* A NUL inside the given length is refused, not read as the end. */
	assert_int_equal(vp_probe_target_parse("h:1\0x", 5, &t, &err), VP_ERR_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepted),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_lengths),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
