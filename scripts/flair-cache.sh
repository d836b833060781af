# Sourced by the scripts: use the corpora in ../shared/flair_cache when they are there (offline machines);
# elsewhere Flair downloads TREC_6 and WNUT_17 into its own cache.
shared_cache="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/shared/flair_cache"
if [ -z "${FLAIR_CACHE_ROOT:-}" ] && [ -d "$shared_cache" ]; then
  export FLAIR_CACHE_ROOT="$shared_cache"
fi
