#!/usr/bin/env bash
# Local test material for the multi-node stack in docker-compose.yml, made with openssl only.
# Everything goes into deploy/local/ (git-ignored). Safe to run again: nothing that exists is
# replaced (keys, certificates, .env entries); only the smartcard CRL is issued again when it
# is missing or would expire within 7 days (or with --refresh-crl).
# (The OIDC signing keys are not made here: the nodes create them in PostgreSQL on first
# start, sealed with SECRETS_ENCRYPTION_KEYS, and `ccass-auth keys ...` rotates them.)
#
#   deploy/local/tls-ca.pem               local TLS CA: trust it in your browser (optional)
#   deploy/local/tls.pem, tls.key         nginx's server certificate for localhost / 127.0.0.1
#   deploy/local/smartcard-ca.pem         test "smartcard" CA (smartcard.caFile)
#   deploy/local/smartcard-ca.crl.pem     its CRL, PEM, nextUpdate 30 days (smartcard.crlFiles)
#   deploy/local/smartcard-client.pem     a client certificate from it (CN "Test User B01234")
#   deploy/local/smartcard-client.p12     the same with its key, to import into a browser
#   deploy/local/.env                     COOKIE_KEYS, SECRETS_ENCRYPTION_KEYS, METRICS_TOKEN,
#                                         POSTGRES_PASSWORD, DATABASE_URL
#
# Usage: deploy/dev-certs.sh [--refresh-crl]
# Needs OpenSSL 1.1.1 or 3.x (not LibreSSL: on macOS use Homebrew's openssl@3 first in PATH).
set -euo pipefail

refresh_crl=false
for arg in "$@"; do
  case "$arg" in
    --refresh-crl) refresh_crl=true ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $arg (try --help)" >&2; exit 2 ;;
  esac
done

command -v openssl >/dev/null 2>&1 || { echo "openssl not found" >&2; exit 1; }
case "$(openssl version)" in
  OpenSSL\ 1.1.1*|OpenSSL\ 3*) ;;
  *) echo "need OpenSSL 1.1.1 or 3.x, found: $(openssl version)" >&2; exit 1 ;;
esac

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$here/local"
umask 022
mkdir -p "$out"
cd "$out"

made=()
kept=()
note() { if [ "$1" = made ]; then made+=("$2"); else kept+=("$2"); fi; }

# Random strings: base64url without padding (32 bytes -> 43 characters).
b64url() { openssl rand "$1" | openssl base64 -A | tr '+/' '-_' | tr -d '='; }

# A private key, readable by its owner only.
new_rsa_key() { (umask 077 && openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:"$2" -out "$1" 2>/dev/null); }

