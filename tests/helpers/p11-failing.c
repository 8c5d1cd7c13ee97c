/* p11-failing: a small PKCS#11 module for tests/unit/test-pkcs11.c that
 * does what SoftHSM2 will not: fail C_Initialize, lock its PIN, lose its
 * token in the middle of a signature, hold a GOST 2012-512 key.
 *
 * One slot (0) with the token "p11-failing", login required, user PIN
 * "4321" (4 to 16 characters, else CKR_PIN_LEN_RANGE, which does not
 * count as a try). Three wrong PINs in a row lock it: CKF_USER_PIN_COUNT_LOW after
 * the first, CKF_USER_PIN_FINAL_TRY after the second, CKF_USER_PIN_LOCKED
 * after the third (which still answers CKR_PIN_INCORRECT; every login
 * after that CKR_PIN_LOCKED). After login one private key is visible:
 * handle 1, CKA_ID 0x42, label "failing key".
 *
 * The rest comes from the file QOL_P11_CONTROL names, read at each
 * C_Initialize (a file, not the environment, so that the tests need not
 * call setenv() with threads around), one key=value a line:
 *   mode=initialize   C_Initialize returns CKR_GENERAL_ERROR
 *   mode=removed      an RSA key; C_Sign returns CKR_DEVICE_REMOVED and
 *                     the token is gone from then on
 *   mode=gost         a GOST R 34.10-2012 512 key (tc26 set A) offering
 *                     CKM_GOSTR3410; C_Sign checks the digest against
 *                     digest=HEX and returns signature=HEX as it is;
 *                     CKM_GOSTR3410_KEY_PAIR_GEN offered but, as on a
 *                     token that knows GOST 2001 only, any parameter set
 *                     refused (CKR_DOMAIN_PARAMS_INVALID)
 *   mode=rsa, or no file: an RSA key whose C_Sign fails with
 *                     CKR_FUNCTION_FAILED
 *   cert=FILE         a DER certificate shown with the key's CKA_ID
 *                     (handle 2, a public object, visible before login),
 *                     so that the daemon's signing path finds the key
 *   log=FILE          C_Initialize, C_Finalize, C_Login, C_Logout,
 *                     C_OpenSession, C_CloseSession and C_GenerateKeyPair
 *                     append their names and a newline to FILE
 *
 * C_GetSlotList and C_GetTokenInfo notice a second caller coming in while
 * they run (they take a little time on purpose) and then fail with
 * CKR_FUNCTION_FAILED: the test that pkcs11.c calls one module from one
 * thread at a time. Otherwise not thread-safe at all.
 *
 * Built a second time with -DP11_FAILING_NO_ENTRY: then it has no
 * C_GetFunctionList and is no PKCS#11 module at all. */
#ifdef P11_FAILING_NO_ENTRY
/* Something to export, so that this is a library, just not a module. */
__attribute__((visibility("default"))) int p11_noentry(void);
int p11_noentry(void)
{
	return 0;
}
#else
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <p11-kit/pkcs11.h>

#include <unistd.h>

#define PIN        "4321"
#define PIN_TRIES  3
#define KEY_HANDLE 1
#define CERT_HANDLE 2
#define CERT_MAX 8192
#define MAX_SESSIONS 8

enum mode { MODE_RSA, MODE_REMOVED, MODE_GOST };

static struct {
	bool initialized;
	enum mode mode;
	bool present;
	bool logged_in;
	int tries_left;
	bool open[MAX_SESSIONS + 1]; /* by handle, 1…MAX_SESSIONS */
	bool finding[MAX_SESSIONS + 1];
	unsigned pending[MAX_SESSIONS + 1]; /* the search's objects not handed out: 1 << handle */
	bool signing[MAX_SESSIONS + 1];
	unsigned char digest[64], signature[128];
	bool have_digest, have_signature;
	char log[1024];
	unsigned char cert[CERT_MAX];
	unsigned long cert_len; /* 0: no certificate */
	int calls; /* callers inside token and slot listings right now */
} st;

static const CK_OBJECT_CLASS key_class = CKO_PRIVATE_KEY, cert_class = CKO_CERTIFICATE;
static const CK_CERTIFICATE_TYPE cert_type = CKC_X_509;
static const CK_BBOOL no = CK_FALSE;
static const char cert_label[] = "failing certificate";
static const CK_BBOOL yes = CK_TRUE;
static const unsigned char key_id[] = { 0x42 };
static const char key_label[] = "failing key";
static const unsigned char tc26_512a[] = { 0x06, 0x09, 0x2a, 0x85, 0x03, 0x07, 0x01,
					   0x02, 0x01, 0x02, 0x01 };

static void trace(const char *what)
{
	FILE *f;

	if (!st.log[0])
		return;
	f = fopen(st.log, "a");
	if (f) {
		fprintf(f, "%s\n", what);
		fclose(f);
	}
}

