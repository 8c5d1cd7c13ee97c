# web/demo/: the demo pages the portal serves (no build step).
EXTRA_DIST += \
	web/demo/README.md \
	web/demo/api.js \
	web/demo/app.js \
	web/demo/daemon.js \
	web/demo/i18n.js \
	web/demo/index.html \
	web/demo/logo.svg \
	web/demo/package.json \
	web/demo/phone.js \
	web/demo/style.css \
	web/demo/ui.js \
	web/demo/views/checks.js \
	web/demo/views/common.js \
	web/demo/views/ident.js \
	web/demo/views/keys.js \
	web/demo/views/nca.js \
	web/demo/views/register.js \
	web/demo/views/start.js \
	$(NULL)
