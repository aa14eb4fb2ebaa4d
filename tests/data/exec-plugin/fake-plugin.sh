#!/usr/bin/env bash
# Fake exec credential plugin for kftenant's tests. Behaviour comes from environment variables,
# which tests pass through the kubeconfig's exec.env:
#   FAKE_PLUGIN_MODE        token (default) | cert | exit1 | badjson | nostatus | wrongversion |
#                           wrongkind | onlycert | empty | sleep
#   FAKE_PLUGIN_TOKEN       token prefix (default fake-token); the answer is "<prefix>-<run number>"
#   FAKE_PLUGIN_EXPIRATION  status.expirationTimestamp to return (RFC 3339), if set
#   FAKE_PLUGIN_COUNT_FILE  a line is appended to it on every run
#   FAKE_PLUGIN_INFO_FILE   receives $KUBERNETES_EXEC_INFO
#   FAKE_PLUGIN_ARGS_FILE   receives the arguments, one per line
set -u

run=1
if [[ -n "${FAKE_PLUGIN_COUNT_FILE:-}" ]]; then
  echo run >>"$FAKE_PLUGIN_COUNT_FILE"
  run=$(wc -l <"$FAKE_PLUGIN_COUNT_FILE" | tr -d ' ')
fi
if [[ -n "${FAKE_PLUGIN_INFO_FILE:-}" ]]; then
  printf '%s' "${KUBERNETES_EXEC_INFO:-}" >"$FAKE_PLUGIN_INFO_FILE"
fi
if [[ -n "${FAKE_PLUGIN_ARGS_FILE:-}" ]]; then
  : >"$FAKE_PLUGIN_ARGS_FILE"
  for a in "$@"; do printf '%s\n' "$a" >>"$FAKE_PLUGIN_ARGS_FILE"; done
fi

# Answer with the apiVersion the client asked for, as real plugins do.
api_version=$(printf '%s' "${KUBERNETES_EXEC_INFO:-}" | sed -n 's/.*"apiVersion":"\([^"]*\)".*/\1/p')
token="${FAKE_PLUGIN_TOKEN:-fake-token}-${run}"
expiration=""
if [[ -n "${FAKE_PLUGIN_EXPIRATION:-}" ]]; then
  expiration=",\"expirationTimestamp\":\"${FAKE_PLUGIN_EXPIRATION}\""
fi
cert='-----BEGIN CERTIFICATE-----\nZmFrZQ==\n-----END CERTIFICATE-----\n'
key='-----BEGIN PRIVATE KEY-----\nZmFrZQ==\n-----END PRIVATE KEY-----\n'

case "${FAKE_PLUGIN_MODE:-token}" in
  token)
    printf '{"kind":"ExecCredential","apiVersion":"%s","status":{"token":"%s"%s}}\n' \
      "$api_version" "$token" "$expiration" ;;
  cert)
    printf '{"kind":"ExecCredential","apiVersion":"%s","status":{"clientCertificateData":"%s","clientKeyData":"%s"%s}}\n' \
      "$api_version" "$cert" "$key" "$expiration" ;;
  onlycert)
    printf '{"kind":"ExecCredential","apiVersion":"%s","status":{"clientCertificateData":"%s"}}\n' \
      "$api_version" "$cert" ;;
  empty)
    printf '{"kind":"ExecCredential","apiVersion":"%s","status":{}}\n' "$api_version" ;;
  nostatus)
    printf '{"kind":"ExecCredential","apiVersion":"%s"}\n' "$api_version" ;;
  wrongversion)
    printf '{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1alpha1","status":{"token":"x"}}\n' ;;
  wrongkind)
    printf '{"kind":"Secret","apiVersion":"%s","status":{"token":"x"}}\n' "$api_version" ;;
  badjson)
    echo 'this is not json {' ;;
  exit1)
    echo "some diagnostic" >&2
    echo "error: could not log in: account locked" >&2
    exit 1 ;;
  sleep)
    exec sleep 30 ;;
  *)
    echo "fake-plugin: unknown FAKE_PLUGIN_MODE ${FAKE_PLUGIN_MODE}" >&2
    exit 2 ;;
esac
