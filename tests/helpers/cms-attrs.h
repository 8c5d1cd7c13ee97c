/* What a CMS signature covers, re-encoded from OpenSSL's parse: the DER
 * SET OF the signer's signed attributes. The second implementation the
 * GOST tests use (test-cades, gost-verify) hash this and check the
 * signature over it. NULL when an attribute cannot be encoded. */
#pragma once

#include <glib.h>
#include <openssl/cms.h>
#include <openssl/x509.h>

static inline GByteArray *cms_signed_attributes_der(CMS_SignerInfo *si)
{
	GByteArray *content = g_byte_array_new(), *set;
	uint8_t header[4] = { 0x31 };
	size_t hl;

	for (int i = 0; i < CMS_signed_get_attr_count(si); i++) {
		unsigned char *a = NULL;
		int n = i2d_X509_ATTRIBUTE(CMS_signed_get_attr(si, i), &a);

		if (n <= 0) {
			g_byte_array_unref(content);
			return NULL;
		}
		g_byte_array_append(content, a, (guint)n);
		OPENSSL_free(a);
	}
	if (content->len < 0x80) {
		header[1] = (uint8_t)content->len;
		hl = 2;
	} else if (content->len < 0x100) {
		header[1] = 0x81;
		header[2] = (uint8_t)content->len;
		hl = 3;
	} else if (content->len < 0x10000) {
		header[1] = 0x82;
		header[2] = (uint8_t)(content->len >> 8);
		header[3] = (uint8_t)content->len;
		hl = 4;
	} else {
		g_byte_array_unref(content);
		return NULL;
	}
	set = g_byte_array_sized_new(content->len + (guint)hl);
	g_byte_array_append(set, header, (guint)hl);
	g_byte_array_append(set, content->data, content->len);
	g_byte_array_unref(content);
	return set;
}
