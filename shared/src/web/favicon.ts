// The icon every page Sluice serves declares (queue page, demo shop, ops console), so no browser
// asks for a /favicon.ico that is not there. Browser-safe: the page bundles import it.

/** A 16×16 SVG: a blue tile with three lines of decreasing length (a line moving forward). */
export const FAVICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#1f5fbf"/>' +
  '<path d="M3 5h10M3 8h7M3 11h4" stroke="#fff" stroke-width="2"/></svg>';

/** The icon as a data: URL, for `<link rel="icon" href="…">` (no request at all). */
export const FAVICON_DATA_URL = `data:image/svg+xml,${encodeURIComponent(FAVICON_SVG)}`;

/** The `<link>` element to put in a page's `<head>`. */
export const FAVICON_LINK = `<link rel="icon" href="${FAVICON_DATA_URL}">`;
