# The install of docs/operations.md, run for real on a machine with PostgreSQL (see "A real run" there):
# paths under /tmp/prod-install, a local aiosmtpd as the SMTP server. Run after creating the venv.
set -e
cd /tmp/prod-install
export PATH=/tmp/prod-install/venv/bin:$PATH
step() { echo; echo "\$ $*"; local t=$(date +%s.%N); "$@"; echo "[$(python3 -c "print(f'{$(date +%s.%N)-$t:.1f}')") s]"; }
mkdir -p etc data
sed -e "s|^OHMYLOT_DATABASE_URL=.*|OHMYLOT_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/ohmylot_prod_docrun|" \
    -e "s|^OHMYLOT_DATA_DIR=.*|OHMYLOT_DATA_DIR=/tmp/prod-install/data|" \
    -e "s|^OHMYLOT_SOURCES=.*|OHMYLOT_SOURCES=/tmp/prod-install/etc/sources.toml|" \
    -e "s|^OHMYLOT_SECRET_KEY=.*|OHMYLOT_SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')|" \
    -e "s|^OHMYLOT_SMTP_HOST=.*|OHMYLOT_SMTP_HOST=127.0.0.1|" -e "s|^OHMYLOT_SMTP_PORT=.*|OHMYLOT_SMTP_PORT=8025|" \
    -e "s|^OHMYLOT_SMTP_STARTTLS=.*|OHMYLOT_SMTP_STARTTLS=false|" -e "s|^OHMYLOT_SMTP_USER=.*|OHMYLOT_SMTP_USER=|" \
    src/deploy/ohmylot.env.example > etc/ohmylot.env
sed -n '17,25p' src/crawlers/sources.toml > etc/sources.toml   # the production entries only (no sandbox)
step createdb -h 127.0.0.1 -U postgres --encoding UTF8 --template template0 ohmylot_prod_docrun
set -a; . etc/ohmylot.env; set +a
step ohmylot db upgrade
step ohmylot sources list
echo 'un-mot-de-passe-solide-2026' | step ohmylot users add equipe@example.fr --role staff --name "Équipe Oh my Lot !"
/work/main/.venv/bin/python -m aiosmtpd -n -l 127.0.0.1:8025 >/dev/null & SMTP=$!   # a local test SMTP server (aiosmtpd, from the dev tools)
sleep 1
step ohmylot mail test equipe@example.fr
ohmylot serve --host 127.0.0.1 --port 8046 2> data/web.log & WEB=$!
for i in $(seq 60); do curl -sf http://127.0.0.1:8046/healthz >/dev/null && break; sleep 0.5; done
step curl -s http://127.0.0.1:8046/healthz
echo; step curl -s -w ' HTTP %{http_code}' http://127.0.0.1:8046/readyz
ohmylot scheduler 2> data/scheduler.log & SCHED=$!
for i in $(seq 60); do curl -sf http://127.0.0.1:8046/readyz >/dev/null && break; sleep 0.5; done
echo; step curl -s -w ' HTTP %{http_code}' http://127.0.0.1:8046/readyz
echo; curl -s http://127.0.0.1:8046/metrics | grep -E '^ohmylot_http_requests_total' | head -3
echo; echo "\$ grep -m1 ohmylot.web.access data/web.log"; grep -m1 ohmylot.web.access data/web.log
echo "\$ head -1 data/scheduler.log"; grep "^{" data/scheduler.log | head -1
kill $WEB $SCHED $SMTP; wait $WEB $SCHED $SMTP 2>/dev/null || true
dropdb -h 127.0.0.1 -U postgres ohmylot_prod_docrun
