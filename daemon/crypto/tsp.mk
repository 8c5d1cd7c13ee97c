# crypto/tsp: RFC 3161 time stamps for CAdES-T (daemon/crypto/tsp.h).
# Included after daemon/crypto/cms.mk: test-cades uses the stand-in TSA.
daemon_libqoltanbad_a_SOURCES += \
	daemon/crypto/tsp.c \
	daemon/crypto/tsp.h \
	$(NULL)

tsp_test_cppflags = \
	-DTEST_TSP_DIR=\"$(abs_top_builddir)/tests/data/tsp\" \
	-DTEST_OPENSSL=\"$(OPENSSL_BIN)\"

check_PROGRAMS += tests/unit/test-tsp
unit_tests += tests/unit/test-tsp
tests_unit_test_tsp_SOURCES = tests/unit/test-tsp.c tests/unit/test-tsa.h
tests_unit_test_tsp_CPPFLAGS = $(daemon_libqoltanbad_a_CPPFLAGS) $(tsp_test_cppflags)
tests_unit_test_tsp_LDADD = daemon/libqoltanbad.a $(OPENSSL_LIBS) $(GLIB_LIBS)
# Setting _DEPENDENCIES replaces automake's own list: keep the library.
tests_unit_test_tsp_DEPENDENCIES = daemon/libqoltanbad.a tests/data/tsp/.stamp

# test-cades makes CAdES-T against the same stand-in (cms.mk sets the rest;
# TEST_OPENSSL it defines already).
tests_unit_test_cades_SOURCES += tests/unit/test-tsa.h
tests_unit_test_cades_CPPFLAGS += -DTEST_TSP_DIR=\"$(abs_top_builddir)/tests/data/tsp\"
tests_unit_test_cades_DEPENDENCIES += tests/data/tsp/.stamp

# The stand-in TSA's keys, made at build time and never committed: a P-256
# CA issuing the TSA certificate (critical EKU timeStamping, as RFC 3161
# §2.3 wants and `openssl ts -verify` checks) and a TLS server certificate
# for 127.0.0.1 (the https:// case), plus the `openssl ts -reply` config.
# The serial file comes from the environment (TSA_SERIAL): each stand-in
# keeps its own, so tests running in parallel do not share one.
tsp_test_files = \
	tests/data/tsp/ca.key tests/data/tsp/ca.pem \
	tests/data/tsp/tsa.key tests/data/tsp/tsa.pem \
	tests/data/tsp/tls.key tests/data/tsp/tls.pem \
	tests/data/tsp/tsa.cnf \
	$(NULL)
tsp_test_ca_ext = -addext basicConstraints=critical,CA:TRUE \
	-addext keyUsage=critical,keyCertSign,cRLSign
tsp_test_tsa_ext = -addext basicConstraints=critical,CA:FALSE \
	-addext keyUsage=critical,digitalSignature,nonRepudiation \
	-addext extendedKeyUsage=critical,timeStamping
tsp_test_tls_ext = -addext basicConstraints=critical,CA:FALSE \
	-addext keyUsage=critical,digitalSignature \
	-addext extendedKeyUsage=serverAuth \
	-addext subjectAltName=IP:127.0.0.1
tsp_test_log = tests/data/tsp/openssl.log
tsp_test_dir = $(abs_top_builddir)/tests/data/tsp

tests/data/tsp/.stamp:
	$(AM_V_GEN)$(MKDIR_P) tests/data/tsp && rm -f $(tsp_test_log) && \
	$(OPENSSL_BIN) req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout tests/data/tsp/ca.key -out tests/data/tsp/ca.pem -days 3650 \
		-subj "/CN=Qoltanba TSP test CA" $(tsp_test_ca_ext) 2>>$(tsp_test_log) && \
	$(OPENSSL_BIN) req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout tests/data/tsp/tsa.key -out tests/data/tsp/tsa.pem -days 3650 \
		-CA tests/data/tsp/ca.pem -CAkey tests/data/tsp/ca.key \
		-subj "/CN=Qoltanba test TSA" $(tsp_test_tsa_ext) 2>>$(tsp_test_log) && \
	$(OPENSSL_BIN) req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout tests/data/tsp/tls.key -out tests/data/tsp/tls.pem -days 3650 \
		-CA tests/data/tsp/ca.pem -CAkey tests/data/tsp/ca.key \
		-subj "/CN=127.0.0.1" $(tsp_test_tls_ext) 2>>$(tsp_test_log) && \
	{ \
		echo '[ tsa ]'; \
		echo 'default_tsa = tsa_config'; \
		echo '[ tsa_config ]'; \
		echo 'dir = $(tsp_test_dir)'; \
		echo 'serial = $$ENV::TSA_SERIAL'; \
		echo 'signer_cert = $$dir/tsa.pem'; \
		echo 'signer_key = $$dir/tsa.key'; \
		echo 'certs = $$dir/ca.pem'; \
		echo 'signer_digest = sha256'; \
		echo 'default_policy = 1.2.3.4.1'; \
		echo 'other_policies = 1.2.3.4.5'; \
		echo 'digests = sha256, sha384, sha512'; \
		echo 'accuracy = secs:1'; \
		echo 'ordering = yes'; \
		echo 'tsa_name = yes'; \
		echo 'ess_cert_id_chain = no'; \
		echo 'ess_cert_id_alg = sha256'; \
	} > tests/data/tsp/tsa.cnf && \
	touch $@ || { cat $(tsp_test_log); exit 1; }

CLEANFILES += $(tsp_test_files) $(tsp_test_log) tests/data/tsp/.stamp
