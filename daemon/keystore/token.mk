# keystore/: keys on PKCS#11 tokens through p11-kit (pkcs11.h). Included
# from daemon/keystore/local.mk.
daemon_libqoltanbad_a_SOURCES += \
	daemon/keystore/pkcs11.c \
	daemon/keystore/pkcs11.h \
	daemon/keystore/pkcs11-internal.h \
	daemon/keystore/pkcs11-keys.c \
	daemon/keystore/pkcs11-enroll.c \
	$(NULL)

# A PKCS#11 module that fails on purpose: C_Initialize, a PIN that locks,
# a token pulled out while signing (tests/helpers/p11-failing.c). Built
# as a shared object with the program rules (the tree has no libtool);
# p11-noentry.so is the same file without C_GetFunctionList.
check_PROGRAMS += tests/helpers/p11-failing.so tests/helpers/p11-noentry.so
tests_helpers_p11_failing_so_SOURCES = tests/helpers/p11-failing.c
tests_helpers_p11_failing_so_CPPFLAGS = $(AM_CPPFLAGS) $(P11KIT_CFLAGS)
tests_helpers_p11_failing_so_CFLAGS = $(AM_CFLAGS) -fPIC -fvisibility=hidden
tests_helpers_p11_failing_so_LDFLAGS = $(AM_LDFLAGS) -shared
tests_helpers_p11_noentry_so_SOURCES = tests/helpers/p11-failing.c
tests_helpers_p11_noentry_so_CPPFLAGS = $(AM_CPPFLAGS) $(P11KIT_CFLAGS) -DP11_FAILING_NO_ENTRY
tests_helpers_p11_noentry_so_CFLAGS = $(AM_CFLAGS) -fPIC -fvisibility=hidden
tests_helpers_p11_noentry_so_LDFLAGS = $(AM_LDFLAGS) -shared

# Against SoftHSM2 (skipped, saying so, without it) and the module above.
check_PROGRAMS += tests/unit/test-pkcs11
unit_tests += tests/unit/test-pkcs11
tests_unit_test_pkcs11_SOURCES = tests/unit/test-pkcs11.c
tests_unit_test_pkcs11_CPPFLAGS = $(daemon_libqoltanbad_a_CPPFLAGS) \
	-DTEST_HELPERS_DIR=\"$(abs_top_builddir)/tests/helpers\"
tests_unit_test_pkcs11_LDADD = daemon/libqoltanbad.a $(P11KIT_LIBS) $(OPENSSL_LIBS) $(GLIB_LIBS)
tests_unit_test_pkcs11_DEPENDENCIES = daemon/libqoltanbad.a \
	tests/helpers/p11-failing.so tests/helpers/p11-noentry.so
