# PKCS#12 test keys for the signing tests, made at build time in the build
# tree (never committed) by `openssl ca`, so dates and revocation are real.
# Tests read them from $(abs_top_builddir)/tests/data/keys (keys_test_dir)
# and name $(keys_test_stamp) among their dependencies. Every .p12 has the
# password Qwerty12 and holds the key, its certificate and the issuing CA
# certificate; its friendlyName is the certificate's SKI in lowercase hex,
# as in NCA's files. Subjects are NCA-like, in UTF-8:
#   /CN=ТЕСТОВ ТЕСТ/SN=ТЕСТОВ/serialNumber=IIN.../C=KZ/GN=ТЕСТОВИЧ/emailAddress=test@example.kz
#
#   ca.pem, ca.key       "Qoltanba test CA" (RSA-2048), issuer of all below but other.p12
#   rsa.p12              RSA-2048 person, IIN123456789011, sign + auth, valid 10 years
#                        (rsa.pem: its certificate alone; rsa.key: its key)
#   ec.p12               P-256 person, IIN123456789012, written with -legacy (RC2/3DES PBE)
#   org.p12              RSA-2048 employee of O=АО "ТЕСТ", OU=BIN123456789021, IIN123456789013
#   auth.p12             RSA-2048, authentication only (no nonRepudiation, EKU clientAuth),
#                        IIN123456789014
#   expired.p12          RSA-2048, valid 2020-01-01 to 2021-01-01 only, IIN123456789015
#   revoked.p12          RSA-2048, valid dates but revoked, IIN123456789016
#   crl.pem, crl.der     the CA's CRL (3650 days), made after the revocation: lists
#                        revoked.pem's serial only
#   corrupt.p12          the first 300 bytes of rsa.p12: a damaged file
#   other.p12            RSA-2048, IIN123456789017, under "Qoltanba other CA"
#                        (other-ca.pem, other-ca.key): for chain-filter tests
#   X.pem, X.key         for each X.p12 above: the certificate alone, the key (PKCS#8 PEM)
#   ca/, other-ca/       each CA's `openssl ca` state: ca.cnf, index.txt, serial, the
#                        requests and copies of the issued certificates (an OCSP
#                        stand-in can use `openssl ocsp -index ca/index.txt`)
# Serial numbers count up from 0x1001 (test CA: rsa, ec, org, auth, expired,
# revoked in this order) and from 0x2001 (other CA). openssl's messages go to
# openssl.log, printed when a step fails.

keys_test_dir = $(abs_top_builddir)/tests/data/keys
keys_test_stamp = tests/data/keys/.stamp
keys_test_log = tests/data/keys/openssl.log
keys_test_password = Qwerty12

keys_test_files = \
	tests/data/keys/ca.key tests/data/keys/ca.pem \
	tests/data/keys/rsa.key tests/data/keys/rsa.pem tests/data/keys/rsa.p12 \
	tests/data/keys/ec.key tests/data/keys/ec.pem tests/data/keys/ec.p12 \
	tests/data/keys/org.key tests/data/keys/org.pem tests/data/keys/org.p12 \
	tests/data/keys/auth.key tests/data/keys/auth.pem tests/data/keys/auth.p12 \
	tests/data/keys/expired.key tests/data/keys/expired.pem tests/data/keys/expired.p12 \
	tests/data/keys/revoked.key tests/data/keys/revoked.pem tests/data/keys/revoked.p12 \
	tests/data/keys/crl.pem tests/data/keys/crl.der \
	tests/data/keys/corrupt.p12 \
	tests/data/keys/other-ca.key tests/data/keys/other-ca.pem \
	tests/data/keys/other.key tests/data/keys/other.pem tests/data/keys/other.p12 \
	$(NULL)

keys_test_rsa = -algorithm RSA -pkeyopt rsa_keygen_bits:2048
keys_test_ec = -algorithm EC -pkeyopt ec_paramgen_curve:P-256
keys_test_person = /CN=ТЕСТОВ ТЕСТ/SN=ТЕСТОВ/serialNumber=IIN
keys_test_person_end = /C=KZ/GN=ТЕСТОВИЧ/emailAddress=test@example.kz
keys_test_org = /CN=ТЕСТОВ ТЕСТ/SN=ТЕСТОВ/serialNumber=IIN123456789013/C=KZ/O=АО "ТЕСТ"/OU=BIN123456789021/GN=ТЕСТОВИЧ

