#!/bin/sh
# CartCall sample process hook: tiers the shopper by cart value, routes big carts to a senior agent, and vetoes
# calls to shoppers on a do-not-call list. POSIX sh and awk only, so it runs wherever CartCall self-hosts.
#
# In:  the event (a CloudEvent, JSON) on stdin; CARTCALL_HOOK_POINT and friends in the environment.
# Out: an answer (JSON) on stdout and exit 0; or a reason on stdout and exit 10 (veto); exit 75 asks for a retry.
# Configured variables (nothing else of the app's environment is passed):
#   SENIOR_AGENT_ID     agent for carts of 500 or more (optional)
#   DO_NOT_CALL_FILE    file with one shopper id per line (optional)
set -u

event=$(cat) || exit 75

# Enough JSON reading for a sample: the cart's value and the shopper's id, as CartCall writes them.
value=$(printf '%s' "$event" | sed -n 's/.*"cart":{[^}]*"value":\([0-9.]*\).*/\1/p')
shopper=$(printf '%s' "$event" | sed -n 's/.*"shopperId":"\([^"]*\)".*/\1/p')

if [ "${CARTCALL_HOOK_POINT:-}" = "call.before_dial" ] && [ -n "$shopper" ] && [ -n "${DO_NOT_CALL_FILE:-}" ] \
    && [ -r "$DO_NOT_CALL_FILE" ] && grep -qxF "$shopper" "$DO_NOT_CALL_FILE"; then
    echo "You asked us not to call you, so we won't. You can still reach us by chat."
    exit 10
fi

tier=$(awk -v v="${value:-0}" 'BEGIN { if (v >= 500) print "gold"; else if (v >= 100) print "silver"; else print "bronze" }')

if [ "$tier" = "gold" ] && [ -n "${SENIOR_AGENT_ID:-}" ]; then
    printf '{"action":"route","agentId":"%s","data":{"tier":"%s","cartValue":"%s"}}\n' "$SENIOR_AGENT_ID" "$tier" "${value:-0}"
else
    printf '{"action":"enrich","data":{"tier":"%s","cartValue":"%s"}}\n' "$tier" "${value:-0}"
fi
