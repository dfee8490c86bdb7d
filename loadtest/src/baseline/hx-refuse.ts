// The floor of refusing a request in the checkout's HTTP framework: a hyper-express server
// (the checkout's, on uWS) with one POST route that reads the body and answers a prebuilt 401
// JSON, nothing else. Its CPU per request, beside raw uWS hello, says how much of a junk
// rejection is the framework and how much is Sluice.
import HyperExpress from 'hyper-express';

const BODY = JSON.stringify({ error: { code: 'TICKET_SIGNATURE', message: 'The ticket signature is invalid.' } });
const server = new HyperExpress.Server({ auto_close: false, max_body_length: 64 * 1024 });
server.post('/v1/checkout', async (req, res) => {
  await req.buffer();
  res.status(401).header('content-type', 'application/json; charset=utf-8').send(BODY);
});
await server.listen(0, '127.0.0.1');
process.send?.({ t: 'ready', port: server.port, pid: process.pid });
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
