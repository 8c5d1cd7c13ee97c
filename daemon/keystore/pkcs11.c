/* PKCS#11 modules, tokens, sessions and login through p11-kit; see
 * pkcs11.h. Keys and signing: pkcs11-keys.c; key generation and
 * certificate import: pkcs11-enroll.c. */
#include "daemon/keystore/pkcs11-internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/cleanup.h"

/* ---- errors ------------------------------------------------------------ */

#define RV(name) { name, #name }

static const struct {
	CK_RV rv;
	const char *name;
} rv_names[] = {
	RV(CKR_OK),
	RV(CKR_CANCEL),
	RV(CKR_HOST_MEMORY),
	RV(CKR_SLOT_ID_INVALID),
	RV(CKR_GENERAL_ERROR),
	RV(CKR_FUNCTION_FAILED),
	RV(CKR_ARGUMENTS_BAD),
	RV(CKR_NO_EVENT),
	RV(CKR_NEED_TO_CREATE_THREADS),
	RV(CKR_CANT_LOCK),
	RV(CKR_ATTRIBUTE_READ_ONLY),
	RV(CKR_ATTRIBUTE_SENSITIVE),
	RV(CKR_ATTRIBUTE_TYPE_INVALID),
	RV(CKR_ATTRIBUTE_VALUE_INVALID),
	RV(CKR_ACTION_PROHIBITED),
	RV(CKR_DATA_INVALID),
	RV(CKR_DATA_LEN_RANGE),
	RV(CKR_DEVICE_ERROR),
	RV(CKR_DEVICE_MEMORY),
	RV(CKR_DEVICE_REMOVED),
	RV(CKR_ENCRYPTED_DATA_INVALID),
	RV(CKR_ENCRYPTED_DATA_LEN_RANGE),
	RV(CKR_FUNCTION_CANCELED),
	RV(CKR_FUNCTION_NOT_PARALLEL),
	RV(CKR_FUNCTION_NOT_SUPPORTED),
	RV(CKR_KEY_HANDLE_INVALID),
	RV(CKR_KEY_SIZE_RANGE),
	RV(CKR_KEY_TYPE_INCONSISTENT),
	RV(CKR_KEY_NOT_NEEDED),
	RV(CKR_KEY_CHANGED),
	RV(CKR_KEY_NEEDED),
	RV(CKR_KEY_INDIGESTIBLE),
	RV(CKR_KEY_FUNCTION_NOT_PERMITTED),
	RV(CKR_KEY_NOT_WRAPPABLE),
	RV(CKR_KEY_UNEXTRACTABLE),
	RV(CKR_MECHANISM_INVALID),
	RV(CKR_MECHANISM_PARAM_INVALID),
	RV(CKR_OBJECT_HANDLE_INVALID),
	RV(CKR_OPERATION_ACTIVE),
	RV(CKR_OPERATION_NOT_INITIALIZED),
	RV(CKR_PIN_INCORRECT),
	RV(CKR_PIN_INVALID),
	RV(CKR_PIN_LEN_RANGE),
	RV(CKR_PIN_EXPIRED),
	RV(CKR_PIN_LOCKED),
	RV(CKR_SESSION_CLOSED),
	RV(CKR_SESSION_COUNT),
	RV(CKR_SESSION_HANDLE_INVALID),
	RV(CKR_SESSION_PARALLEL_NOT_SUPPORTED),
	RV(CKR_SESSION_READ_ONLY),
	RV(CKR_SESSION_EXISTS),
	RV(CKR_SESSION_READ_ONLY_EXISTS),
	RV(CKR_SESSION_READ_WRITE_SO_EXISTS),
	RV(CKR_SIGNATURE_INVALID),
	RV(CKR_SIGNATURE_LEN_RANGE),
	RV(CKR_TEMPLATE_INCOMPLETE),
	RV(CKR_TEMPLATE_INCONSISTENT),
	RV(CKR_TOKEN_NOT_PRESENT),
	RV(CKR_TOKEN_NOT_RECOGNIZED),
	RV(CKR_TOKEN_WRITE_PROTECTED),
	RV(CKR_UNWRAPPING_KEY_SIZE_RANGE),
	RV(CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT),
	RV(CKR_USER_ALREADY_LOGGED_IN),
	RV(CKR_USER_NOT_LOGGED_IN),
	RV(CKR_USER_PIN_NOT_INITIALIZED),
	RV(CKR_USER_TYPE_INVALID),
	RV(CKR_USER_ANOTHER_ALREADY_LOGGED_IN),
	RV(CKR_USER_TOO_MANY_TYPES),
	RV(CKR_WRAPPED_KEY_INVALID),
	RV(CKR_WRAPPED_KEY_LEN_RANGE),
	RV(CKR_WRAPPING_KEY_HANDLE_INVALID),
	RV(CKR_WRAPPING_KEY_SIZE_RANGE),
	RV(CKR_WRAPPING_KEY_TYPE_INCONSISTENT),
	RV(CKR_RANDOM_SEED_NOT_SUPPORTED),
	RV(CKR_RANDOM_NO_RNG),
	RV(CKR_DOMAIN_PARAMS_INVALID),
	RV(CKR_CURVE_NOT_SUPPORTED),
	RV(CKR_BUFFER_TOO_SMALL),
	RV(CKR_SAVED_STATE_INVALID),
	RV(CKR_INFORMATION_SENSITIVE),
	RV(CKR_STATE_UNSAVEABLE),
	RV(CKR_CRYPTOKI_NOT_INITIALIZED),
	RV(CKR_CRYPTOKI_ALREADY_INITIALIZED),
	RV(CKR_MUTEX_BAD),
	RV(CKR_MUTEX_NOT_LOCKED),
	RV(CKR_NEW_PIN_MODE),
	RV(CKR_NEXT_OTP),
	RV(CKR_EXCEEDED_MAX_ITERATIONS),
	RV(CKR_FIPS_SELF_TEST_FAILED),
	RV(CKR_LIBRARY_LOAD_FAILED),
	RV(CKR_PIN_TOO_WEAK),
	RV(CKR_PUBLIC_KEY_INVALID),
	RV(CKR_FUNCTION_REJECTED),
};

