/* The fuzz targets' property check: a failed one aborts, which libFuzzer
 * reports as a crash and saves the input. */
#ifndef KEYFIN_FUZZ_CHECK_H
#define KEYFIN_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond)                                                           \
	do {                                                                  \
		if (!(cond)) {                                                \
			fprintf(stderr, "property failed: %s (%s:%d)\n", #cond, \
				__FILE__, __LINE__);                          \
			abort();                                              \
		}                                                             \
	} while (0)

#endif
