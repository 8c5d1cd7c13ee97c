# web/portal/: the demo portal (egov.kz, the identity service and NCA's
# issuance stood in for), its HTTP API in API.md. Included after
# web/testca/local.mk.

# The signature checker: the portal's POST /api/verify and the tests'
# gost-verify helper share it.
noinst_LIBRARIES += web/portal/libsigcheck.a
web_portal_libsigcheck_a_SOURCES = \
	web/portal/sigcheck.c \
	web/portal/sigcheck.h \
	$(NULL)
web_portal_libsigcheck_a_CPPFLAGS = $(AM_CPPFLAGS) $(OPENSSL_CFLAGS) $(LIBXML_CFLAGS) \
	$(GLIB_CFLAGS)

SIGCHECK_LIBS = web/portal/libsigcheck.a daemon/libqoltanbad.a $(LIBXML_LIBS) \
	$(OPENSSL_LIBS) $(GLIB_LIBS)

# The calls, without HTTP, so that the unit test drives them directly.
noinst_LIBRARIES += web/portal/libportal.a
web_portal_libportal_a_SOURCES = \
	web/portal/app.c \
	web/portal/app.h \
	web/portal/app-private.h \
	web/portal/app-util.c \
	web/portal/app-login.c \
	web/portal/app-ident.c \
	web/portal/app-issue.c \
	web/portal/app-verify.c \
	web/portal/media.c \
	web/portal/media.h \
	web/portal/register.c \
	web/portal/register.h \
	web/portal/store.c \
	web/portal/store.h \
	web/portal/texts.c \
	web/portal/texts.h \
	$(NULL)
web_portal_libportal_a_CPPFLAGS = $(AM_CPPFLAGS) $(GLIB_CFLAGS) $(JSONC_CFLAGS) \
	$(OPENSSL_CFLAGS)

PORTAL_LIBS = web/portal/libportal.a web/testca/libqoltanbatestca.a $(SIGCHECK_LIBS) \
	$(JSONC_LIBS)

# The register's path in the source tree: the program is not installed.
portal_register = -DPORTAL_REGISTER=\"$(abs_top_srcdir)/web/portal/register.json\"

noinst_PROGRAMS += web/portal/qoltanba-portal
web_portal_qoltanba_portal_SOURCES = \
	web/portal/main.c \
	web/portal/http.c \
	web/portal/http.h \
	$(NULL)
web_portal_qoltanba_portal_CPPFLAGS = $(AM_CPPFLAGS) $(GLIB_CFLAGS) $(LWS_CFLAGS) \
	$(portal_register)
web_portal_qoltanba_portal_LDADD = $(PORTAL_LIBS) $(LWS_LIBS)

check_PROGRAMS += tests/unit/test-demo-portal
unit_tests += tests/unit/test-demo-portal
tests_unit_test_demo_portal_SOURCES = tests/unit/test-demo-portal.c
tests_unit_test_demo_portal_CPPFLAGS = $(AM_CPPFLAGS) $(GLIB_CFLAGS) $(JSONC_CFLAGS) \
	$(OPENSSL_CFLAGS) $(LIBXML_CFLAGS) $(portal_register)
tests_unit_test_demo_portal_LDADD = $(PORTAL_LIBS)

integration_tests += tests/integration/portal.mjs

EXTRA_DIST += \
	web/portal/API.md \
	web/portal/README.md \
	web/portal/register.json \
	$(NULL)