const char *pkcs11_rv_name(unsigned long rv)
{
	for (size_t i = 0; i < G_N_ELEMENTS(rv_names); i++)
		if (rv_names[i].rv == rv)
			return rv_names[i].name;
	return NULL;
}

/* "CKR_GENERAL_ERROR (0x5)", or the bare number for a vendor's value. */
static char *rv_text(CK_RV rv)
{
	const char *name = pkcs11_rv_name(rv);

	return name ? g_strdup_printf("%s (0x%lx)", name, rv) : g_strdup_printf("CKR 0x%lx", rv);
}

static int rv_to_error(CK_RV rv)
{
	switch (rv) {
	case CKR_OK:
		return 0;
	case CKR_HOST_MEMORY:
		return -ENOMEM;
	case CKR_DEVICE_REMOVED:
	case CKR_TOKEN_NOT_PRESENT:
	case CKR_DEVICE_ERROR:
	case CKR_SESSION_HANDLE_INVALID:
	case CKR_SESSION_CLOSED:
		return PKCS11_E_REMOVED;
	case CKR_PIN_INCORRECT:
	case CKR_PIN_INVALID:
	case CKR_PIN_LEN_RANGE:
		return PKCS11_E_PIN_INCORRECT;
	case CKR_PIN_LOCKED:
		return PKCS11_E_PIN_LOCKED;
	case CKR_USER_NOT_LOGGED_IN:
		return PKCS11_E_LOGIN_REQUIRED;
	case CKR_MECHANISM_INVALID:
	case CKR_MECHANISM_PARAM_INVALID:
	case CKR_KEY_TYPE_INCONSISTENT:
	case CKR_KEY_FUNCTION_NOT_PERMITTED:
	case CKR_FUNCTION_NOT_SUPPORTED:
		return PKCS11_E_UNSUPPORTED;
	default:
		return PKCS11_E_FAILED;
	}
}

int pkcs11_rv_error(struct pkcs11_session *s, CK_RV rv)
{
	if (rv != CKR_OK && s)
		s->last_rv = rv;
	return rv_to_error(rv);
}

/* ---- modules ----------------------------------------------------------- */

static struct pkcs11_module *module_new(CK_FUNCTION_LIST *funcs, const char *fallback_name)
{
	struct pkcs11_module *m = g_new0(struct pkcs11_module, 1);
	char *name = p11_kit_module_get_name(funcs);
	char *path = p11_kit_module_get_filename(funcs);