static void copy_padded(unsigned char *dst, size_t n, const char *src)
{
	memset(dst, ' ', n);
	memcpy(dst, src, strlen(src) < n ? strlen(src) : n);
}

static bool hex_read(const char *hex, unsigned char *out, size_t n)
{
	if (!hex || strlen(hex) != 2 * n)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return false;
		out[i] = (unsigned char)v;
	}
	return true;
}

static CK_RV session_check(CK_SESSION_HANDLE h)
{
	if (!st.initialized)
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	if (!st.present)
		return CKR_DEVICE_REMOVED;
	if (h < 1 || h > MAX_SESSIONS || !st.open[h])
		return CKR_SESSION_HANDLE_INVALID;
	return CKR_OK;
}

static void cert_read(const char *path)
{
	FILE *f = fopen(path, "rb");

	if (!f)
		return;
	st.cert_len = fread(st.cert, 1, sizeof(st.cert), f);
	fclose(f);
}

/* The control file, if any: mode, digest, signature, log, cert. */
static void control_read(char *mode, size_t mode_size)
{
	const char *path = getenv("QOL_P11_CONTROL");
	char line[1024];
	FILE *f;

	if (!path || !(f = fopen(path, "r")))
		return;
	while (fgets(line, sizeof(line), f)) {
		char *value = strchr(line, '=');

		if (!value)
			continue;
		*value++ = '\0';
		value[strcspn(value, "\n")] = '\0';
		if (strcmp(line, "mode") == 0 && strlen(value) < mode_size)
			strcpy(mode, value);
		else if (strcmp(line, "log") == 0 && strlen(value) < sizeof(st.log))
			strcpy(st.log, value);
		else if (strcmp(line, "cert") == 0)
			cert_read(value);
		else if (strcmp(line, "digest") == 0)
			st.have_digest = hex_read(value, st.digest, sizeof(st.digest));
		else if (strcmp(line, "signature") == 0)
			st.have_signature = hex_read(value, st.signature, sizeof(st.signature));
	}
	fclose(f);
}

static CK_RV mock_C_Initialize(void *init_args)
{
	char mode[32] = "rsa";

	if (st.initialized)
		return CKR_CRYPTOKI_ALREADY_INITIALIZED;
	memset(&st, 0, sizeof(st));
	control_read(mode, sizeof(mode));
	trace("C_Initialize");
	if (strcmp(mode, "initialize") == 0)
		return CKR_GENERAL_ERROR;
	st.mode = MODE_RSA;
	if (strcmp(mode, "removed") == 0)
		st.mode = MODE_REMOVED;
	if (strcmp(mode, "gost") == 0)
		st.mode = MODE_GOST;
	st.present = true;
	st.tries_left = PIN_TRIES;
	st.initialized = true;
	return CKR_OK;
}

static CK_RV mock_C_Finalize(void *reserved)
{
	if (!st.initialized)
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	trace("C_Finalize");
	st.initialized = false;
	return CKR_OK;
}

static CK_RV mock_C_GetInfo(CK_INFO *info)
{
	if (!st.initialized)
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	memset(info, 0, sizeof(*info));
	info->cryptokiVersion.major = 2;
	info->cryptokiVersion.minor = 40;
	copy_padded(info->manufacturerID, sizeof(info->manufacturerID), "Qoltanba tests");
	copy_padded(info->libraryDescription, sizeof(info->libraryDescription), "p11-failing");
	return CKR_OK;
}

/* Enter a listing; false if someone else is in one. */
static bool enter(void)
{
	bool alone = __atomic_fetch_add(&st.calls, 1, __ATOMIC_SEQ_CST) == 0;

	usleep(200);
	return alone;
}

static CK_RV leave(CK_RV rv)
{
	__atomic_fetch_sub(&st.calls, 1, __ATOMIC_SEQ_CST);
	return rv;
}

static CK_RV slot_list(unsigned char token_present, CK_SLOT_ID *slots, unsigned long *count)
{
	unsigned long n = token_present && !st.present ? 0 : 1;

	if (!st.initialized)
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	if (slots && *count < n) {
		*count = n;
		return CKR_BUFFER_TOO_SMALL;
	}
	if (slots && n)
		slots[0] = 0;
	*count = n;
	return CKR_OK;
}

static CK_RV mock_C_GetSlotInfo(CK_SLOT_ID slot, CK_SLOT_INFO *info)
{
	if (!st.initialized)
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	if (slot != 0)
		return CKR_SLOT_ID_INVALID;
	memset(info, 0, sizeof(*info));
	copy_padded(info->slotDescription, sizeof(info->slotDescription), "p11-failing slot");
	copy_padded(info->manufacturerID, sizeof(info->manufacturerID), "Qoltanba tests");
	info->flags = CKF_REMOVABLE_DEVICE | (st.present ? CKF_TOKEN_PRESENT : 0);
	return CKR_OK;
}

