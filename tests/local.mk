# Tests. Every program and script speaks TAP; automake's tap-driver reads
# it. Unit tests are registered by the fragment of the folder they test
# (protocol/local.mk, daemon/server/tls.mk) or here.
LOG_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/build-aux/tap-driver.sh
TEST_EXTENSIONS = .mjs
MJS_LOG_DRIVER = $(LOG_DRIVER)
MJS_LOG_COMPILER = $(NODE) --test --test-reporter=tap

# PCSCLITE_CSOCK_NAME: the daemons under test do not see the machine's
# pcscd and the tokens plugged into it (tests/integration/pcsc.mjs brings
# its own).
AM_TESTS_ENVIRONMENT = \
	QOLTANBAD='$(abs_top_builddir)/daemon/qoltanbad'; export QOLTANBAD; \
	QOL_TEST_DATA='$(abs_top_srcdir)/tests/data'; export QOL_TEST_DATA; \
	NODE_PATH='$(NODE_MODULES)'; export NODE_PATH; \
	LC_ALL=C.UTF-8; export LC_ALL; \
	QOL_HELPERS='$(abs_top_builddir)/tests/helpers'; export QOL_HELPERS; \
	QOL_SRC_HELPERS='$(abs_top_srcdir)/tests/helpers'; export QOL_SRC_HELPERS; \
	QOL_KEYS='$(keys_test_dir)'; export QOL_KEYS; \
	QOL_TSP='$(abs_top_builddir)/tests/data/tsp'; export QOL_TSP; \
	OPENSSL='$(OPENSSL_BIN)'; export OPENSSL; \
	QOL_TESTCA='$(abs_top_builddir)/web/testca/qoltanba-testca'; export QOL_TESTCA; \
	QOL_PORTAL='$(abs_top_builddir)/web/portal/qoltanba-portal'; export QOL_PORTAL; \
	QOL_WEB='$(abs_top_srcdir)/web'; export QOL_WEB; \
	PCSCLITE_CSOCK_NAME='$(abs_top_builddir)/tests/no-pcscd.comm'; export PCSCLITE_CSOCK_NAME; \
	$(NULL)

check_PROGRAMS += tests/unit/test-gate tests/unit/test-config
unit_tests += tests/unit/test-gate tests/unit/test-config
tests_unit_test_gate_SOURCES = tests/unit/test-gate.c
tests_unit_test_gate_CPPFLAGS = $(daemon_libqoltanbad_a_CPPFLAGS)
tests_unit_test_gate_LDADD = $(DAEMON_LIBS)
tests_unit_test_config_SOURCES = tests/unit/test-config.c
tests_unit_test_config_CPPFLAGS = $(daemon_libqoltanbad_a_CPPFLAGS)
tests_unit_test_config_LDADD = $(DAEMON_LIBS)

integration_tests += \
	tests/integration/session.mjs \
	tests/integration/queue.mjs \
	tests/integration/gate.mjs \
	tests/integration/lifecycle.mjs \
	tests/integration/systemd.mjs \
	tests/e2e/wss-chromium.mjs \
	tests/e2e/client-chromium.mjs \
	tests/integration/sign.mjs \
	tests/integration/sign-gost.mjs \
	tests/integration/sign-errors.mjs \
	tests/integration/sign-portal.mjs \
	tests/integration/enroll.mjs \
	tests/integration/camera.mjs \
	tests/integration/bus.mjs \
	tests/integration/pcsc.mjs \
	tests/integration/token.mjs \
	tests/integration/token-enroll.mjs \
	tests/integration/tray.mjs \
	tests/integration/client.mjs \
	tests/integration/demo-script.mjs \
	tests/e2e/demo-chromium.mjs \
	$(NULL)

unit_tests += tests/unit/client-protocol.mjs
EXTRA_DIST += tests/unit/client-protocol.mjs
TESTS = $(unit_tests) $(integration_tests)

# The key files the signing tests use (tests/data/keys.mk).
check_DATA = $(keys_test_stamp) tests/data/tsp/.stamp

EXTRA_DIST += \
	web/client/qoltanba.js \
	web/client/errors.js \
	web/client/preview.js \
	web/client/package.json \
	web/client/README.md \
	$(integration_tests) \
	tests/integration/harness.mjs \
	tests/integration/signing.mjs \
	tests/integration/softhsm.mjs \
	tests/integration/enrollment.mjs \
	tests/unit/test-util.h \
	tests/unit/test-enroll.h \
	tests/data/recorded-exchanges.json \
	package.json \
	package-lock.json \
	$(NULL)

# Small programs the integration tests drive.
check_PROGRAMS += tests/helpers/notify-recv
tests_helpers_notify_recv_SOURCES = tests/helpers/notify-recv.c
check_PROGRAMS += tests/helpers/mdwe-exec
tests_helpers_mdwe_exec_SOURCES = tests/helpers/mdwe-exec.c

# A second verifier for GOST 2015-512 CMS and XML signatures.
check_PROGRAMS += tests/helpers/gost-verify
tests_helpers_gost_verify_SOURCES = tests/helpers/gost-verify.c
tests_helpers_gost_verify_CPPFLAGS = $(AM_CPPFLAGS) $(OPENSSL_CFLAGS) $(GLIB_CFLAGS)
tests_helpers_gost_verify_LDADD = $(SIGCHECK_LIBS)

# The screenshots the demo's end-to-end walk takes (tests/e2e/demo-chromium.mjs).
clean-local: clean-e2e-screenshots
clean-e2e-screenshots:
	rm -rf tests/e2e/screenshots
.PHONY: clean-e2e-screenshots