# ---------------------------------------------------------------------------------------------
# (a) TLS for nginx: a local CA (name-constrained to localhost and 127.0.0.1, so trusting it in
#     a browser cannot vouch for any other site) and a server certificate for localhost.
# ---------------------------------------------------------------------------------------------
cat > tls.cnf <<'EOF'
# Written by deploy/dev-certs.sh
[ req ]
distinguished_name = req_dn
prompt = no
[ req_dn ]
CN = unused
[ tls_ca ]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
nameConstraints = critical, permitted;DNS:localhost, permitted;IP:127.0.0.1/255.255.255.255
[ tls_server ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
EOF

if [ ! -s tls-ca.key ] || [ ! -s tls-ca.pem ]; then
  new_rsa_key tls-ca.key 3072
  openssl req -new -x509 -config tls.cnf -extensions tls_ca -key tls-ca.key -sha256 -days 3650 \
    -subj "/O=ccass-auth local development/CN=ccass-auth local TLS CA" -out tls-ca.pem
  rm -f tls.pem # a new CA needs a new server certificate
  note made "tls-ca.pem, tls-ca.key (local TLS CA, 10 years)"
else
  note kept "tls-ca.pem"
fi

if [ ! -s tls.key ] || [ ! -s tls.pem ]; then
  [ -s tls.key ] || new_rsa_key tls.key 2048
  openssl req -new -config tls.cnf -key tls.key -subj "/O=ccass-auth local development/CN=localhost" -out tls.csr
  # 397 days: within what browsers accept for a server certificate.
  openssl x509 -req -in tls.csr -CA tls-ca.pem -CAkey tls-ca.key -set_serial "0x$(openssl rand -hex 16)" \
    -sha256 -days 397 -extfile tls.cnf -extensions tls_server -out tls.pem 2>/dev/null
  rm -f tls.csr
  note made "tls.pem, tls.key (server certificate: DNS:localhost, IP:127.0.0.1; 397 days)"
else
  note kept "tls.pem, tls.key"
fi

# ---------------------------------------------------------------------------------------------
# (b) The test "smartcard" CA, run with `openssl ca` (index file, serials, CRL numbers), one
#     client certificate for client authentication, its PKCS#12 bundle and the CA's CRL.
# ---------------------------------------------------------------------------------------------
mkdir -p smartcard-ca/newcerts
[ -f smartcard-ca/index.txt ] || : > smartcard-ca/index.txt
[ -f smartcard-ca/index.txt.attr ] || echo 'unique_subject = no' > smartcard-ca/index.txt.attr
[ -s smartcard-ca/serial ] || openssl rand -hex 16 | tr 'a-f' 'A-F' > smartcard-ca/serial
[ -s smartcard-ca/crlnumber ] || echo 1000 > smartcard-ca/crlnumber

cat > smartcard-ca.cnf <<'EOF'
# Written by deploy/dev-certs.sh. Paths are relative to deploy/local/: run openssl there, e.g.
#   cd deploy/local && openssl ca -config smartcard-ca.cnf -revoke smartcard-client.pem
#   cd .. && ./dev-certs.sh --refresh-crl
[ req ]
distinguished_name = req_dn
prompt = no
[ req_dn ]
CN = unused

[ ca ]
default_ca = smartcard_ca

[ smartcard_ca ]
dir              = ./smartcard-ca
database         = $dir/index.txt
new_certs_dir    = $dir/newcerts
serial           = $dir/serial
crlnumber        = $dir/crlnumber
certificate      = ./smartcard-ca.pem
private_key      = ./smartcard-ca.key
default_md       = sha256
default_days     = 365
default_crl_days = 30
unique_subject   = no
copy_extensions  = none
policy           = policy_smartcard
x509_extensions  = smartcard_client
crl_extensions   = crl_ext

[ policy_smartcard ]
organizationName = optional
commonName       = supplied

[ smartcard_ca_ext ]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[ smartcard_client ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer

[ crl_ext ]
authorityKeyIdentifier = keyid:always
EOF

if [ ! -s smartcard-ca.key ] || [ ! -s smartcard-ca.pem ]; then
  if [ -s smartcard-client.pem ] || [ -s smartcard-ca.crl.pem ]; then
    echo "smartcard-ca.pem or its key is missing but certificates from it exist in $out;" >&2
    echo "remove deploy/local/smartcard-* to start the smartcard CA again" >&2
    exit 1
  fi
  new_rsa_key smartcard-ca.key 3072
  openssl req -new -x509 -config smartcard-ca.cnf -extensions smartcard_ca_ext -key smartcard-ca.key -sha256 -days 3650 \
    -subj "/O=ccass-auth local test/CN=ccass-auth Test Smartcard CA" -out smartcard-ca.pem
  note made "smartcard-ca.pem, smartcard-ca.key (test smartcard CA, 10 years)"
else
  note kept "smartcard-ca.pem"
fi

p12_password_file=smartcard-client.p12.password
if [ ! -s smartcard-client.pem ]; then
  [ -s smartcard-client.key ] || new_rsa_key smartcard-client.key 2048
  openssl req -new -config smartcard-ca.cnf -key smartcard-client.key \
    -subj "/O=ccass-auth local test/CN=Test User B01234" -out smartcard-client.csr
  openssl ca -batch -config smartcard-ca.cnf -notext -in smartcard-client.csr -out smartcard-client.pem 2>/dev/null
  rm -f smartcard-client.csr smartcard-client.p12 # a new certificate needs a new bundle
  note made "smartcard-client.pem, smartcard-client.key (CN \"Test User B01234\", clientAuth, 1 year)"
else
  note kept "smartcard-client.pem"
fi

if [ ! -s smartcard-client.p12 ]; then
  [ -s "$p12_password_file" ] || (umask 077 && b64url 12 > "$p12_password_file")
  # OpenSSL 3 defaults: AES-256-CBC, PBKDF2 and an HMAC-SHA256 MAC (current browsers import it).
  (umask 077 && openssl pkcs12 -export -inkey smartcard-client.key -in smartcard-client.pem -certfile smartcard-ca.pem \
    -name "Test User B01234" -passout "file:$p12_password_file" -out smartcard-client.p12)
  note made "smartcard-client.p12 (browser import)"
else
  note kept "smartcard-client.p12"
fi

# The CRL: issued again when missing, when it would no longer verify in 7 days, or on request.
crl_current_in_7_days() {
  local result
  [ -s smartcard-ca.crl.pem ] || return 1
  result="$(openssl verify -crl_check -CAfile smartcard-ca.pem -CRLfile smartcard-ca.crl.pem \
    -attime "$(( $(date +%s) + 7 * 24 * 3600 ))" smartcard-client.pem 2>&1)" && return 0
  # The client certificate may have been revoked on purpose (a test of revocation): the CRL
  # is current if that is the only error reported (X509_V_ERR_CERT_REVOKED = 23).
  [ -z "$(printf '%s\n' "$result" | grep '^error [0-9]' | grep -v '^error 23 ' || true)" ]
}
if $refresh_crl || ! crl_current_in_7_days; then
  openssl ca -batch -config smartcard-ca.cnf -gencrl -out smartcard-ca.crl.pem 2>/dev/null
  note made "smartcard-ca.crl.pem (CRL, next update in 30 days; re-run this script to renew)"
else
  note kept "smartcard-ca.crl.pem"
fi

# ---------------------------------------------------------------------------------------------
# (c) Secrets for the containers. Only missing entries are added; existing ones are kept.
# ---------------------------------------------------------------------------------------------
env_file=.env
[ -f "$env_file" ] || { (umask 077 && : > "$env_file"); note made ".env"; }
# An existing file without a final newline: entries are appended on a line of their own.
if [ -s "$env_file" ] && [ -n "$(tail -c 1 "$env_file")" ]; then echo >> "$env_file"; fi
env_has() { grep -q "^$1=" "$env_file"; }
env_get() { sed -n "s/^$1=//p" "$env_file" | tail -n 1; }
env_add() {
  if env_has "$1"; then
    note kept ".env $1"
  else
    printf '%s=%s\n' "$1" "$2" >> "$env_file"
    note made ".env $1"
  fi
}
if [ ! -s "$env_file" ]; then
  printf '# Written by deploy/dev-certs.sh for docker-compose.yml (env_file). Local secrets: never commit.\n' >> "$env_file"
fi
env_add COOKIE_KEYS "$(b64url 32),$(b64url 32)"
env_add SECRETS_ENCRYPTION_KEYS "k1:$(openssl rand -base64 32)"
env_add METRICS_TOKEN "$(b64url 32)"
env_add POSTGRES_PASSWORD "$(openssl rand -hex 24)"
# The nodes' connection string, made from the password above (hex: nothing to escape in a URL).
env_add DATABASE_URL "postgres://ccass:$(env_get POSTGRES_PASSWORD)@postgres:5432/ccass_auth"
chmod 600 "$env_file"

# ---------------------------------------------------------------------------------------------
echo "deploy/local ($out):"
for item in "${made[@]+"${made[@]}"}"; do echo "  made  $item"; done
for item in "${kept[@]+"${kept[@]}"}"; do echo "  kept  $item"; done
echo
echo "Smartcard CRL next update: $(openssl crl -in smartcard-ca.crl.pem -noout -nextupdate | sed 's/^nextUpdate=//')"
echo "PKCS#12 bundle: $out/smartcard-client.p12"
echo "  password: $(cat "$p12_password_file")   (also in deploy/local/$p12_password_file)"
cat <<EOF

Next:
  1. docker compose up --build
  2. Optional, to avoid the certificate warning: trust deploy/local/tls-ca.pem in your browser
     (it is limited to localhost and 127.0.0.1). Import deploy/local/smartcard-client.p12 as a
     personal certificate (password above) to try smartcard login.
  3. A user for that card (operator CLI inside a node; set-password asks twice, then the
     user is active):
       docker compose exec auth-1 node dist/src/cli/main.js participant add B01234 --name "Test Broker"
       docker compose exec auth-1 node dist/src/cli/main.js user add B01234 TESTUSER --name "Test User" --email test@example.com
       docker compose exec auth-1 node dist/src/cli/main.js user set-password B01234 TESTUSER
       docker compose exec auth-1 node dist/src/cli/main.js smartcard bind B01234 TESTUSER /app/deploy/local/smartcard-client.pem
  4. Log in through a relying party registered in deploy/compose.yaml (ccass-terminal,
     redirect http://localhost:9999/callback); issuer https://localhost:8443, discovery at
     https://localhost:8443/.well-known/openid-configuration. Emails: http://localhost:8025
EOF
