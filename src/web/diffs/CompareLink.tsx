/**
 * "Compare with its source" on a copy's page: the comparison of the version
 * it was copied from with the version shown — `/compare` when the source is
 * on this site, `/compare/elsewhere` (by the versions' addresses) when not.
 */

/** Where the comparison of a copy's `revision` with its source (`sourceUrl`, a version's address) is. */
export function compareWithSourceHref(
  sourceUrl: string,
  copy: { slug: string; revision: number },
  origin: URL,
): string {
  const copyUrl = new URL(`/d/${copy.slug}/v/${copy.revision}`, origin).href;
  const source = URL.canParse(sourceUrl) ? new URL(sourceUrl) : null;
  const local =
    source?.origin === origin.origin ? /^\/d\/([A-Za-z0-9_-]{1,100})\/v\/([1-9]\d{0,8})$/.exec(source.pathname) : null;
  const search =
    local != null
      ? new URLSearchParams({
          a: local[1]!,
          av: local[2]!,
          b: copy.slug,
          bv: String(copy.revision),
          view: "side",
        })
      : new URLSearchParams({ a: sourceUrl, b: copyUrl });
  return `${local != null ? "/compare" : "/compare/elsewhere"}?${search.toString()}`;
}

export function CompareLink(props: { sourceUrl: string; slug: string; revision: number; origin: URL }) {
  const href = compareWithSourceHref(props.sourceUrl, { slug: props.slug, revision: props.revision }, props.origin);
  return (
    <p class="compare-with-source">
      <a href={href} class="button secondary">
        Compare with its source
      </a>{" "}
      <span class="muted">See every word this copy changes, side by side.</span>
    </p>
  );
}
