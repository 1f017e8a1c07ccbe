#!/usr/bin/env bash
# Takes the demo article from submission to a published ClaimReview through the HTTP API, as a newsroom
# would: a fact-checker reviews one of its claims, an editor approves, and the ClaimReview is fetched.
# Needs curl and node (for JSON). See docs/walkthrough.md.
#
#   API       CLAIMDESK_API_URL (default http://localhost:${PORT:-3000})
#   tokens    FC_TOKEN (a fact-checker) and EDITOR_TOKEN (an editor); by default the demo tokens that
#             `npm start` printed, read from the state directory (demo-tokens.json: ana and carla)
#   article   ARTICLE_FILE (default db/seeds/demo-article.json: JSON with title, body, url, publisher, publishedAt)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
API="${CLAIMDESK_API_URL:-http://localhost:${PORT:-3000}}"
API="${API%/}"
ARTICLE_FILE="${ARTICLE_FILE:-$here/db/seeds/demo-article.json}"
WAIT_SECONDS="${WAIT_SECONDS:-120}"

die() { echo "walkthrough: $*" >&2; exit 1; }
step() { printf '\n== %s\n' "$*"; }

# json EXPR < body: evaluates a JavaScript expression over the parsed body `j`; prints strings raw.
json() {
  node -e '
    let s = ""; process.stdin.on("data", (c) => (s += c)).on("end", () => {
      const j = JSON.parse(s); const v = (0, eval)("(j) => (" + process.argv[1] + ")")(j);
      if (v === undefined || v === null) process.exit(3);
      process.stdout.write(typeof v === "string" ? v : JSON.stringify(v, null, 2));
    });' "$1"
}

# api METHOD PATH TOKEN [BODY]: prints the response body; fails on anything but the expected 2xx.
api() {
  local method="$1" path="$2" token="$3" body="${4:-}" out code
  out="$(mktemp)"
  local args=(-sS -o "$out" -w '%{http_code}' -X "$method" "$API$path")
  [[ -n "$token" ]] && args+=(-H "Authorization: Bearer $token")
  [[ -n "$body" ]] && args+=(-H 'Content-Type: application/json' --data-binary "$body")
  code="$(curl "${args[@]}")" || { rm -f "$out"; die "cannot reach $API (is \`npm start\` running?)"; }
  if [[ "$code" != 2* ]]; then
    echo "walkthrough: $method $path -> $code $(cat "$out")" >&2
    rm -f "$out"
    exit 1
  fi
  cat "$out"
  rm -f "$out"
}

# queue_task KIND TOKEN CLAIM_ID: the id of that claim's task in the queue, following nextCursor.
queue_task() {
  local kind="$1" token="$2" claim="$3" cursor="" page
  while :; do
    page="$(api GET "/api/queue?kind=$kind&limit=200${cursor:+&cursor=$cursor}" "$token")"
    if json "j.items.find((i) => i.claim.id === '$claim')?.task.id" <<<"$page"; then return 0; fi
    cursor="$(json 'j.nextCursor' <<<"$page")" || return 1
  done
}

# await_task KIND TOKEN CLAIM: waits (up to WAIT_SECONDS) for the claim's task to reach the queue; prints its id.
await_task() {
  local id i
  for ((i = 0; i < WAIT_SECONDS * 2; i++)); do
    if id="$(queue_task "$@")"; then echo "$id"; return 0; fi
    sleep 0.5
  done
  return 1
}

if [[ -z "${FC_TOKEN:-}" || -z "${EDITOR_TOKEN:-}" ]]; then
  if [[ -n "${CLAIMDESK_STATE_DIR:-}" ]]; then state="$CLAIMDESK_STATE_DIR"
  elif [[ "$(id -u)" == 0 ]]; then state=/var/lib/claimdesk
  else state="${XDG_STATE_HOME:-$HOME/.local/state}/claimdesk"; fi
  [[ -f "$state/demo-tokens.json" ]] || die "set FC_TOKEN and EDITOR_TOKEN (no demo tokens in $state)"
  FC_TOKEN="${FC_TOKEN:-$(json 'j.ana' < "$state/demo-tokens.json")}"
  EDITOR_TOKEN="${EDITOR_TOKEN:-$(json 'j.carla' < "$state/demo-tokens.json")}"
