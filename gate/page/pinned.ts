// Whether a built queue page is pinned (data-pinned="true" on its root): it then takes the gate,
// the hand-over mode and the cookie endpoint from its HTML only. Shared by the build and the gate,
// which refuses to serve an unpinned page in production.

export function isPinnedPage(html: string): boolean {
  return /<main id="sluice"[^>]*\sdata-pinned="true"/.test(html);
}
