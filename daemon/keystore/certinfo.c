#include "daemon/keystore/certinfo.h"

#include <errno.h>
#include <glib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#define OID_GOST2015_512_KEY "1.2.398.3.10.1.1.2.2"

struct short_name {
	int nid;
	const char *name;
};

static const struct short_name short_names[] = {
	{ NID_commonName, "CN" },
	{ NID_surname, "SURNAME" },
	{ NID_serialNumber, "SERIALNUMBER" },
	{ NID_countryName, "C" },
	{ NID_givenName, "G" },
	{ NID_organizationName, "O" },
	{ NID_organizationalUnitName, "OU" },
	{ NID_localityName, "L" },
	{ NID_stateOrProvinceName, "ST" },
	{ NID_pkcs9_emailAddress, "E" },
	{ NID_domainComponent, "DC" },
	{ NID_userId, "UID" },
	{ NID_title, "T" },
	{ NID_streetAddress, "STREET" },
	{ NID_businessCategory, "BusinessCategory" },
};

static void append_escaped(GString *out, const char *value)
{
	for (const char *c = value; *c; c++) {
		if (strchr(",+\"\\<>;=", *c))
			g_string_append_c(out, '\\');
		g_string_append_c(out, *c);
	}
}

char *certinfo_name(const X509_NAME *name)
{
	GString *out = g_string_new(NULL);
	int n = X509_NAME_entry_count(name);

	for (int i = 0; i < n; i++) {
		const X509_NAME_ENTRY *e = X509_NAME_get_entry(name, i);
		const ASN1_OBJECT *obj = X509_NAME_ENTRY_get_object(e);
		int nid = OBJ_obj2nid(obj);
		unsigned char *utf8 = NULL;
		const char *type = NULL;
		char oid[80];
		int len;

		for (size_t k = 0; k < G_N_ELEMENTS(short_names); k++)
			if (short_names[k].nid == nid)
				type = short_names[k].name;
		if (!type) {
			OBJ_obj2txt(oid, sizeof(oid), obj, 1);
			type = oid;
		}
		len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e));
		if (len < 0) {
			g_string_free(out, TRUE);
			return NULL;
		}
		if (i > 0)
			g_string_append_c(out, ',');
		g_string_append(out, type);
		g_string_append_c(out, '=');
		append_escaped(out, (const char *)utf8);
		OPENSSL_free(utf8);
	}
	return g_string_free(out, FALSE);
}

/* The first entry of a type, as UTF-8 (g_free), or NULL. */
static char *name_entry(const X509_NAME *name, int nid)
{
	int i = X509_NAME_get_index_by_NID(name, nid, -1);
	unsigned char *utf8 = NULL;
	char *copy;

	if (i < 0 || ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i))) < 0)
		return NULL;
	copy = g_strdup((const char *)utf8);
	OPENSSL_free(utf8);
	return copy;
}

/* "IIN123456789011" → "123456789011"; any entry of that type may hold it. */
static char *tagged_digits(const X509_NAME *name, int nid, const char *tag)
{
	for (int i = -1; (i = X509_NAME_get_index_by_NID(name, nid, i)) >= 0;) {
		unsigned char *utf8 = NULL;
		char *found = NULL;
		size_t tl = strlen(tag);

		if (ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i))) < 0)
			continue;
		if (strncmp((const char *)utf8, tag, tl) == 0 && strlen((const char *)utf8 + tl) == 12 &&
		    strspn((const char *)utf8 + tl, "0123456789") == 12)
			found = g_strdup((const char *)utf8 + tl);
		OPENSSL_free(utf8);
		if (found)
			return found;
	}
	return NULL;
}

static char *hex_lower(const unsigned char *p, size_t n)
{
	char *s = g_malloc(2 * n + 1);

	for (size_t i = 0; i < n; i++)
		g_snprintf(s + 2 * i, 3, "%02x", p[i]);
	s[2 * n] = '\0';
	return s;
}