	g_atomic_ref_count_init(&m->refs);
	g_mutex_init(&m->lock);
	m->funcs = funcs;
	/* p11-kit's strings come from malloc(); ours are GLib's. */
	m->name = g_strdup(name ? name : fallback_name ? fallback_name : "");
	m->path = g_strdup(path ? path : fallback_name ? fallback_name : "");
	free(name);
	free(path);
	m->busy = g_array_new(FALSE, FALSE, sizeof(CK_SLOT_ID));
	return m;
}

struct pkcs11_module *pkcs11_module_free(struct pkcs11_module *m)
{
	if (!m || !g_atomic_ref_count_dec(&m->refs))
		return NULL;
	/* Managed modules close what sessions are left in C_Finalize. */
	p11_kit_module_finalize(m->funcs);
	p11_kit_module_release(m->funcs);
	g_array_unref(m->busy);
	g_mutex_clear(&m->lock);
	g_free(m->name);
	g_free(m->path);
	g_free(m);
	return NULL;
}

int pkcs11_module_load(const char *path, struct pkcs11_module **ret, char **ret_why)
{
	CK_FUNCTION_LIST *funcs;
	CK_RV rv;

	if (!path || !ret)
		return -EINVAL;
	/* Flags 0: a managed module, with C_Initialize counted per user. */
	funcs = p11_kit_module_load(path, 0);
	if (!funcs) {
		const char *msg = p11_kit_message();

		if (ret_why)
			*ret_why = g_strdup_printf("cannot load the PKCS#11 module %s: %s", path,
						   msg ? msg : "not a PKCS#11 module");
		return PKCS11_E_MODULE;
	}
	rv = p11_kit_module_initialize(funcs);
	if (rv != CKR_OK) {
		if (ret_why) {
			g_autofree char *text = rv_text(rv);

			*ret_why = g_strdup_printf("the PKCS#11 module %s failed to initialise: "
						   "C_Initialize returned %s",
						   path, text);
		}
		p11_kit_module_release(funcs);
		return PKCS11_E_MODULE;
	}
	*ret = module_new(funcs, path);
	return 0;
}

int pkcs11_modules_registered(struct pkcs11_module ***ret, size_t *ret_n)
{
	CK_FUNCTION_LIST **list;
	struct pkcs11_module **mods;
	size_t n = 0;

	if (!ret || !ret_n)
		return -EINVAL;
	list = p11_kit_modules_load_and_initialize(0);
	if (!list)
		return PKCS11_E_MODULE;
	while (list[n])
		n++;
	mods = g_new0(struct pkcs11_module *, n + 1);
	for (size_t i = 0; i < n; i++)
		mods[i] = module_new(list[i], NULL);
	/* The modules are ours now; only the array goes. */
	free(list);
	*ret = mods;
	*ret_n = n;
	return 0;
}

void pkcs11_modules_free(struct pkcs11_module **mods, size_t n)
{
	if (!mods)
		return;
	for (size_t i = 0; i < n; i++)
		pkcs11_module_free(mods[i]);
	g_free(mods);
}

const char *pkcs11_module_name(const struct pkcs11_module *m)
{
	return m->name;
}

const char *pkcs11_module_path(const struct pkcs11_module *m)
{
	return m->path;
}

/* ---- tokens ------------------------------------------------------------ */

static unsigned token_flags(CK_FLAGS f)
{
	unsigned flags = 0;

	if (f & CKF_LOGIN_REQUIRED)
		flags |= PKCS11_TOKEN_LOGIN_REQUIRED;
	if (f & CKF_PROTECTED_AUTHENTICATION_PATH)
		flags |= PKCS11_TOKEN_PROTECTED_AUTH;
	if (f & CKF_USER_PIN_COUNT_LOW)
		flags |= PKCS11_TOKEN_PIN_COUNT_LOW;
	if (f & CKF_USER_PIN_FINAL_TRY)
		flags |= PKCS11_TOKEN_PIN_FINAL_TRY;
	if (f & CKF_USER_PIN_LOCKED)
		flags |= PKCS11_TOKEN_PIN_LOCKED;
	if (f & CKF_USER_PIN_TO_BE_CHANGED)
		flags |= PKCS11_TOKEN_PIN_TO_BE_CHANGED;
	if (!(f & CKF_USER_PIN_INITIALIZED))
		flags |= PKCS11_TOKEN_PIN_UNINITIALIZED;
	if (!(f & CKF_TOKEN_INITIALIZED))
		flags |= PKCS11_TOKEN_UNINITIALIZED;
	if (f & CKF_WRITE_PROTECTED)
		flags |= PKCS11_TOKEN_WRITE_PROTECTED;
	return flags;
}

