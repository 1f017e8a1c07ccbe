#!/bin/sh
# Registers the custom search attributes claimdesk's workflows upsert (src/domain/search-attributes.ts) in a namespace.
# Needs operator rights on the Temporal server, which claimdesk's own processes should not have: run it once per
# namespace from deploy tooling (docker-compose's temporal-setup runs it). On Temporal Cloud, create the same attributes
# with `tcld namespace search-attributes add` or in the Cloud UI instead. claimdesk's API and worker check the
# namespace at start (TEMPORAL_SEARCH_ATTRIBUTES). Usage: register-search-attributes.sh [namespace]   (TEMPORAL_ADDRESS etc. from env)
set -eu
namespace="${1:-default}"
for attr in ClaimStatus Assignee Priority ClaimId ArticleId ClaimStuck; do
  if temporal operator search-attribute list --namespace "$namespace" 2>/dev/null | grep -qw "$attr"; then
    echo "search attribute $attr: already there"
  else
    temporal operator search-attribute create --namespace "$namespace" --name "$attr" --type Keyword
  fi
done