static CK_RV mock_C_GetSlotList(unsigned char token_present, CK_SLOT_ID *slots,
				unsigned long *count)
{
	if (!enter())
		return leave(CKR_FUNCTION_FAILED);
	return leave(slot_list(token_present, slots, count));
}

static CK_RV token_info(CK_SLOT_ID slot, CK_TOKEN_INFO *info)
{
	if (!st.initialized)
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	if (slot != 0)
		return CKR_SLOT_ID_INVALID;
	if (!st.present)
		return CKR_TOKEN_NOT_PRESENT;
	memset(info, 0, sizeof(*info));
	copy_padded(info->label, sizeof(info->label), "p11-failing");
	copy_padded(info->manufacturerID, sizeof(info->manufacturerID), "Qoltanba tests");
	copy_padded(info->model, sizeof(info->model), "mock");
	copy_padded(info->serialNumber, sizeof(info->serialNumber), "0042");
	info->flags = CKF_TOKEN_INITIALIZED | CKF_USER_PIN_INITIALIZED | CKF_LOGIN_REQUIRED;
	if (st.tries_left == 0)
		info->flags |= CKF_USER_PIN_LOCKED;
	else if (st.tries_left == 1)
		info->flags |= CKF_USER_PIN_FINAL_TRY;
	else if (st.tries_left < PIN_TRIES)
		info->flags |= CKF_USER_PIN_COUNT_LOW;
	info->ulMaxSessionCount = MAX_SESSIONS;
	info->ulMaxPinLen = 16;
	info->ulMinPinLen = 4;
	return CKR_OK;
}

static CK_RV mock_C_GetTokenInfo(CK_SLOT_ID slot, CK_TOKEN_INFO *info)
{
	if (!enter())
		return leave(CKR_FUNCTION_FAILED);
	return leave(token_info(slot, info));
}

static CK_MECHANISM_TYPE mode_mechanism(void)
{
	return st.mode == MODE_GOST ? CKM_GOSTR3410 : CKM_RSA_PKCS;
}

static CK_RV mock_C_GetMechanismList(CK_SLOT_ID slot, CK_MECHANISM_TYPE *list,
				     unsigned long *count)
{
	unsigned long n = st.mode == MODE_GOST ? 2 : 1;

	if (!st.initialized)
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	if (slot != 0)
		return CKR_SLOT_ID_INVALID;
	if (list && *count < n) {
		*count = n;
		return CKR_BUFFER_TOO_SMALL;
	}
	if (list) {
		list[0] = mode_mechanism();
		if (n > 1)
			list[1] = CKM_GOSTR3410_KEY_PAIR_GEN;
	}
	*count = n;
	return CKR_OK;
}

static CK_RV mock_C_GetMechanismInfo(CK_SLOT_ID slot, CK_MECHANISM_TYPE type,
				     CK_MECHANISM_INFO *info)
{
	if (!st.initialized)
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	if (slot != 0)
		return CKR_SLOT_ID_INVALID;
	memset(info, 0, sizeof(*info));
	if (type == mode_mechanism()) {
		info->ulMinKeySize = info->ulMaxKeySize = st.mode == MODE_GOST ? 512 : 2048;
		info->flags = CKF_SIGN;
		return CKR_OK;
	}
	if (st.mode == MODE_GOST && type == CKM_GOSTR3410_KEY_PAIR_GEN) {
		info->ulMinKeySize = info->ulMaxKeySize = 512;
		info->flags = CKF_GENERATE_KEY_PAIR;
		return CKR_OK;
	}
	return CKR_MECHANISM_INVALID;
}

static CK_RV mock_C_OpenSession(CK_SLOT_ID slot, CK_FLAGS flags, void *app, CK_NOTIFY notify,
				CK_SESSION_HANDLE *session)
{
	if (!st.initialized)
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	if (slot != 0)
		return CKR_SLOT_ID_INVALID;
	if (!st.present)
		return CKR_TOKEN_NOT_PRESENT;
	if (!(flags & CKF_SERIAL_SESSION))
		return CKR_SESSION_PARALLEL_NOT_SUPPORTED;
	for (CK_SESSION_HANDLE h = 1; h <= MAX_SESSIONS; h++) {
		if (!st.open[h]) {
			st.open[h] = true;
			st.finding[h] = st.signing[h] = false;
			st.pending[h] = 0;
			*session = h;
			trace("C_OpenSession");
			return CKR_OK;
		}
	}
	return CKR_SESSION_COUNT;
}

static bool any_open(void)
{
	for (int h = 1; h <= MAX_SESSIONS; h++)
		if (st.open[h])
			return true;
	return false;
}