# The recipe is one shell script: its helpers are
#   conf CA SERIAL         write CA/ca.cnf and a fresh database starting at SERIAL
#   newca CA SUBJECT       the CA's key and self-signed certificate (20 years)
#   issue CA X KEYOPTS SUBJECT EXT [openssl ca options]   X.key, X.pem
#   p12 CA X [openssl pkcs12 options]                     X.p12
tests/data/keys/.stamp:
	$(AM_V_GEN)d=tests/data/keys; abs='$(abs_top_builddir)'/$$d; \
	log=$(keys_test_log); pass=pass:$(keys_test_password); \
	run() { $(OPENSSL_BIN) "$$@" >>"$$log" 2>&1; }; \
	conf() { \
		printf '%s\n' \
			'# openssl ca configuration of a Qoltanba test CA (tests/data/keys.mk).' \
			'[ ca ]' 'default_ca = test_ca' \
			'[ test_ca ]' \
			"dir = $$abs/$$1" \
			'database = $$dir/index.txt' 'serial = $$dir/serial' \
			'crlnumber = $$dir/crlnumber' 'new_certs_dir = $$dir' \
			"certificate = $$abs/$$1.pem" "private_key = $$abs/$$1.key" \
			'default_md = sha256' 'default_days = 3650' 'default_crl_days = 3650' \
			'policy = policy_any' 'unique_subject = no' 'preserve = yes' \
			'copy_extensions = none' 'crl_extensions = crl_ext' \
			'[ policy_any ]' \
			'commonName = optional' 'surname = optional' 'serialNumber = optional' \
			'countryName = optional' 'organizationName = optional' \
			'organizationalUnitName = optional' 'givenName = optional' \
			'emailAddress = optional' \
			'[ req ]' 'distinguished_name = req_dn' 'string_mask = utf8only' \
			'[ req_dn ]' \
			'[ ca_ext ]' \
			'basicConstraints = critical,CA:TRUE' \
			'keyUsage = critical,keyCertSign,cRLSign' \
			'subjectKeyIdentifier = hash' \
			'[ person ]' \
			'keyUsage = critical,digitalSignature,nonRepudiation,keyEncipherment' \
			'extendedKeyUsage = emailProtection,clientAuth,1.2.398.3.3.4.1.1' \
			'subjectKeyIdentifier = hash' 'authorityKeyIdentifier = keyid' \
			'certificatePolicies = 1.2.398.3.3.2.1' \
			'[ auth ]' \
			'keyUsage = critical,digitalSignature,keyEncipherment' \
			'extendedKeyUsage = clientAuth' \
			'subjectKeyIdentifier = hash' 'authorityKeyIdentifier = keyid' \
			'[ crl_ext ]' 'authorityKeyIdentifier = keyid:always' \
			>$$d/$$1/ca.cnf && \
		: >$$d/$$1/index.txt && echo $$2 >$$d/$$1/serial && \
		echo 01 >$$d/$$1/crlnumber; }; \
	newca() { \
		run genpkey $(keys_test_rsa) -out $$d/$$1.key && \
		run req -config $$d/$$1/ca.cnf -new -x509 -utf8 -key $$d/$$1.key \
			-days 7300 -subj "$$2" -extensions ca_ext -out $$d/$$1.pem; }; \
	issue() { \
		ca=$$1 x=$$2 keyopts=$$3 subj=$$4 ext=$$5; shift 5; \
		run genpkey $$keyopts -out $$d/$$x.key && \
		run req -config $$d/$$ca/ca.cnf -new -utf8 -key $$d/$$x.key \
			-subj "$$subj" -out $$d/$$ca/$$x.csr && \
		run ca -config $$d/$$ca/ca.cnf -batch -notext -extensions $$ext \
			-in $$d/$$ca/$$x.csr -out $$d/$$x.pem "$$@"; }; \
	p12() { \
		ca=$$1 x=$$2; shift 2; \
		ski=`$(OPENSSL_BIN) x509 -in $$d/$$x.pem -noout -ext subjectKeyIdentifier \
			2>>"$$log" | sed -n '2s/[ :]//gp' | tr ABCDEF abcdef` && \
		test -n "$$ski" && \
		run pkcs12 -export -in $$d/$$x.pem -inkey $$d/$$x.key \
			-certfile $$d/$$ca.pem -name "$$ski" -passout $$pass \
			-out $$d/$$x.p12 "$$@"; }; \
	person='$(keys_test_person)'; person_end='$(keys_test_person_end)'; \
	rm -rf $@ $$d/ca $$d/other-ca && $(MKDIR_P) $$d/ca $$d/other-ca && \
	rm -f "$$log" && \
	conf ca 1001 && conf other-ca 2001 && \
	newca ca '/CN=Qoltanba test CA' && \
	newca other-ca '/CN=Qoltanba other CA' && \
	issue ca rsa '$(keys_test_rsa)' "$${person}123456789011$$person_end" person && \
	issue ca ec '$(keys_test_ec)' "$${person}123456789012$$person_end" person && \
	issue ca org '$(keys_test_rsa)' '$(keys_test_org)' person && \
	issue ca auth '$(keys_test_rsa)' "$${person}123456789014$$person_end" auth && \
	issue ca expired '$(keys_test_rsa)' "$${person}123456789015$$person_end" person \
		-startdate 20200101000000Z -enddate 20210101000000Z && \
	issue ca revoked '$(keys_test_rsa)' "$${person}123456789016$$person_end" person && \
	issue other-ca other '$(keys_test_rsa)' "$${person}123456789017$$person_end" person && \
	run ca -config $$d/ca/ca.cnf -revoke $$d/revoked.pem && \
	run ca -config $$d/ca/ca.cnf -gencrl -crldays 3650 -out $$d/crl.pem && \
	run crl -in $$d/crl.pem -outform DER -out $$d/crl.der && \
	p12 ca rsa && p12 ca ec -legacy && p12 ca org && p12 ca auth && \
	p12 ca expired && p12 ca revoked && p12 other-ca other && \
	dd if=$$d/rsa.p12 of=$$d/corrupt.p12 bs=300 count=1 2>>"$$log" && \
	touch $@ || { cat "$$log"; exit 1; }

CLEANFILES += \
	$(keys_test_files) \
	$(keys_test_log) \
	tests/data/keys/.stamp \
	tests/data/keys/ca/* \
	tests/data/keys/other-ca/* \
	$(NULL)
