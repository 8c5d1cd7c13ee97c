/* Trusting the local CA in the user's NSS databases, with certutil.
 *
 * Databases (all "sql:" format, cert9.db):
 *   <home>/.pki/nssdb                                 Chromium, Chrome (created
 *                                                     by nssdb_install() if absent)
 *   <home>/.mozilla/firefox/<profile>/                Firefox
 *   <home>/snap/firefox/common/.mozilla/firefox/<profile>/         Firefox (snap)
 *   <home>/.var/app/org.mozilla.firefox/.mozilla/firefox/<profile>/ Firefox (Flatpak)
 * A Firefox profile counts only when it already holds cert9.db; Firefox
 * databases are never created.
 *
 * The CA goes in as "Qoltanba local CA <first 16 hex digits of its SHA-256
 * fingerprint>" with trust "C,,": a CA for TLS servers only, not for mail
 * or code. Every other nickname starting with "Qoltanba local CA " is an
 * earlier CA of ours and is removed.
 *
 * <tls_dir>/nssdb-installed lists, one path a line, the databases our CA
 * was put in, so that nssdb_refresh() knows where the renewed CA belongs.
 *
 * certutil runs from argv vectors, never through a shell. A database with a
 * password (Firefox's primary password) makes certutil ask for it on the
 * terminal during nssdb_install()/nssdb_uninstall(); nssdb_refresh() runs
 * certutil without a controlling terminal, so there it fails instead of
 * waiting for an answer nobody gives.
 *
 * Each function appends human-readable lines to report (a GPtrArray of
 * char *, freed with g_free()): one or more per database, saying what was
 * done or why it failed, and on NSSDB_E_NO_CERTUTIL a sentence saying how
 * to install certutil. A failure in one database does not stop the others.
 *
 * home: the user's home folder (g_get_home_dir()). certutil: the program,
 * a path or a name looked up in PATH (CERTUTIL_PATH from config.h).
 * Returns 0, a positive NSSDB_E_*, or a negative errno (spawning failed,
 * out of memory, the record could not be written). */
#pragma once

#include <glib.h>

enum nssdb_error {
	NSSDB_E_NO_CERTUTIL = 1, /* certutil is not installed (Debian: libnss3-tools) */
	NSSDB_E_NO_CA,           /* <tls_dir>/ca.pem is missing: call localca_ensure() first */
	NSSDB_E_FAILED,          /* certutil failed for at least one database (see report) */
};

/* Trust <tls_dir>/ca.pem in every database: create <home>/.pki/nssdb when
 * it is missing, remove older Qoltanba CAs, add this one (or say it is
 * already there, fixing its trust if someone changed it). Records where
 * the CA now is. */
int nssdb_install(const char *home, const char *tls_dir, const char *certutil, GPtrArray *report);

/* Remove every "Qoltanba local CA …" from every database found and every
 * database recorded; afterwards the record lists only databases where
 * removal failed (and is deleted when none did). Needs no ca.pem. */
int nssdb_uninstall(const char *home, const char *tls_dir, const char *certutil,
		    GPtrArray *report);

/* After localca_ensure() renewed: in every recorded database that still
 * exists, put the new CA in and take the old ones out. Databases not in
 * the record are left alone, and nothing happens (0, no lines, certutil not
 * needed) when there is no record: the user never installed the CA. */
int nssdb_refresh(const char *home, const char *tls_dir, const char *certutil, GPtrArray *report);