static CK_RV mock_C_CloseSession(CK_SESSION_HANDLE h)
{
	CK_RV rv = session_check(h);

	trace("C_CloseSession");
	if (rv == CKR_DEVICE_REMOVED && h >= 1 && h <= MAX_SESSIONS)
		st.open[h] = false; /* gone with the token */
	if (rv != CKR_OK)
		return rv;
	st.open[h] = false;
	if (!any_open())
		st.logged_in = false; /* PKCS#11: the last session ends the login */
	return CKR_OK;
}

static CK_RV mock_C_CloseAllSessions(CK_SLOT_ID slot)
{
	if (!st.initialized)
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	memset(st.open, 0, sizeof(st.open));
	st.logged_in = false;
	return CKR_OK;
}

static CK_RV mock_C_GetSessionInfo(CK_SESSION_HANDLE h, CK_SESSION_INFO *info)
{
	CK_RV rv = session_check(h);

	if (rv != CKR_OK)
		return rv;
	memset(info, 0, sizeof(*info));
	info->slotID = 0;
	info->state = st.logged_in ? CKS_RO_USER_FUNCTIONS : CKS_RO_PUBLIC_SESSION;
	info->flags = CKF_SERIAL_SESSION;
	return CKR_OK;
}

static CK_RV mock_C_Login(CK_SESSION_HANDLE h, CK_USER_TYPE user, unsigned char *pin,
			  unsigned long pin_len)
{
	CK_RV rv = session_check(h);

	trace("C_Login");
	if (rv != CKR_OK)
		return rv;
	if (user != CKU_USER)
		return CKR_USER_TYPE_INVALID;
	if (st.tries_left == 0)
		return CKR_PIN_LOCKED;
	if (st.logged_in)
		return CKR_USER_ALREADY_LOGGED_IN;
	/* Too short or too long: not a try. */
	if (pin_len < 4 || pin_len > 16)
		return CKR_PIN_LEN_RANGE;
	if (!pin || pin_len != strlen(PIN) || memcmp(pin, PIN, pin_len) != 0) {
		st.tries_left--;
		return CKR_PIN_INCORRECT;
	}
	st.tries_left = PIN_TRIES;
	st.logged_in = true;
	return CKR_OK;
}

static CK_RV mock_C_Logout(CK_SESSION_HANDLE h)
{
	CK_RV rv = session_check(h);

	trace("C_Logout");
	if (rv != CKR_OK)
		return rv;
	if (!st.logged_in)
		return CKR_USER_NOT_LOGGED_IN;
	st.logged_in = false;
	return CKR_OK;
}

/* The certificate's attributes; NULL for one it does not have. */
static const void *cert_attribute(CK_ATTRIBUTE_TYPE type, unsigned long *len)
{
	switch (type) {
	case CKA_CLASS:
		*len = sizeof(cert_class);
		return &cert_class;
	case CKA_CERTIFICATE_TYPE:
		*len = sizeof(cert_type);
		return &cert_type;
	case CKA_ID:
		*len = sizeof(key_id);
		return key_id;
	case CKA_LABEL:
		*len = strlen(cert_label);
		return cert_label;
	case CKA_VALUE:
		*len = st.cert_len;
		return st.cert;
	case CKA_TOKEN:
		*len = sizeof(yes);
		return &yes;
	case CKA_PRIVATE:
		*len = sizeof(no);
		return &no;
	default:
		return NULL;
	}
}

/* The key's attributes; NULL for one it does not have. */
static const void *key_attribute(CK_ATTRIBUTE_TYPE type, unsigned long *len)
{
	static CK_KEY_TYPE rsa = CKK_RSA, gost = CKK_GOSTR3410;

	switch (type) {
	case CKA_CLASS:
		*len = sizeof(key_class);
		return &key_class;
	case CKA_KEY_TYPE:
		*len = sizeof(CK_KEY_TYPE);
		return st.mode == MODE_GOST ? &gost : &rsa;
	case CKA_ID:
		*len = sizeof(key_id);
		return key_id;
	case CKA_LABEL:
		*len = strlen(key_label);
		return key_label;
	case CKA_PRIVATE:
	case CKA_SIGN:
	case CKA_TOKEN:
		*len = sizeof(yes);
		return &yes;
	case CKA_GOSTR3410_PARAMS:
		if (st.mode != MODE_GOST)
			return NULL;
		*len = sizeof(tc26_512a);
		return tc26_512a;
	default:
		return NULL;
	}
}

/* An object's attributes: the key (after login), the certificate (when
 * there is one). */
static bool object_visible(CK_OBJECT_HANDLE obj)
{
	return (obj == KEY_HANDLE && st.logged_in) || (obj == CERT_HANDLE && st.cert_len > 0);
}

