// Origin check for WebSocket upgrades and CORS. Browsers always send Origin on a WebSocket
// handshake and on cross-origin fetches; a request without one is not from a page (curl, the
// load-test swarm, a mobile app) and is not what the allow-list protects against.

export function originAllowed(
  origin: string,
  eventOrigins: readonly string[],
  devOrigins: readonly string[],
): boolean {
  if (origin === '') return true;
  return eventOrigins.includes(origin) || devOrigins.includes(origin);
}