/* A blank-padded CK_TOKEN_INFO field into a C string of size n + 1. */
static void blank_padded(char *dst, const unsigned char *src, size_t n)
{
	size_t len = p11_kit_space_strlen(src, n);

	memcpy(dst, src, len);
	dst[len] = '\0';
}

static CK_RV token_read(CK_FUNCTION_LIST *f, CK_SLOT_ID slot, struct pkcs11_token *ret)
{
	CK_TOKEN_INFO info;
	CK_RV rv;

	memset(&info, 0, sizeof(info));
	rv = f->C_GetTokenInfo(slot, &info);
	if (rv != CKR_OK)
		return rv;
	ret->slot = slot;
	blank_padded(ret->label, info.label, sizeof(info.label));
	blank_padded(ret->manufacturer, info.manufacturerID, sizeof(info.manufacturerID));
	blank_padded(ret->model, info.model, sizeof(info.model));
	blank_padded(ret->serial, info.serialNumber, sizeof(info.serialNumber));
	ret->flags = token_flags(info.flags);
	return CKR_OK;
}

static int slot_error(CK_RV rv)
{
	switch (rv) {
	case CKR_SLOT_ID_INVALID:
	case CKR_TOKEN_NOT_PRESENT:
	case CKR_DEVICE_REMOVED:
	case CKR_TOKEN_NOT_RECOGNIZED:
		return PKCS11_E_NO_TOKEN;
	default:
		return rv_to_error(rv);
	}
}

int pkcs11_module_tokens(struct pkcs11_module *m, struct pkcs11_token **ret, size_t *ret_n)
{
	g_autoptr(GMutexLocker) locker = NULL;
	g_autofree CK_SLOT_ID *slots = NULL;
	g_autofree struct pkcs11_token *tokens = NULL;
	CK_ULONG n = 0;
	size_t found = 0;
	CK_RV rv;

	if (!m || !ret || !ret_n)
		return -EINVAL;
	locker = module_lock(m);
	/* Slots come and go (readers plugged in): ask again when the count
	 * changed between the two calls. */
	for (int tries = 0;; tries++) {
		rv = m->funcs->C_GetSlotList(CK_TRUE, NULL, &n);
		if (rv != CKR_OK)
			return rv_to_error(rv);
		if (n > PKCS11_MAX_OBJECTS)
			return PKCS11_E_FAILED;
		g_free(slots);
		slots = g_new0(CK_SLOT_ID, n + 1);
		rv = m->funcs->C_GetSlotList(CK_TRUE, slots, &n);
		if (rv == CKR_OK)
			break;
		if (rv != CKR_BUFFER_TOO_SMALL || tries == 3)
			return rv_to_error(rv);
	}
	tokens = g_new0(struct pkcs11_token, n + 1);
	for (CK_ULONG i = 0; i < n; i++) {
		/* A token pulled out meanwhile is simply not listed. */
		if (token_read(m->funcs, slots[i], &tokens[found]) == CKR_OK)
			found++;
	}
	*ret = TAKE_PTR(tokens);
	*ret_n = found;
	return 0;
}

int pkcs11_module_token(struct pkcs11_module *m, unsigned long slot, struct pkcs11_token *ret)
{
	g_autoptr(GMutexLocker) locker = NULL;
	struct pkcs11_token t;
	CK_RV rv;

	if (!m || !ret)
		return -EINVAL;
	locker = module_lock(m);
	rv = token_read(m->funcs, slot, &t);
	if (rv != CKR_OK)
		return slot_error(rv);
	*ret = t;
	return 0;
}

enum pkcs11_pin_state pkcs11_pin_state(unsigned flags)
{
	if (flags & PKCS11_TOKEN_PIN_LOCKED)
		return PKCS11_PIN_LOCKED;
	if (flags & PKCS11_TOKEN_PIN_FINAL_TRY)
		return PKCS11_PIN_FINAL_TRY;
	if (flags & PKCS11_TOKEN_PIN_COUNT_LOW)
		return PKCS11_PIN_COUNT_LOW;
	return PKCS11_PIN_OK;
}

/* ---- sessions ---------------------------------------------------------- */

static bool slot_busy(struct pkcs11_module *m, CK_SLOT_ID slot, guint *ret_index)
{
	for (guint i = 0; i < m->busy->len; i++) {
		if (g_array_index(m->busy, CK_SLOT_ID, i) == slot) {
			if (ret_index)
				*ret_index = i;
			return true;
		}
	}
	return false;
}