static const void *object_attribute(CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_TYPE type,
				    unsigned long *len)
{
	return obj == KEY_HANDLE ? key_attribute(type, len) : cert_attribute(type, len);
}

static CK_RV mock_C_GetAttributeValue(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE obj,
				      CK_ATTRIBUTE *templ, unsigned long count)
{
	CK_RV rv = session_check(h);

	if (rv != CKR_OK)
		return rv;
	if (!object_visible(obj))
		return CKR_OBJECT_HANDLE_INVALID;
	for (unsigned long i = 0; i < count; i++) {
		unsigned long len = 0;
		const void *v = object_attribute(obj, templ[i].type, &len);

		if (!v) {
			templ[i].ulValueLen = CK_UNAVAILABLE_INFORMATION;
			rv = CKR_ATTRIBUTE_TYPE_INVALID;
		} else if (!templ[i].pValue) {
			templ[i].ulValueLen = len;
		} else if (templ[i].ulValueLen < len) {
			templ[i].ulValueLen = CK_UNAVAILABLE_INFORMATION;
			rv = CKR_BUFFER_TOO_SMALL;
		} else {
			memcpy(templ[i].pValue, v, len);
			templ[i].ulValueLen = len;
		}
	}
	return rv;
}

static CK_RV mock_C_FindObjectsInit(CK_SESSION_HANDLE h, CK_ATTRIBUTE *templ,
				    unsigned long count)
{
	CK_RV rv = session_check(h);

	if (rv != CKR_OK)
		return rv;
	if (st.finding[h])
		return CKR_OPERATION_ACTIVE;
	st.pending[h] = 0;
	for (CK_OBJECT_HANDLE obj = KEY_HANDLE; obj <= CERT_HANDLE; obj++) {
		bool match = object_visible(obj);

		for (unsigned long i = 0; i < count && match; i++) {
			unsigned long len = 0;
			const void *v = object_attribute(obj, templ[i].type, &len);

			match = v && len == templ[i].ulValueLen &&
				memcmp(v, templ[i].pValue, len) == 0;
		}
		if (match)
			st.pending[h] |= 1u << obj;
	}
	st.finding[h] = true;
	return CKR_OK;
}

static CK_RV mock_C_FindObjects(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE *objs, unsigned long max,
				unsigned long *count)
{
	CK_RV rv = session_check(h);

	if (rv != CKR_OK)
		return rv;
	if (!st.finding[h])
		return CKR_OPERATION_NOT_INITIALIZED;
	*count = 0;
	for (CK_OBJECT_HANDLE obj = KEY_HANDLE; obj <= CERT_HANDLE && *count < max; obj++) {
		if (!(st.pending[h] & (1u << obj)))
			continue;
		objs[(*count)++] = obj;
		st.pending[h] &= ~(1u << obj);
	}
	return CKR_OK;
}

static CK_RV mock_C_FindObjectsFinal(CK_SESSION_HANDLE h)
{
	CK_RV rv = session_check(h);

	if (rv != CKR_OK)
		return rv;
	if (!st.finding[h])
		return CKR_OPERATION_NOT_INITIALIZED;
	st.finding[h] = false;
	return CKR_OK;
}

/* Like a token that knows GOST 2001 only: a 512-bit parameter set is
 * refused, a template without one is incomplete; nothing is made. */
static CK_RV mock_C_GenerateKeyPair(CK_SESSION_HANDLE h, CK_MECHANISM *mech,
				    CK_ATTRIBUTE *pub, unsigned long n_pub, CK_ATTRIBUTE *priv,
				    unsigned long n_priv, CK_OBJECT_HANDLE *ret_pub,
				    CK_OBJECT_HANDLE *ret_priv)
{
	CK_RV rv = session_check(h);

	trace("C_GenerateKeyPair");
	if (rv != CKR_OK)
		return rv;
	if (st.mode != MODE_GOST || !mech || mech->mechanism != CKM_GOSTR3410_KEY_PAIR_GEN)
		return CKR_MECHANISM_INVALID;
	if (!st.logged_in)
		return CKR_USER_NOT_LOGGED_IN;
	for (unsigned long i = 0; i < n_pub; i++)
		if (pub[i].type == CKA_GOSTR3410_PARAMS)
			return CKR_DOMAIN_PARAMS_INVALID;
	return CKR_TEMPLATE_INCOMPLETE;
}

static CK_RV mock_C_SignInit(CK_SESSION_HANDLE h, CK_MECHANISM *mech, CK_OBJECT_HANDLE key)
{
	CK_RV rv = session_check(h);

	if (rv != CKR_OK)
		return rv;
	if (!st.logged_in)
		return CKR_USER_NOT_LOGGED_IN;
	if (key != KEY_HANDLE)
		return CKR_KEY_HANDLE_INVALID;
	if (!mech || mech->mechanism != mode_mechanism())
		return CKR_MECHANISM_INVALID;
	if (st.signing[h])
		return CKR_OPERATION_ACTIVE;
	st.signing[h] = true;
	return CKR_OK;
}

