/* What the key-request tests (test-csr, test-testca) share: NCA-shaped
 * subjects, the key-store extension's expected DER, OID comparison. */
#pragma once

#include <glib.h>
#include <openssl/objects.h>
#include <string.h>

#include "daemon/crypto/csr.h"

/* 1.2.398.3.3.5 for PKCS12 storage: SEQUENCE { OID 1.2.398.3.3.5.1.1 },
 * as in NCA's test certificates. */
static const guint8 key_store_pkcs12_der[] = { 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x83, 0x0e,
					       0x03, 0x03, 0x05, 0x01, 0x01 };

/* NCA's test person, as in its GOST 2022 test certificates. */
static const struct csr_subject person = {
	.common_name = "ТЕСТОВ ТЕСТ",
	.surname = "ТЕСТОВ",
	.serial_number = "IIN123456789011",
	.given_name = "ТЕСТОВИЧ",
	.email = "test@example.kz",
};

static inline int oid_is(const ASN1_OBJECT *obj, const char *oid)
{
	char buf[80];

	OBJ_obj2txt(buf, sizeof(buf), obj, 1);
	return strcmp(buf, oid) == 0;
}