static void flags_refresh(struct pkcs11_session *s)
{
	struct pkcs11_token t;

	/* A token that cannot say keeps the flags it had. */
	if (token_read(s->m->funcs, s->slot, &t) == CKR_OK)
		s->token_flags = t.flags;
}

int pkcs11_session_open(struct pkcs11_module *m, unsigned long slot, bool rw,
			struct pkcs11_session **ret)
{
	g_autoptr(GMutexLocker) locker = NULL;
	struct pkcs11_session *s;
	CK_FLAGS flags = CKF_SERIAL_SESSION | (rw ? CKF_RW_SESSION : 0);
	CK_SESSION_HANDLE h = CK_INVALID_HANDLE;
	CK_RV rv;

	if (!m || !ret)
		return -EINVAL;
	locker = module_lock(m);
	if (slot_busy(m, slot, NULL))
		return PKCS11_E_BUSY;
	rv = m->funcs->C_OpenSession(slot, flags, NULL, NULL, &h);
	if (rv != CKR_OK)
		return slot_error(rv);
	s = g_new0(struct pkcs11_session, 1);
	g_atomic_ref_count_inc(&m->refs);
	s->m = m;
	s->h = h;
	s->slot = slot;
	s->rw = rw;
	g_array_append_val(m->busy, s->slot);
	flags_refresh(s);
	*ret = s;
	return 0;
}

struct pkcs11_session *pkcs11_session_free(struct pkcs11_session *s)
{
	struct pkcs11_module *m;
	guint i;

	if (!s)
		return NULL;
	m = s->m;
	g_mutex_lock(&m->lock);
	/* Logging out matters even though closing the last session ends the
	 * login: another user of the module may keep a session open. A
	 * token that is gone answers with errors we cannot act on. */
	if (s->logged_in)
		m->funcs->C_Logout(s->h);
	m->funcs->C_CloseSession(s->h);
	if (slot_busy(m, s->slot, &i))
		g_array_remove_index_fast(m->busy, i);
	g_mutex_unlock(&m->lock);
	g_free(s);
	pkcs11_module_free(m);
	return NULL;
}

int pkcs11_session_login(struct pkcs11_session *s, const char *pin)
{
	g_autoptr(GMutexLocker) locker = NULL;
	CK_FUNCTION_LIST *f;
	CK_ULONG pin_len;
	CK_RV rv;

	if (!s)
		return -EINVAL;
	if (!pin && !(s->token_flags & PKCS11_TOKEN_PROTECTED_AUTH))
		return -EINVAL;
	locker = module_lock(s->m);
	f = s->m->funcs;
	pin_len = pin ? strlen(pin) : 0;
	/* The PIN is passed as it is: no copy to wipe. */
	rv = f->C_Login(s->h, CKU_USER, (CK_UTF8CHAR_PTR)pin, pin_len);
	if (rv == CKR_USER_ALREADY_LOGGED_IN) {
		/* Someone else in this process logged the token in: start
		 * over, so that this PIN is checked. */
		f->C_Logout(s->h);
		rv = f->C_Login(s->h, CKU_USER, (CK_UTF8CHAR_PTR)pin, pin_len);
	}
	/* Fresh flags for "tries left", good PIN (counter reset) or not. */
	flags_refresh(s);
	if (rv != CKR_OK)
		return pkcs11_rv_error(s, rv);
	s->logged_in = true;
	return 0;
}

unsigned long pkcs11_session_slot(const struct pkcs11_session *s)
{
	return s->slot;
}

bool pkcs11_session_logged_in(const struct pkcs11_session *s)
{
	return s->logged_in;
}

unsigned pkcs11_session_token_flags(const struct pkcs11_session *s)
{
	return s->token_flags;
}

enum pkcs11_pin_state pkcs11_session_pin_state(const struct pkcs11_session *s)
{
	return pkcs11_pin_state(s->token_flags);
}

unsigned long pkcs11_session_last_rv(const struct pkcs11_session *s)
{
	return s->last_rv;
}

/* ---- objects ----------------------------------------------------------- */

#define FIND_BATCH 32