static int64_t asn1_time_ms(const ASN1_TIME *t)
{
	struct tm tm;

	if (ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return (int64_t)timegm(&tm) * 1000;
}

static char *algorithm_name(X509 *cert)
{
	X509_PUBKEY *pk = X509_get_X509_PUBKEY(cert);
	ASN1_OBJECT *alg = NULL;
	char oid[80];

	X509_PUBKEY_get0_param(&alg, NULL, NULL, NULL, pk);
	switch (OBJ_obj2nid(alg)) {
	case NID_rsaEncryption:
		return g_strdup("RSA");
	case NID_X9_62_id_ecPublicKey:
		return g_strdup("EC");
	default:
		break;
	}
	OBJ_obj2txt(oid, sizeof(oid), alg, 1);
	if (strcmp(oid, OID_GOST2015_512_KEY) == 0)
		return g_strdup("GOST512");
	return g_strdup(oid);
}

int certinfo_read(X509 *cert, struct certinfo *ret)
{
	const ASN1_OCTET_STRING *skid = X509_get0_subject_key_id(cert);
	const ASN1_OCTET_STRING *akid = X509_get0_authority_key_id(cert);
	const ASN1_INTEGER *serial = X509_get0_serialNumber(cert);
	BIGNUM *bn = ASN1_INTEGER_to_BN(serial, NULL);
	char *serial_hex = bn ? BN_bn2hex(bn) : NULL;
	struct certinfo info = { 0 };

	BN_free(bn);
	if (!serial_hex)
		return -ENOMEM;
	info.serial = g_ascii_strdown(serial_hex, -1);
	OPENSSL_free(serial_hex);
	info.subject_dn = certinfo_name(X509_get_subject_name(cert));
	info.issuer_dn = certinfo_name(X509_get_issuer_name(cert));
	if (!info.subject_dn || !info.issuer_dn) {
		certinfo_clear(&info);
		return -EINVAL;
	}
	info.subject_cn = name_entry(X509_get_subject_name(cert), NID_commonName);
	info.issuer_cn = name_entry(X509_get_issuer_name(cert), NID_commonName);
	info.iin = tagged_digits(X509_get_subject_name(cert), NID_serialNumber, "IIN");
	info.bin = tagged_digits(X509_get_subject_name(cert), NID_organizationalUnitName, "BIN");
	info.key_id = skid ? hex_lower(skid->data, (size_t)skid->length) : g_strdup("");
	info.authority_key_id = akid ? hex_lower(akid->data, (size_t)akid->length) : g_strdup("");
	info.algorithm = algorithm_name(cert);
	info.not_before_ms = asn1_time_ms(X509_get0_notBefore(cert));
	info.not_after_ms = asn1_time_ms(X509_get0_notAfter(cert));
	*ret = info;
	return 0;
}

void certinfo_clear(struct certinfo *info)
{
	g_free(info->subject_dn);
	g_free(info->subject_cn);
	g_free(info->issuer_dn);
	g_free(info->issuer_cn);
	g_free(info->serial);
	g_free(info->key_id);
	g_free(info->authority_key_id);
	g_free(info->iin);
	g_free(info->bin);
	g_free(info->algorithm);
	*info = (struct certinfo){ 0 };
}

enum certinfo_key_type certinfo_key_type_parse(const char *s)
{
	if (s && strcmp(s, "AUTHENTICATION") == 0)
		return CERTINFO_KEY_TYPE_AUTHENTICATION;
	if (s && strcmp(s, "SIGNATURE") == 0)
		return CERTINFO_KEY_TYPE_SIGNATURE;
	return CERTINFO_KEY_TYPE_ANY;
}

bool certinfo_has_key_type(X509 *cert, enum certinfo_key_type type)
{
	uint32_t ku = X509_get_key_usage(cert); /* UINT32_MAX when absent: anything goes */
	uint32_t xku = X509_get_extended_key_usage(cert);

	switch (type) {
	case CERTINFO_KEY_TYPE_ANY:
		return true;
	case CERTINFO_KEY_TYPE_SIGNATURE:
		return (ku & KU_NON_REPUDIATION) != 0;
	case CERTINFO_KEY_TYPE_AUTHENTICATION:
		if (xku != UINT32_MAX && (xku & XKU_SSL_CLIENT))
			return true;
		return (ku & KU_DIGITAL_SIGNATURE) && (ku & (KU_KEY_ENCIPHERMENT | KU_KEY_AGREEMENT));
	}
	return false;
}

bool certinfo_has_ext_key_usages(X509 *cert, const char *const *oids)
{
	EXTENDED_KEY_USAGE *eku;
	bool all = true;

	if (!oids || !oids[0])
		return true;
	eku = X509_get_ext_d2i(cert, NID_ext_key_usage, NULL, NULL);
	if (!eku)
		return false;
	for (const char *const *want = oids; *want && all; want++) {
		bool found = false;

		for (int i = 0; i < sk_ASN1_OBJECT_num(eku) && !found; i++) {
			char oid[80];

			OBJ_obj2txt(oid, sizeof(oid), sk_ASN1_OBJECT_value(eku, i), 1);
			found = strcmp(oid, *want) == 0;
		}
		all = found;
	}
	EXTENDED_KEY_USAGE_free(eku);
	return all;
}

bool certinfo_valid_at(X509 *cert, time_t t)
{
	return X509_cmp_time(X509_get0_notBefore(cert), &t) < 0 &&
	       X509_cmp_time(X509_get0_notAfter(cert), &t) > 0;
}

bool certinfo_revoked_by(X509 *cert, X509_CRL *crl)
{
	X509_REVOKED *entry = NULL;

	if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_issuer_name(cert)) != 0)
		return false;
	return X509_CRL_get0_by_serial(crl, &entry, X509_get0_serialNumber(cert)) == 1;
}
