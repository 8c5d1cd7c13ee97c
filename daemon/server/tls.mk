# TLS for wss://127.0.0.1:13579: the local CA (localca) and trusting it in
# the browsers' NSS databases (nssdb). Included after daemon/local.mk.
daemon_libqoltanbad_a_SOURCES += \
	daemon/server/localca.c \
	daemon/server/localca.h \
	daemon/server/nssdb.c \
	daemon/server/nssdb.h \
	$(NULL)

check_PROGRAMS += tests/unit/test-localca tests/unit/test-nssdb
unit_tests += tests/unit/test-localca tests/unit/test-nssdb

tests_unit_test_localca_SOURCES = tests/unit/test-localca.c
tests_unit_test_localca_CPPFLAGS = $(daemon_libqoltanbad_a_CPPFLAGS)
tests_unit_test_localca_LDADD = daemon/libqoltanbad.a $(OPENSSL_LIBS) $(GLIB_LIBS)

# Runs the real certutil (CERTUTIL_PATH, from configure); skips without it.
tests_unit_test_nssdb_SOURCES = tests/unit/test-nssdb.c
tests_unit_test_nssdb_CPPFLAGS = $(daemon_libqoltanbad_a_CPPFLAGS)
tests_unit_test_nssdb_LDADD = daemon/libqoltanbad.a $(OPENSSL_LIBS) $(GLIB_LIBS)