static CK_RV mock_C_Sign(CK_SESSION_HANDLE h, unsigned char *data, unsigned long data_len,
			 unsigned char *sig, unsigned long *sig_len)
{
	CK_RV rv = session_check(h);

	if (rv != CKR_OK)
		return rv;
	if (!st.signing[h])
		return CKR_OPERATION_NOT_INITIALIZED;
	switch (st.mode) {
	case MODE_REMOVED:
		/* Pulled out while the card was computing. */
		st.present = false;
		st.logged_in = false;
		return CKR_DEVICE_REMOVED;
	case MODE_RSA:
		st.signing[h] = false;
		return CKR_FUNCTION_FAILED;
	case MODE_GOST:
		break;
	}
	/* Asking the length, or too small a buffer, leaves the operation
	 * active (PKCS#11 §5.2); anything else ends it. */
	if (!sig || *sig_len < sizeof(st.signature)) {
		*sig_len = sizeof(st.signature);
		return sig ? CKR_BUFFER_TOO_SMALL : CKR_OK;
	}
	st.signing[h] = false;
	if (data_len != sizeof(st.digest) || !st.have_signature ||
	    (st.have_digest && memcmp(data, st.digest, sizeof(st.digest)) != 0))
		return CKR_DATA_INVALID;
	memcpy(sig, st.signature, sizeof(st.signature));
	*sig_len = sizeof(st.signature);
	return CKR_OK;
}

/* What this module does not do. */
#define STUB(name, args)                                                                           \
	static CK_RV mock_##name args                                                              \
	{                                                                                          \
		return CKR_FUNCTION_NOT_SUPPORTED;                                                 \
	}

STUB(C_WaitForSlotEvent, (CK_FLAGS flags, CK_SLOT_ID *slot, void *reserved))
STUB(C_InitToken, (CK_SLOT_ID slot_id, unsigned char *pin, unsigned long pin_len,
	unsigned char *label))
STUB(C_InitPIN, (CK_SESSION_HANDLE session, unsigned char *pin, unsigned long pin_len))
STUB(C_SetPIN, (CK_SESSION_HANDLE session, unsigned char *old_pin, unsigned long old_len,
	unsigned char *new_pin, unsigned long new_len))
STUB(C_GetOperationState, (CK_SESSION_HANDLE session, unsigned char *operation_state,
	unsigned long *operation_state_len))
STUB(C_SetOperationState, (CK_SESSION_HANDLE session, unsigned char *operation_state,
	unsigned long operation_state_len, CK_OBJECT_HANDLE encryption_key,
	CK_OBJECT_HANDLE authentiation_key))
STUB(C_CreateObject, (CK_SESSION_HANDLE session, CK_ATTRIBUTE *templ, unsigned long count,
	CK_OBJECT_HANDLE *object))
STUB(C_CopyObject, (CK_SESSION_HANDLE session, CK_OBJECT_HANDLE object, CK_ATTRIBUTE *templ,
	unsigned long count, CK_OBJECT_HANDLE *new_object))
STUB(C_DestroyObject, (CK_SESSION_HANDLE session, CK_OBJECT_HANDLE object))
STUB(C_GetObjectSize, (CK_SESSION_HANDLE session, CK_OBJECT_HANDLE object, unsigned long *size))
STUB(C_SetAttributeValue, (CK_SESSION_HANDLE session, CK_OBJECT_HANDLE object, CK_ATTRIBUTE *templ,
	unsigned long count))
STUB(C_EncryptInit, (CK_SESSION_HANDLE session, CK_MECHANISM *mechanism, CK_OBJECT_HANDLE key))
STUB(C_Encrypt, (CK_SESSION_HANDLE session, unsigned char *data, unsigned long data_len,
	unsigned char *encrypted_data, unsigned long *encrypted_data_len))
STUB(C_EncryptUpdate, (CK_SESSION_HANDLE session, unsigned char *part, unsigned long part_len,
	unsigned char *encrypted_part, unsigned long *encrypted_part_len))
STUB(C_EncryptFinal, (CK_SESSION_HANDLE session, unsigned char *last_encrypted_part,
	unsigned long *last_encrypted_part_len))
STUB(C_DecryptInit, (CK_SESSION_HANDLE session, CK_MECHANISM *mechanism, CK_OBJECT_HANDLE key))
STUB(C_Decrypt, (CK_SESSION_HANDLE session, unsigned char *encrypted_data,
	unsigned long encrypted_data_len, unsigned char *data, unsigned long *data_len))
STUB(C_DecryptUpdate, (CK_SESSION_HANDLE session, unsigned char *encrypted_part,
	unsigned long encrypted_part_len, unsigned char *part, unsigned long *part_len))
