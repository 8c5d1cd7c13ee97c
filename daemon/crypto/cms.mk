# CMS/CAdES: SignedData as NCALayer makes it (daemon/crypto/cades.h).
# Included after daemon/crypto/local.mk.
daemon_libqoltanbad_a_SOURCES += \
	daemon/crypto/cades.c \
	daemon/crypto/cades.h \
	$(NULL)

check_PROGRAMS += tests/unit/test-cades
unit_tests += tests/unit/test-cades
tests_unit_test_cades_SOURCES = tests/unit/test-cades.c
tests_unit_test_cades_CPPFLAGS = $(daemon_libqoltanbad_a_CPPFLAGS) \
	-DTEST_CMS_DIR=\"$(abs_top_builddir)/tests/data/cms\" \
	-DTEST_OPENSSL=\"$(OPENSSL_BIN)\" \
	-DTEST_DATA_DIR=\"$(abs_top_srcdir)/tests/data\"
# sigcheck (web/portal/local.mk) re-encodes the signed attributes that a
# GOST signature is checked over.
tests_unit_test_cades_LDADD = $(SIGCHECK_LIBS)
# Setting _DEPENDENCIES replaces automake's own list: keep the libraries.
tests_unit_test_cades_DEPENDENCIES = web/portal/libsigcheck.a daemon/libqoltanbad.a \
	tests/data/cms/.stamp

# Test keys and certificates, made at build time and never committed (as
# ell/iwd do): a P-256 CA issuing an RSA-2048 and a P-256 signing
# certificate. The key usages are the ones `openssl cms -verify` (purpose
# smimesign) accepts.
cms_test_files = \
	tests/data/cms/ca.key tests/data/cms/ca.pem \
	tests/data/cms/rsa.key tests/data/cms/rsa.pem \
	tests/data/cms/ec.key tests/data/cms/ec.pem \
	$(NULL)
cms_test_ca_ext = -addext basicConstraints=critical,CA:TRUE \
	-addext keyUsage=critical,keyCertSign,cRLSign
cms_test_ee_ext = -addext basicConstraints=critical,CA:FALSE \
	-addext keyUsage=critical,digitalSignature,nonRepudiation

cms_test_log = tests/data/cms/openssl.log

tests/data/cms/.stamp:
	$(AM_V_GEN)$(MKDIR_P) tests/data/cms && rm -f $(cms_test_log) && \
	$(OPENSSL_BIN) req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout tests/data/cms/ca.key -out tests/data/cms/ca.pem -days 3650 \
		-subj "/CN=Qoltanba CMS test CA" $(cms_test_ca_ext) 2>>$(cms_test_log) && \
	$(OPENSSL_BIN) req -x509 -newkey rsa:2048 -nodes \
		-keyout tests/data/cms/rsa.key -out tests/data/cms/rsa.pem -days 3650 \
		-CA tests/data/cms/ca.pem -CAkey tests/data/cms/ca.key \
		-subj "/CN=Qoltanba CMS test RSA signer" $(cms_test_ee_ext) 2>>$(cms_test_log) && \
	$(OPENSSL_BIN) req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout tests/data/cms/ec.key -out tests/data/cms/ec.pem -days 3650 \
		-CA tests/data/cms/ca.pem -CAkey tests/data/cms/ca.key \
		-subj "/CN=Qoltanba CMS test ECDSA signer" $(cms_test_ee_ext) 2>>$(cms_test_log) && \
	touch $@ || { cat $(cms_test_log); exit 1; }

CLEANFILES += $(cms_test_files) $(cms_test_log) tests/data/cms/.stamp
