#!/bin/sh
# GET /cgi-bin/transactions?card=NUMBER -> that card's transactions as JSON.
# Runs under busybox httpd as CGI; reads the read-only data baked into the image.
data="${TRANSACTIONS_DATA:-/srv/data/transactions.csv}"
currency=$(sed -n 's/^currency: *//p' /etc/transactions/config.yaml)
card=$(printf '%s' "$QUERY_STRING" | sed -n 's/^\(.*&\)\{0,1\}card=\([0-9]\{1,19\}\).*$/\2/p')

printf 'Content-Type: application/json\r\n\r\n'
if [ -z "$card" ]; then
  printf '{"error":"give the card number: /cgi-bin/transactions?card=NUMBER"}\n'
  exit 0
fi
awk -F, -v card="$card" -v cur="$currency" '
  BEGIN { printf "{\"card\":\"%s\",\"currency\":\"%s\",\"transactions\":[", card, cur; n = 0 }
  $1 == card { if (n++) printf ","; printf "{\"date\":\"%s\",\"amount\":%s,\"merchant\":\"%s\"}", $2, $3, $4 }
  END { print "]}" }
' "$data"