STUB(C_DecryptFinal, (CK_SESSION_HANDLE session, unsigned char *last_part,
	unsigned long *last_part_len))
STUB(C_DigestInit, (CK_SESSION_HANDLE session, CK_MECHANISM *mechanism))
STUB(C_Digest, (CK_SESSION_HANDLE session, unsigned char *data, unsigned long data_len,
	unsigned char *digest, unsigned long *digest_len))
STUB(C_DigestUpdate, (CK_SESSION_HANDLE session, unsigned char *part, unsigned long part_len))
STUB(C_DigestKey, (CK_SESSION_HANDLE session, CK_OBJECT_HANDLE key))
STUB(C_DigestFinal, (CK_SESSION_HANDLE session, unsigned char *digest, unsigned long *digest_len))
STUB(C_SignUpdate, (CK_SESSION_HANDLE session, unsigned char *part, unsigned long part_len))
STUB(C_SignFinal, (CK_SESSION_HANDLE session, unsigned char *signature,
	unsigned long *signature_len))
STUB(C_SignRecoverInit, (CK_SESSION_HANDLE session, CK_MECHANISM *mechanism, CK_OBJECT_HANDLE key))
STUB(C_SignRecover, (CK_SESSION_HANDLE session, unsigned char *data, unsigned long data_len,
	unsigned char *signature, unsigned long *signature_len))
STUB(C_VerifyInit, (CK_SESSION_HANDLE session, CK_MECHANISM *mechanism, CK_OBJECT_HANDLE key))
STUB(C_Verify, (CK_SESSION_HANDLE session, unsigned char *data, unsigned long data_len,
	unsigned char *signature, unsigned long signature_len))
STUB(C_VerifyUpdate, (CK_SESSION_HANDLE session, unsigned char *part, unsigned long part_len))
STUB(C_VerifyFinal, (CK_SESSION_HANDLE session, unsigned char *signature,
	unsigned long signature_len))
STUB(C_VerifyRecoverInit, (CK_SESSION_HANDLE session, CK_MECHANISM *mechanism,
	CK_OBJECT_HANDLE key))
STUB(C_VerifyRecover, (CK_SESSION_HANDLE session, unsigned char *signature,
	unsigned long signature_len, unsigned char *data, unsigned long *data_len))
STUB(C_DigestEncryptUpdate, (CK_SESSION_HANDLE session, unsigned char *part, unsigned long part_len,
	unsigned char *encrypted_part, unsigned long *encrypted_part_len))
STUB(C_DecryptDigestUpdate, (CK_SESSION_HANDLE session, unsigned char *encrypted_part,
	unsigned long encrypted_part_len, unsigned char *part, unsigned long *part_len))
STUB(C_SignEncryptUpdate, (CK_SESSION_HANDLE session, unsigned char *part, unsigned long part_len,
	unsigned char *encrypted_part, unsigned long *encrypted_part_len))
STUB(C_DecryptVerifyUpdate, (CK_SESSION_HANDLE session, unsigned char *encrypted_part,
	unsigned long encrypted_part_len, unsigned char *part, unsigned long *part_len))
STUB(C_GenerateKey, (CK_SESSION_HANDLE session, CK_MECHANISM *mechanism, CK_ATTRIBUTE *templ,
	unsigned long count, CK_OBJECT_HANDLE *key))
STUB(C_WrapKey, (CK_SESSION_HANDLE session, CK_MECHANISM *mechanism, CK_OBJECT_HANDLE wrapping_key,
	CK_OBJECT_HANDLE key, unsigned char *wrapped_key, unsigned long *wrapped_key_len))
STUB(C_UnwrapKey, (CK_SESSION_HANDLE session, CK_MECHANISM *mechanism,
	CK_OBJECT_HANDLE unwrapping_key, unsigned char *wrapped_key, unsigned long wrapped_key_len,
	CK_ATTRIBUTE *templ, unsigned long attribute_count, CK_OBJECT_HANDLE *key))
STUB(C_DeriveKey, (CK_SESSION_HANDLE session, CK_MECHANISM *mechanism, CK_OBJECT_HANDLE base_key,
	CK_ATTRIBUTE *templ, unsigned long attribute_count, CK_OBJECT_HANDLE *key))
STUB(C_SeedRandom, (CK_SESSION_HANDLE session, unsigned char *seed, unsigned long seed_len))
STUB(C_GenerateRandom, (CK_SESSION_HANDLE session, unsigned char *random_data,
	unsigned long random_len))
STUB(C_GetFunctionStatus, (CK_SESSION_HANDLE session))
STUB(C_CancelFunction, (CK_SESSION_HANDLE session))

static CK_RV mock_C_GetFunctionList(CK_FUNCTION_LIST **list);

