/* The tests' own strict UTF-8 check, the oracle that text_is_utf8
 * (src/text.c) and what reqjson hands out are held against: glibc's iconv
 * from UTF-8 to UTF-32LE.  It is independent of src/text.c by construction:
 * no byte-range table or decoding loop of ours, only glibc's gconv, so a
 * mistake in src/text.c cannot also be in the oracle.
 *
 * What it accepts (glibc 2.36, checked on every input of 1 to 3 bytes and
 * a sample of 4-byte ones by tests/unit/test_text.c): exactly RFC 3629, the
 * shortest encoding of U+0000..U+D7FF and U+E000..U+10FFFF, NUL included.
 * It refuses:
 *   - overlong forms, 2-, 3- and 4-byte (C0 80, C1 BF, E0 80 80, E0 9F BF,
 *     F0 80 80 80, F0 8F BF BF), and surrogates in 3 bytes (ED A0 80 ..
 *     ED BF BF): glibc's UTF-8 decoder says EILSEQ;
 *   - code points past U+10FFFF (F4 90 80 80, leads F5..F7) and the old
 *     5- and 6-byte forms (F8.., FC..): the decoder takes these (it still
 *     reads UTF-8 as RFC 2279 did, up to U+7FFFFFFF; so does mbrtowc in
 *     C.UTF-8, which is why the oracle is not mbrtowc), and the UTF-32
 *     encoder refuses them with EILSEQ;
 *   - FE, FF, a continuation byte with no lead, and a lead byte whose
 *     sequence is cut short, in the middle (EILSEQ) or at the end (EINVAL).
 */
#ifndef KEYFIN_UTF8_ORACLE_H
#define KEYFIN_UTF8_ORACLE_H

#include <errno.h>
#include <iconv.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

static bool utf8_oracle(const char *s, size_t len)
{
	static iconv_t to_utf32 = (iconv_t)-1;
	char out[4096];
	char *in = (char *)s;   /* iconv's prototype; it does not write *in */
	size_t in_left = len;

	if (to_utf32 == (iconv_t)-1) {
		to_utf32 = iconv_open("UTF-32LE", "UTF-8");
		if (to_utf32 == (iconv_t)-1) {
			perror("utf8_oracle: iconv_open(\"UTF-32LE\", \"UTF-8\")");
			abort();
		}
	}
	iconv(to_utf32, NULL, NULL, NULL, NULL);   /* initial state */
	for (;;) {
		char *o = out;
		size_t out_left = sizeof(out);

		if (iconv(to_utf32, &in, &in_left, &o, &out_left) != (size_t)-1)
			return true;
		/* EILSEQ: invalid; EINVAL: cut short at the end */
		if (errno != E2BIG)
			return false;
	}
}

#endif
