#!/bin/bash
# A hook program for the process-hook tests; its first argument picks a behaviour.
case "$1" in
  answer)
    cat > /dev/null
    echo '{"action":"enrich","data":{"attempt":"'"$CARTCALL_ATTEMPT"'","key":"'"$CARTCALL_IDEMPOTENCY_KEY"'"}}' ;;
  echo-id)
    # Answers with the CloudEvent id it read, proving stdin carried the event.
    id=$(sed -n 's/.*"id":"\([^"]*\)".*/\1/p')
    echo '{"action":"enrich","data":{"id":"'"$id"'"}}' ;;
  veto)
    cat > /dev/null; echo "Not today, thank you."; exit 10 ;;
  tempfail)
    cat > /dev/null; echo "database is busy" >&2; exit 75 ;;
  fail)
    cat > /dev/null; echo "cannot parse licence file" >&2; exit 3 ;;
  garbage)
    cat > /dev/null; echo "<html>Internal error</html>" ;;
  unknown-action)
    cat > /dev/null; echo '{"action":"refund_everything"}' ;;
  huge)
    cat > /dev/null; head -c 10000000 /dev/zero | tr '\0' 'x' ;;
  ignore-stdin)
    exit 0 ;;
  env)
    cat > /dev/null
    printf '{"action":"enrich","data":{"path":"%s","secret":"%s","greeting":"%s","hook":"%s"}}\n' \
      "${PATH:-}" "${CARTCALL_TEST_SECRET:-}" "${GREETING:-}" "${CARTCALL_HOOK_ID:-}" ;;
  hang-tree)
    # A child, a grandchild reparented away by a double fork, and the hook itself, all hanging.
    cat > /dev/null
    sleep 300 &
    ( sleep 300 & ) &
    sleep 300 ;;
  overlap)
    cat > /dev/null
    echo "start $EPOCHREALTIME" >> "$OVERLAP_LOG"
    sleep 0.2
    echo "end $EPOCHREALTIME" >> "$OVERLAP_LOG"
    echo '{"action":"continue"}' ;;
  *)
    exit 64 ;;
esac