int pkcs11_find(struct pkcs11_session *s, CK_ATTRIBUTE *templ, CK_ULONG n,
		CK_OBJECT_HANDLE **ret, size_t *ret_n)
{
	CK_FUNCTION_LIST *f = s->m->funcs;
	g_autoptr(GArray) found = g_array_new(FALSE, FALSE, sizeof(CK_OBJECT_HANDLE));
	CK_OBJECT_HANDLE batch[FIND_BATCH];
	CK_ULONG got = 0;
	CK_RV rv, rv_final;

	rv = f->C_FindObjectsInit(s->h, templ, n);
	if (rv != CKR_OK)
		return pkcs11_rv_error(s, rv);
	do {
		rv = f->C_FindObjects(s->h, batch, FIND_BATCH, &got);
		if (rv != CKR_OK)
			break;
		if (got > FIND_BATCH)
			got = FIND_BATCH;
		g_array_append_vals(found, batch, got);
	} while (got > 0 && found->len < PKCS11_MAX_OBJECTS);
	rv_final = f->C_FindObjectsFinal(s->h);
	if (rv == CKR_OK)
		rv = rv_final;
	if (rv != CKR_OK)
		return pkcs11_rv_error(s, rv);
	if (found->len > PKCS11_MAX_OBJECTS)
		g_array_set_size(found, PKCS11_MAX_OBJECTS);
	*ret_n = found->len;
	*ret = found->len ? (CK_OBJECT_HANDLE *)g_array_free(g_steal_pointer(&found), FALSE) : NULL;
	return 0;
}

int pkcs11_find_by_id(struct pkcs11_session *s, CK_OBJECT_CLASS class, const uint8_t *id,
		      size_t id_len, CK_OBJECT_HANDLE **ret, size_t *ret_n)
{
	CK_ATTRIBUTE templ[] = {
		{ CKA_CLASS, &class, sizeof(class) },
		{ CKA_ID, (void *)id, id_len },
	};

	return pkcs11_find(s, templ, id ? 2 : 1, ret, ret_n);
}

int pkcs11_attr(struct pkcs11_session *s, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_TYPE type,
		uint8_t **ret, size_t *ret_len)
{
	CK_FUNCTION_LIST *f = s->m->funcs;
	CK_ATTRIBUTE a = { type, NULL, 0 };
	g_autofree uint8_t *buf = NULL;
	CK_RV rv;

	rv = f->C_GetAttributeValue(s->h, obj, &a, 1);
	if (rv == CKR_ATTRIBUTE_SENSITIVE || rv == CKR_ATTRIBUTE_TYPE_INVALID ||
	    (rv == CKR_OK && a.ulValueLen == CK_UNAVAILABLE_INFORMATION))
		return PKCS11_E_NOT_FOUND;
	if (rv != CKR_OK)
		return pkcs11_rv_error(s, rv);
	if (a.ulValueLen > PKCS11_MAX_ATTRIBUTE)
		return PKCS11_E_FAILED;
	buf = g_malloc0(a.ulValueLen + 1);
	a.pValue = buf;
	rv = f->C_GetAttributeValue(s->h, obj, &a, 1);
	if (rv != CKR_OK)
		return pkcs11_rv_error(s, rv);
	/* A module must not grow the value between the calls; if it says
	 * it did, do not believe the rest. */
	if (a.ulValueLen == CK_UNAVAILABLE_INFORMATION || a.ulValueLen > PKCS11_MAX_ATTRIBUTE)
		return PKCS11_E_FAILED;
	*ret = g_steal_pointer(&buf);
	*ret_len = a.ulValueLen;
	return 0;
}

int pkcs11_attr_ulong(struct pkcs11_session *s, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_TYPE type,
		      CK_ULONG *ret)
{
	CK_ULONG v = 0;
	CK_ATTRIBUTE a = { type, &v, sizeof(v) };
	CK_RV rv = s->m->funcs->C_GetAttributeValue(s->h, obj, &a, 1);

	if (rv == CKR_ATTRIBUTE_SENSITIVE || rv == CKR_ATTRIBUTE_TYPE_INVALID ||
	    (rv == CKR_OK && a.ulValueLen != sizeof(v)))
		return PKCS11_E_NOT_FOUND;
	if (rv != CKR_OK)
		return pkcs11_rv_error(s, rv);
	*ret = v;
	return 0;
}

bool pkcs11_has_mechanism(struct pkcs11_session *s, CK_MECHANISM_TYPE mech, CK_FLAGS flags)
{
	CK_MECHANISM_INFO info;

	memset(&info, 0, sizeof(info));
	if (s->m->funcs->C_GetMechanismInfo(s->slot, mech, &info) != CKR_OK)
		return false;
	return (info.flags & flags) == flags;
}