static CK_FUNCTION_LIST functions = {
	.version = { 2, 40 },
	.C_Initialize = mock_C_Initialize,
	.C_Finalize = mock_C_Finalize,
	.C_GetInfo = mock_C_GetInfo,
	.C_GetFunctionList = mock_C_GetFunctionList,
	.C_GetSlotList = mock_C_GetSlotList,
	.C_GetSlotInfo = mock_C_GetSlotInfo,
	.C_GetTokenInfo = mock_C_GetTokenInfo,
	.C_GetMechanismList = mock_C_GetMechanismList,
	.C_GetMechanismInfo = mock_C_GetMechanismInfo,
	.C_InitToken = mock_C_InitToken,
	.C_InitPIN = mock_C_InitPIN,
	.C_SetPIN = mock_C_SetPIN,
	.C_OpenSession = mock_C_OpenSession,
	.C_CloseSession = mock_C_CloseSession,
	.C_CloseAllSessions = mock_C_CloseAllSessions,
	.C_GetSessionInfo = mock_C_GetSessionInfo,
	.C_GetOperationState = mock_C_GetOperationState,
	.C_SetOperationState = mock_C_SetOperationState,
	.C_Login = mock_C_Login,
	.C_Logout = mock_C_Logout,
	.C_CreateObject = mock_C_CreateObject,
	.C_CopyObject = mock_C_CopyObject,
	.C_DestroyObject = mock_C_DestroyObject,
	.C_GetObjectSize = mock_C_GetObjectSize,
	.C_GetAttributeValue = mock_C_GetAttributeValue,
	.C_SetAttributeValue = mock_C_SetAttributeValue,
	.C_FindObjectsInit = mock_C_FindObjectsInit,
	.C_FindObjects = mock_C_FindObjects,
	.C_FindObjectsFinal = mock_C_FindObjectsFinal,
	.C_EncryptInit = mock_C_EncryptInit,
	.C_Encrypt = mock_C_Encrypt,
	.C_EncryptUpdate = mock_C_EncryptUpdate,
	.C_EncryptFinal = mock_C_EncryptFinal,
	.C_DecryptInit = mock_C_DecryptInit,
	.C_Decrypt = mock_C_Decrypt,
	.C_DecryptUpdate = mock_C_DecryptUpdate,
	.C_DecryptFinal = mock_C_DecryptFinal,
	.C_DigestInit = mock_C_DigestInit,
	.C_Digest = mock_C_Digest,
	.C_DigestUpdate = mock_C_DigestUpdate,
	.C_DigestKey = mock_C_DigestKey,
	.C_DigestFinal = mock_C_DigestFinal,
	.C_SignInit = mock_C_SignInit,
	.C_Sign = mock_C_Sign,
	.C_SignUpdate = mock_C_SignUpdate,
	.C_SignFinal = mock_C_SignFinal,
	.C_SignRecoverInit = mock_C_SignRecoverInit,
	.C_SignRecover = mock_C_SignRecover,
	.C_VerifyInit = mock_C_VerifyInit,
	.C_Verify = mock_C_Verify,
	.C_VerifyUpdate = mock_C_VerifyUpdate,
	.C_VerifyFinal = mock_C_VerifyFinal,
	.C_VerifyRecoverInit = mock_C_VerifyRecoverInit,
	.C_VerifyRecover = mock_C_VerifyRecover,
	.C_DigestEncryptUpdate = mock_C_DigestEncryptUpdate,
	.C_DecryptDigestUpdate = mock_C_DecryptDigestUpdate,
	.C_SignEncryptUpdate = mock_C_SignEncryptUpdate,
	.C_DecryptVerifyUpdate = mock_C_DecryptVerifyUpdate,
	.C_GenerateKey = mock_C_GenerateKey,
	.C_GenerateKeyPair = mock_C_GenerateKeyPair,
	.C_WrapKey = mock_C_WrapKey,
	.C_UnwrapKey = mock_C_UnwrapKey,
	.C_DeriveKey = mock_C_DeriveKey,
	.C_SeedRandom = mock_C_SeedRandom,
	.C_GenerateRandom = mock_C_GenerateRandom,
	.C_GetFunctionStatus = mock_C_GetFunctionStatus,
	.C_CancelFunction = mock_C_CancelFunction,
	.C_WaitForSlotEvent = mock_C_WaitForSlotEvent,
};

static CK_RV mock_C_GetFunctionList(CK_FUNCTION_LIST **list)
{
	if (!list)
		return CKR_ARGUMENTS_BAD;
	*list = &functions;
	return CKR_OK;
}

/* The one symbol a PKCS#11 module exports. */
__attribute__((visibility("default"))) CK_RV C_GetFunctionList(CK_FUNCTION_LIST **list)
{
	return mock_C_GetFunctionList(list);
}
#endif
