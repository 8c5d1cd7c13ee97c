# systemd user units and the session bus's service file.
# qoltanba.socket holds NCALayer's port and starts qoltanba.service on the
# first connection; qoltanba-tray.service runs the tray icon with the
# graphical session; kz.qoltanba.Daemon.service lets the session bus start
# the daemon (through qoltanba.service under systemd).
# The files that name programs are filled in from their .in by every
# make, make install included (a file is replaced only when it changes),
# so that `make install prefix=…` after a plain `make` installs files
# that name the installed programs.
# exposure-max: the highest `systemd-analyze security` exposure the
# service may have (tests/integration/systemd.mjs checks it).
dist_systemduserunit_DATA = systemd/qoltanba.socket
nodist_systemduserunit_DATA = systemd/qoltanba.service systemd/qoltanba-tray.service
dbussessionservice_DATA = systemd/kz.qoltanba.Daemon.service
systemd_generated = $(nodist_systemduserunit_DATA) $(dbussessionservice_DATA)
CLEANFILES += $(systemd_generated)
EXTRA_DIST += $(systemd_generated:=.in) systemd/exposure-max

$(systemd_generated): systemd/%: $(srcdir)/systemd/%.in systemd-bindir
	$(AM_V_at)$(MKDIR_P) systemd && \
	$(SED) -e 's|@bindir[@]|$(bindir)|g' $(srcdir)/systemd/$*.in > $@.tmp && \
	if cmp -s $@.tmp $@; then rm -f $@.tmp; else echo "  GEN      $@"; mv $@.tmp $@; fi
systemd-bindir:
.PHONY: systemd-bindir
