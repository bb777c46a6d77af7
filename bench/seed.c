/*
 * Seeds API keys fast for the benchmark: prints N rows for
 * `COPY api_keys (app_name, key_digest, key_sealed) FROM STDIN` (text
 * format, bytea as \\x hex), each a real key made exactly as keyfin makes
 * one (src/token.c: random token, keyed digest, sealed copy), so lookups,
 * listing and revocation behave as for keys made through the API.  With
 * TOKENS_FILE it also writes the tokens, one a line (the DELETE scenario
 * revokes them); those are bench-only keys of a throw-away stack.
 *
 *   seed SECRET_FILE N APP [TOKENS_FILE]
 *
 * Built by bench/run: cc bench/seed.c src/token.c -Iinclude -lsodium.
 */
#include <stdio.h>
#include <stdlib.h>

#include <sodium.h>

#include "keyfin/token.h"

static void put_hex(FILE *out, const unsigned char *b, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	fputs("\\\\x", out);
	for (size_t i = 0; i < n; i++) {
		putc(digits[b[i] >> 4], out);
		putc(digits[b[i] & 15], out);
	}
}

int main(int argc, char **argv)
{
	struct token_keys keys;
	char err[256];
	FILE *tokens = NULL;
	long n;

	if (argc < 4 || argc > 5 || (n = atol(argv[2])) < 0) {
		fprintf(stderr, "usage: seed SECRET_FILE N APP [TOKENS_FILE]\n");
		return 2;
	}
	if (sodium_init() < 0 || token_keys_load(&keys, argv[1], NULL, err, sizeof(err)) != 0) {
		fprintf(stderr, "seed: %s\n", err);
		return 1;
	}
	if (argc == 5 && (tokens = fopen(argv[4], "w")) == NULL) {
		perror(argv[4]);
		return 1;
	}
	for (long i = 0; i < n; i++) {
		char token[TOKEN_HEX_LEN + 1];
		unsigned char digest[TOKEN_DIGEST_LEN], sealed[TOKEN_SEALED_LEN];

		token_generate(token);
		token_digest(&keys, token, TOKEN_HEX_LEN, digest);
		token_seal(&keys, token, sealed);
		fprintf(stdout, "%s\t", argv[3]);
		put_hex(stdout, digest, sizeof(digest));
		putc('\t', stdout);
		put_hex(stdout, sealed, sizeof(sealed));
		putc('\n', stdout);
		if (tokens != NULL)
			fprintf(tokens, "%s\n", token);
	}
	if (tokens != NULL && fclose(tokens) != 0)
		return 1;
	return fflush(stdout) == 0 ? 0 : 1;
}
