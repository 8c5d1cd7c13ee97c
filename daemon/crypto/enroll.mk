# crypto/: key generation and PKCS#10 requests for remote key issuance
# (csr.c; kzgost.c signs GOST requests and certificates).
# Included after daemon/crypto/crypto.mk.
daemon_libqoltanbad_a_SOURCES += \
	daemon/crypto/csr.c \
	daemon/crypto/csr.h \
	$(NULL)

check_PROGRAMS += tests/unit/test-csr
unit_tests += tests/unit/test-csr
tests_unit_test_csr_SOURCES = tests/unit/test-csr.c
tests_unit_test_csr_CPPFLAGS = $(daemon_libqoltanbad_a_CPPFLAGS) \
	-DTEST_DATA_DIR=\"$(abs_top_srcdir)/tests/data\"
tests_unit_test_csr_LDADD = daemon/libqoltanbad.a $(OPENSSL_LIBS) $(GLIB_LIBS)
