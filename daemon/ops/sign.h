/* sign: one signing request, whatever module it came from: the checks
 * that need no key, the key choice, the signatures and the answer. */
#pragma once

#include "daemon/ops/work.h"

enum sign_format {
	SIGN_FORMAT_CMS,
	SIGN_FORMAT_XML,
	SIGN_FORMAT_RAW,
};

enum sign_timestamp {
	TIMESTAMP_NONE,
	TIMESTAMP_IF_CONFIGURED, /* createCMSSignatureFromBase64: when [tsa] url is set */
	TIMESTAMP_REQUIRED,      /* basics tsaProfile: an error when no service is configured */
};

struct sign_request {
	enum sign_format format;
	/* commonUtils' storage argument, or basics' choice among
	 * allowedStorages; checked by sign_run(). NULL: PKCS12. */
	const char *storage;
	struct ops_docs docs;  /* taken: sign_run() clears it */
	bool attached;         /* CMS: content inside */
	bool digested;         /* CMS, raw: the documents are digests */
	enum sign_timestamp timestamp;
	const char *tbs_xpath, *parent_xpath; /* XML */
	bool crlf;             /* XML: CR LF line ends (commonUtils) */
	bool result_array;     /* commonUtils: answer an array (signXmls) */
	bool output_cert;      /* raw: answer {"signatures":[…],"certificate":…} */
	/* What the key must meet; cas and crls are taken (NULL cas: the
	 * configured [keys] ca-certs). */
	struct keyfilter filter;
};

/* Serve s for w's request: returns the answer (malloc'd). Clears s. */
char *sign_run(struct ops_work *w, struct prompter *p, struct sign_request *s);

/* Free what s holds (documents, filter lists) without serving it. */
void sign_request_clear(struct sign_request *s);