fi

step "1. Health"
api GET /healthz ""
echo

step "2. Submit the article (idempotent: the same text returns the same article)"
submitted="$(api POST /api/articles "$FC_TOKEN" "$(cat "$ARTICLE_FILE")")"
article_id="$(json 'j.article.id' <<<"$submitted")"
echo "article $article_id, workflow $(json 'j.workflowId' <<<"$submitted")"

step "3. Wait for extraction and a claim waiting for review"
claim_id=""
for ((i = 0; i < WAIT_SECONDS * 2; i++)); do
  claims="$(api GET "/api/claims?articleId=$article_id&status=awaiting_review&limit=200" "$FC_TOKEN")"
  # The claim with the highest check-worthiness score goes first.
  if claim_id="$(json '[...j.items].sort((a, b) => b.score - a.score)[0]?.id' <<<"$claims")"; then break; fi
  sleep 0.5
done
[[ -n "$claim_id" ]] || die "no claim of article $article_id reached awaiting_review within ${WAIT_SECONDS}s"
api GET "/api/articles/$article_id" "$FC_TOKEN" | json 'j.claims.map((c) => `  [${c.score.toFixed(2)}] ${c.status.padEnd(17)} ${c.text}`).join("\n")'
echo
echo "reviewing claim $claim_id"

step "4. Fact-checker: find the task in the review queue and claim it"
task_id="$(await_task review "$FC_TOKEN" "$claim_id")" || die "claim $claim_id has no review task in the queue"
api POST "/api/tasks/$task_id/claim" "$FC_TOKEN" | json '`task ${j.task.id} ${j.task.status} by ${j.task.assignee}; claim ${j.claim.status}`'
echo

step "5. Read the claim with the evidence found for it"
detail="$(api GET "/api/claims/$claim_id" "$FC_TOKEN")"
json '`${j.claim.text}\nclaimant: ${j.claim.claimant ?? "unknown"}\nevidence: ${j.evidence.length} item(s)` + j.evidence.slice(0, 3).map((e) => `\n  ${e.stance.padEnd(8)} ${e.title ?? e.url}`).join("")' <<<"$detail"
echo
citation="$(json 'JSON.stringify(j.evidence[0] ? (j.evidence[0].sourceId ? { sourceId: j.evidence[0].sourceId, stance: j.evidence[0].stance } : { url: j.evidence[0].url, stance: j.evidence[0].stance }) : { url: "https://demo.claimdesk.example/notes", stance: "context" })' <<<"$detail")"

step "6. Fact-checker: propose a verdict"
verdict="{\"rating\":\"mostly_true\",\"summary\":\"The figure matches the published record, with a caveat on timing.\",\"rationale\":\"Checked against the sources cited.\",\"citations\":[$citation]}"
api POST "/api/tasks/$task_id/verdict" "$FC_TOKEN" "$verdict" | json '`claim ${j.claim.id}: ${j.claim.status}`'
echo

step "7. Editor: claim the approval task and approve"
approval_id="$(await_task approval "$EDITOR_TOKEN" "$claim_id")" || die "claim $claim_id has no approval task"
api POST "/api/tasks/$approval_id/claim" "$EDITOR_TOKEN" > /dev/null
api POST "/api/tasks/$approval_id/approve" "$EDITOR_TOKEN" | json '`claim ${j.claim.id}: ${j.claim.status}`'
echo

step "8. The published ClaimReview (public, no token)"
api GET "/api/claims/$claim_id/claimreview" "" | json 'j'
echo

step "9. It is in the public feed"
api GET "/api/claimreviews?limit=200" "" | json "j.items.some((r) => r.url.endsWith('/claims/$claim_id')) ? 'yes: ' + j.items.length + ' published ClaimReview(s)' : undefined" || die "claim $claim_id is missing from the feed"
echo
echo
echo "done: claim $claim_id published"
