#include "keyfin/token.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* crypto_kdf sub-key ids and context: changing them invalidates every key. */
#define TOKEN_KDF_CONTEXT "keyfin01"
#define TOKEN_KDF_DIGEST 1
#define TOKEN_KDF_SEAL 2

int token_keys_from_hex(struct token_keys *keys, const char *hex, size_t len,
			char *err, size_t err_len)
{
	unsigned char master[crypto_kdf_KEYBYTES];
	size_t bin_len = 0;
	const char *end;

	while (len > 0 && (hex[len - 1] == '\n' || hex[len - 1] == '\r' ||
			   hex[len - 1] == ' ' || hex[len - 1] == '\t'))
		len--;
	while (len > 0 && (*hex == ' ' || *hex == '\t' || *hex == '\n')) {
		hex++;
		len--;
	}
	if (len != TOKEN_SECRET_HEX_LEN ||
	    sodium_hex2bin(master, sizeof(master), hex, len, NULL, &bin_len, &end) != 0 ||
	    bin_len != sizeof(master)) {
		snprintf(err, err_len, "the server secret must be %d hex characters "
			 "(make one with `keyfin secret generate`)", TOKEN_SECRET_HEX_LEN);
		sodium_memzero(master, sizeof(master));
		return -1;
	}
	crypto_kdf_derive_from_key(keys->digest_key, sizeof(keys->digest_key),
				   TOKEN_KDF_DIGEST, TOKEN_KDF_CONTEXT, master);
	crypto_kdf_derive_from_key(keys->seal_key, sizeof(keys->seal_key),
				   TOKEN_KDF_SEAL, TOKEN_KDF_CONTEXT, master);
	sodium_memzero(master, sizeof(master));
	return 0;
}

int token_keys_load(struct token_keys *keys, const char *file, const char *value,
		    char *err, size_t err_len)
{
	char buf[256];
	struct stat st;
	ssize_t n;
	int fd, rc;

	if (file == NULL || file[0] == '\0') {
		if (value == NULL || value[0] == '\0') {
			snprintf(err, err_len, "no server secret: set KEYFIN_SECRET_FILE "
				 "(or KEYFIN_SECRET)");
			return -1;
		}
		return token_keys_from_hex(keys, value, strlen(value), err, err_len);
	}
	fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		snprintf(err, err_len, "cannot open secret file %s: %s", file, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || (st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		snprintf(err, err_len, "secret file %s must not be readable by group or "
			 "others (chmod 600 it)", file);
		close(fd);
		return -1;
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0) {
		snprintf(err, err_len, "cannot read secret file %s: %s", file, strerror(errno));
		return -1;
	}
	rc = token_keys_from_hex(keys, buf, (size_t)n, err, err_len);
	sodium_memzero(buf, sizeof(buf));
	return rc;
}

void token_secret_generate(char out[TOKEN_SECRET_HEX_LEN + 1])
{
	unsigned char raw[TOKEN_SECRET_HEX_LEN / 2];

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(out, TOKEN_SECRET_HEX_LEN + 1, raw, sizeof(raw));
	sodium_memzero(raw, sizeof(raw));
}

void token_generate(char out[TOKEN_HEX_LEN + 1])
{
	unsigned char raw[TOKEN_HEX_LEN / 2];

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(out, TOKEN_HEX_LEN + 1, raw, sizeof(raw));
	sodium_memzero(raw, sizeof(raw));
}

bool token_is_wellformed(const char *s, size_t len)
{
	if (len != TOKEN_HEX_LEN)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

void token_digest(const struct token_keys *keys, const char *token, size_t len,
		  unsigned char out[TOKEN_DIGEST_LEN])
{
	crypto_generichash(out, TOKEN_DIGEST_LEN, (const unsigned char *)token, len,
			   keys->digest_key, sizeof(keys->digest_key));
}

void token_seal(const struct token_keys *keys, const char token[TOKEN_HEX_LEN],
		unsigned char out[TOKEN_SEALED_LEN])
{
	randombytes_buf(out, crypto_secretbox_NONCEBYTES);
	crypto_secretbox_easy(out + crypto_secretbox_NONCEBYTES,
			      (const unsigned char *)token, TOKEN_HEX_LEN, out,
			      keys->seal_key);
}

int token_open(const struct token_keys *keys, const unsigned char *sealed,
	       size_t len, char out[TOKEN_HEX_LEN + 1])
{
	if (len != TOKEN_SEALED_LEN)
		return -1;
	if (crypto_secretbox_open_easy((unsigned char *)out,
				       sealed + crypto_secretbox_NONCEBYTES,
				       len - crypto_secretbox_NONCEBYTES, sealed,
				       keys->seal_key) != 0)
		return -1;
	out[TOKEN_HEX_LEN] = '\0';
	return 0;
}

void token_prefix(const char *token, char out[5])
{
	memcpy(out, token, 4);
	out[4] = '\0';
}
