/*
 * testutil.h — what every unit test includes: cmocka (with the headers it
 * needs first) and a few helpers. Each test file is one binary; tests/run.sh
 * runs them with TAP output and counts results.
 */
#ifndef TRANCHE_TESTUTIL_H
#define TRANCHE_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* Asserts a library call returned 0, printing the error message otherwise. */
#define assert_ok(call, err)                                                           \
	do {                                                                           \
		int rc_ = (call);                                                      \
		if (rc_ != 0)                                                          \
			fail_msg("%s returned %d: %s", #call, rc_, (err)->msg);        \
	} while (0)

#endif
