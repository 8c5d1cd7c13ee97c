# keystore/: where keys live (PKCS#12 files, tokens) and what their
# certificates say.
daemon_libqoltanbad_a_SOURCES += \
	daemon/keystore/certinfo.c \
	daemon/keystore/certinfo.h \
	daemon/keystore/keyfilter.c \
	daemon/keystore/keyfilter.h \
	daemon/keystore/pkcs12.c \
	daemon/keystore/pkcs12.h \
	$(NULL)

check_PROGRAMS += tests/unit/test-pkcs12
unit_tests += tests/unit/test-pkcs12
tests_unit_test_pkcs12_SOURCES = tests/unit/test-pkcs12.c
tests_unit_test_pkcs12_CPPFLAGS = $(daemon_libqoltanbad_a_CPPFLAGS) \
	-DTEST_DATA_DIR=\"$(abs_top_srcdir)/tests/data\"
tests_unit_test_pkcs12_LDADD = daemon/libqoltanbad.a $(OPENSSL_LIBS) $(GLIB_LIBS)

check_PROGRAMS += tests/unit/test-certinfo
unit_tests += tests/unit/test-certinfo
tests_unit_test_certinfo_SOURCES = tests/unit/test-certinfo.c
tests_unit_test_certinfo_CPPFLAGS = $(daemon_libqoltanbad_a_CPPFLAGS) \
	-DTEST_DATA_DIR=\"$(abs_top_srcdir)/tests/data\"
tests_unit_test_certinfo_LDADD = daemon/libqoltanbad.a $(OPENSSL_LIBS) $(GLIB_LIBS)

# NCA's GOST 2022 test PKI: CA certificates, CRLs, and the certificates of
# the twelve test keys (public parts only).
EXTRA_DIST += \
	tests/data/nca/root_test_gost_2022.cer \
	tests/data/nca/nca_gost2022_test.cer \
	tests/data/nca/nca_gost2022_test.crl \
	tests/data/nca/nca_gost2022_d_test.crl \
	tests/data/nca/information-system-revoked.pem \
	tests/data/nca/information-system-valid.pem \
	tests/data/nca/org-employee-revoked.pem \
	tests/data/nca/org-employee-valid.pem \
	tests/data/nca/org-head-revoked.pem \
	tests/data/nca/org-head-valid.pem \
	tests/data/nca/org-signer-revoked.pem \
	tests/data/nca/org-signer-valid.pem \
	tests/data/nca/person-revoked.pem \
	tests/data/nca/person-valid.pem \
	tests/data/nca/treasury-client-revoked.pem \
	tests/data/nca/treasury-client-valid.pem \
	$(NULL)

check_PROGRAMS += tests/unit/test-keyfilter
unit_tests += tests/unit/test-keyfilter
tests_unit_test_keyfilter_SOURCES = tests/unit/test-keyfilter.c
tests_unit_test_keyfilter_CPPFLAGS = $(daemon_libqoltanbad_a_CPPFLAGS) \
	-DTEST_DATA_DIR=\"$(abs_top_srcdir)/tests/data\" \
	-DTEST_KEYS_DIR=\"$(keys_test_dir)\"
tests_unit_test_keyfilter_LDADD = $(DAEMON_LIBS)
tests_unit_test_keyfilter_DEPENDENCIES = daemon/libqoltanbad.a $(keys_test_stamp)

include daemon/keystore/pcsc.mk
include daemon/keystore/token.mk
